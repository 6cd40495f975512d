/**
 * The side channel between the orchestrator (the CLI) and its peer processes:
 * JSON lines over a loopback TCP connection each peer opens to the
 * orchestrator. A side channel rather than stdio because some peers are not
 * the orchestrator's children (the child_process IPC baseline forks its
 * client from the server peer) and because it must not be the transport
 * under test. It carries a few lines between measured phases, never during one.
 *
 * Orchestrator -> peer: `{ seq, cmd, args }`. Peer -> orchestrator:
 * `{ hello: id }` once, `{ seq, ok: true, result }` or `{ seq, ok: false, error }`
 * per command, and `{ event, ... }` whenever something happens.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';

type Json = Record<string, unknown>;

interface Reply {
  seq: number;
  ok: boolean;
  result?: Json;
  error?: string;
}

function lineReader(socket: Socket, onLine: (value: Json) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    buffered += text;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim()) onLine(JSON.parse(line) as Json);
    }
  });
}

/** The orchestrator's handle on one peer process. */
export class PeerHandle {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: Json) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly events: Json[] = [];
  private readonly eventWaiters: Array<() => void> = [];
  private failure: Error | undefined;

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly describeFailure: () => string,
  ) {
    lineReader(socket, (message) => this.onMessage(message));
    socket.on('close', () => this.fail(new Error(`peer ${id} closed its control connection${this.describeFailure()}`)));
    socket.on('error', () => undefined);
  }

  private onMessage(message: Json): void {
    if (typeof message['event'] === 'string') {
      this.events.push(message);
      for (const wake of this.eventWaiters.splice(0)) wake();
      return;
    }
    const reply = message as unknown as Reply;
    const waiter = this.pending.get(reply.seq);
    if (!waiter) return;
    this.pending.delete(reply.seq);
    clearTimeout(waiter.timer);
    if (reply.ok) waiter.resolve(reply.result ?? {});
    else waiter.reject(new Error(`peer ${this.id}: ${reply.error ?? 'failed'}`));
  }

  /** Fails every pending and future request (the peer died or the run is over). */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const [, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
    for (const wake of this.eventWaiters.splice(0)) wake();
  }

  /** Sends a command; resolves with its result. Rejects after `timeoutMs` or when the peer dies. */
  request<T extends Json = Json>(cmd: string, args: Json = {}, timeoutMs = 60_000): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`peer ${this.id}: ${cmd} timed out after ${timeoutMs} ms${this.describeFailure()}`));
      }, timeoutMs);
      this.pending.set(seq, { resolve: resolve as (r: Json) => void, reject, timer });
      this.socket.write(`${JSON.stringify({ seq, cmd, args })}\n`);
    });
  }

  /** Resolves with (and removes) the first event named `event` that matches. */
  async waitEvent(event: string, match: (e: Json) => boolean = () => true, timeoutMs = 60_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((e) => e['event'] === event && match(e));
      if (index >= 0) return this.events.splice(index, 1)[0] as Json;
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`peer ${this.id}: no ${event} event within ${timeoutMs} ms${this.describeFailure()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.eventWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The orchestrator's control server: peers connect and say hello with their id. */
export class ControlServer {
  private readonly server: Server;
  private readonly arrived = new Map<string, Socket>();
  private readonly waiters = new Map<string, (socket: Socket) => void>();
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      socket.setNoDelay(true);
      let said = false;
      let buffered = '';
      const onData = (chunk: Buffer): void => {
        if (said) return;
        buffered += chunk.toString('utf8');
        const newline = buffered.indexOf('\n');
        if (newline < 0) return;
        said = true;
        socket.off('data', onData);
        const rest = buffered.slice(newline + 1);
        const hello = JSON.parse(buffered.slice(0, newline)) as { hello?: string };
        if (typeof hello.hello !== 'string') {
          socket.destroy();
          return;
        }
        if (rest) socket.unshift(Buffer.from(rest, 'utf8'));
        const waiter = this.waiters.get(hello.hello);
        if (waiter) {
          this.waiters.delete(hello.hello);
          waiter(socket);
        } else this.arrived.set(hello.hello, socket);
      };
      socket.on('data', onData);
      socket.on('error', () => undefined);
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('control server has no port');
    this.port = address.port;
    return this.port;
  }

  /** Waits for the peer `id` to connect; `describeFailure` adds its stderr to errors. */
  async peer(id: string, timeoutMs: number, describeFailure: () => string, died?: Promise<unknown>): Promise<PeerHandle> {
    const early = this.arrived.get(id);
    let socket: Socket;
    if (early) {
      this.arrived.delete(id);
      socket = early;
    } else {
      socket = await new Promise<Socket>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiters.delete(id);
          reject(new Error(`peer ${id} did not connect within ${timeoutMs} ms${describeFailure()}`));
        }, timeoutMs);
        this.waiters.set(id, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        void died?.then(() => {
          if (!this.waiters.has(id)) return;
          this.waiters.delete(id);
          clearTimeout(timer);
          reject(new Error(`peer ${id} exited before connecting${describeFailure()}`));
        });
      });
    }
    return new PeerHandle(id, socket, describeFailure);
  }

  async close(): Promise<void> {
    for (const socket of this.arrived.values()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A command handler in a peer: returns the result, or throws. */
export type Handler = (args: Json) => Promise<Json | undefined> | Json | undefined;

/** The peer's end of the side channel. */
export class ControlClient {
  private readonly handlers = new Map<string, Handler>();

  private constructor(
    private readonly socket: Socket,
    private readonly id: string,
  ) {
    lineReader(socket, (message) => void this.dispatch(message));
  }

  static async connect(port: number, id: string): Promise<ControlClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    socket.setNoDelay(true);
    return new ControlClient(socket, id);
  }

  /** Tells the orchestrator this peer is ready: call after registering the handlers. */
  hello(): void {
    this.socket.write(`${JSON.stringify({ hello: this.id })}\n`);
  }

  on(cmd: string, handler: Handler): this {
    this.handlers.set(cmd, handler);
    return this;
  }

  /** Sends an event line; resolves once written. */
  emit(event: string, data: Json = {}): Promise<void> {
    return new Promise((resolve) => this.socket.write(`${JSON.stringify({ event, ...data })}\n`, () => resolve()));
  }

  /** Called when the orchestrator goes away. */
  onClose(callback: () => void): void {
    this.socket.on('close', callback);
  }

  private async dispatch(message: Json): Promise<void> {
    const seq = message['seq'] as number;
    const cmd = String(message['cmd']);
    const handler = this.handlers.get(cmd);
    let reply: Reply;
    try {
      if (!handler) throw new Error(`unknown command ${cmd}`);
      const result = await handler((message['args'] ?? {}) as Json);
      reply = { seq, ok: true, result: result ?? {} };
    } catch (error) {
      const e = error as { code?: string; message?: unknown; stack?: unknown };
      reply = { seq, ok: false, error: `${cmd}: ${e.code ? `${e.code} ` : ''}${String(e.message ?? error)}` };
    }
    await new Promise<void>((resolve) => this.socket.write(`${JSON.stringify(reply)}\n`, () => resolve()));
  }

  close(): void {
    this.socket.end();
  }
}
