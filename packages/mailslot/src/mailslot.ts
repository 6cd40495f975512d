import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  IpcError,
  type Capabilities,
  type Channel,
  type CloseOptions,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type ReceiveOptions,
  type SendOptions,
  type Transport,
} from '@ipckit/core';
import {
  AsyncQueue,
  backlogOption,
  checkWait,
  closeTimeoutOption,
  maxMessageBytesOption,
  rejection,
  setLongTimeout,
  validateInteger,
  validateName,
  validateSignal,
  watchWait,
  type LongTimeout,
} from '@ipckit/core/kit';
import { BACKEND, backendLoader, byBackend } from '@ipckit/sys';
import type { MailslotBackend, SlotReader, SlotSink, SlotWriter } from './backend.js';

/** This OS's backend, loaded on first use so the other OS's code never loads. */
const mailslotBackend = backendLoader<MailslotBackend>({
  win32: async () => (await import('./windows.js')).windowsBackend,
  posix: async () => (await import('./posix.js')).posixBackend,
});

/**
 * The default largest message: 128 KiB, on both OSes. It fits a Unix datagram
 * socket's default send buffer (212,992 bytes, so 212,960-byte datagrams) with
 * no tuning, so a plain C writer can send it too; raise it per listener and
 * writer with `maxMessageBytes`, up to {@link maxMessageBytesLimit}.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024;

/** Longest name accepted before the OS path limit is even considered. */
const MAX_NAME_BYTES = 255;

/** Messages a receiver buffers in the process before it stops reading (the OS queue then fills, and writers wait). */
const RECEIVE_HIGH_WATER_MARK = 64;

/** Options of `listen` on a mailslot. */
export interface MailslotListenOptions extends ListenOptions {
  /**
   * The slot's maximum message size.
   *
   * Platform-specific behaviour: on Windows it is CreateMailslotW's
   * `nMaxMessageSize`, and Windows refuses a bigger WriteFile. A Unix datagram
   * socket has no receiver-side maximum: the writer's own `maxMessageBytes`
   * limits what it sends, and a bigger datagram (from a writer with a bigger
   * limit, or a native one) is discarded and counted in
   * {@link MailslotInfo.discarded}.
   */
  maxMessageBytes?: number;
}

/** Windows-only options of `listen`. Ignored elsewhere. */
export interface WindowsMailslotListenOptions extends MailslotListenOptions {
  /**
   * CreateMailslotW's read timeout, in ms (default 100). ipckit's reader
   * waits in ReadFile on a worker thread for at most this long before looking
   * whether the slot is being closed: a message wakes it at once, so this is
   * not latency; it bounds how long `close()` takes and sets the idle wake-up
   * rate (10 a second by default). From 1 ms to 60 s.
   */
  readTimeoutMs?: number;
}

/** What a slot's owner can learn about its queue, as far as the OS can tell. */
export interface MailslotInfo {
  /** The slot's maximum message size, in bytes (Windows: as GetMailslotInfo reports it). */
  maxMessageBytes: number;
  /** The size of the next message the channel will yield; undefined when none is waiting. */
  nextMessageBytes: number | undefined;
  /**
   * How many messages are waiting (read from the OS but not yet taken, plus
   * those still in the OS queue).
   *
   * Platform-specific behaviour: exact on Windows (GetMailslotInfo's
   * lpMessageCount; Wine reports 1 for "some"). A Unix datagram socket can
   * not count its queue: this is undefined whenever the OS queue is not
   * empty, and the count read so far is in {@link buffered}.
   */
  messagesWaiting: number | undefined;
  /** Messages read from the OS into this process and not yet taken by the consumer. */
  buffered: number;
  /** Messages over the maximum that arrived and were discarded (see {@link MailslotListenOptions.maxMessageBytes}). */
  discarded: number;
  /** The slot's read timeout in ms (Windows; Infinity for MAILSLOT_WAIT_FOREVER); undefined on POSIX, which has none. */
  readTimeoutMs: number | undefined;
}

/** The one receive-only channel a mailslot listener yields: every writer's messages, in arrival order. */
export class MailslotReceiver implements Channel {
  readonly #queue: AsyncQueue<Uint8Array>;
  readonly #slot: SlotReader;
  readonly #path: string;
  readonly #sink: SlotSink;
  #discarded = 0;
  #closing: Promise<void> | undefined;
  #markEnded!: () => void;
  /** @internal Settles once the receiver ended (closed, or failed): the slot is gone. */
  readonly whenEnded = new Promise<void>((resolve) => {
    this.#markEnded = resolve;
  });

  /** @internal Made by the listener. */
  constructor(
    slot: SlotReader,
    readonly maxMessageBytes: number,
    path: string,
  ) {
    this.#slot = slot;
    this.#path = path;
    this.#sink = {
      message: (message) => this.#queue.push(message),
      oversized: () => {
        this.#discarded++;
      },
      error: (error) => this.fail(error),
    };
    // Past the high-water mark the slot stops reading: messages wait in the OS
    // queue, which fills, and writers wait (the backpressure).
    this.#queue = new AsyncQueue<Uint8Array>(RECEIVE_HIGH_WATER_MARK, {
      pause: () => slot.pause(),
      resume: () => {
        if (!this.#queue.done) slot.resume(this.#sink);
      },
    });
    slot.resume(this.#sink);
  }

  get closed(): boolean {
    return this.#queue.done;
  }

  /** @internal A read failed: the receiver fails (buffered messages first) and the slot is closed. */
  fail(error: unknown): void {
    if (this.#queue.done) return;
    this.#queue.fail(error);
    this.#markEnded();
    void this.#slot.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#queue[Symbol.asyncIterator]();
  }

  /**
   * The next message from any writer, or `undefined` once the slot is closed.
   * A slot does not end when its writers go: it waits for the next writer.
   * Rejects with ETIMEDOUT or ECANCELED per `options`, taking nothing.
   */
  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined> {
    return this.#queue.take(options).then((result) => (result.done ? undefined : result.value));
  }

  /** A mailslot is one-way: its reading side cannot send. Rejects with ENOTSUP. */
  send(_message: Uint8Array, _options?: SendOptions): Promise<void> {
    return Promise.reject(new IpcError('ENOTSUP', 'a mailslot is one-way: the listening side only receives', { path: this.#path }));
  }

  /** What the slot's queue holds, as far as the OS can tell (see {@link MailslotInfo}). */
  info(): MailslotInfo {
    const os = this.#slot.queueInfo();
    const buffered = this.#queue.size;
    return {
      maxMessageBytes: os.maxMessageBytes ?? this.maxMessageBytes,
      nextMessageBytes: this.#queue.peek()?.length ?? os.nextMessageBytes,
      messagesWaiting: os.messagesWaiting === undefined ? undefined : buffered + os.messagesWaiting,
      buffered,
      discarded: this.#discarded,
      readTimeoutMs: os.readTimeoutMs,
    };
  }

  /**
   * Closes the slot: the name is freed, receiving ends at once, and messages
   * not yet taken (buffered here or still in the OS queue) are dropped, as
   * when a mailslot's server closes its handle. `options` is checked; the
   * receiving side has no sends to wait for.
   */
  close(options?: CloseOptions): Promise<void> {
    if (!this.#closing) {
      try {
        closeTimeoutOption(options);
      } catch (error) {
        return rejection(error);
      }
      this.#queue.drain();
      this.#queue.end();
      this.#markEnded();
      this.#closing = this.#slot.close();
    }
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A send of a {@link MailslotSender}, waiting or being written. */
interface PendingWrite {
  readonly message: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** Aborts the write in progress (POSIX: it stops waiting for room; nothing was sent). */
  readonly abort: AbortController;
  stop: () => void;
  started: boolean;
  settled: boolean;
  /** The error to report if the write in progress does not go: its deadline passed, or close() gave up. */
  expired: IpcError | undefined;
}

/**
 * The writing side: send-only. Its iteration and {@link receive} yield
 * nothing and end when the channel does (closed here, or the slot found gone).
 */
export class MailslotSender implements Channel {
  readonly #writes: PendingWrite[] = [];
  #writing: PendingWrite | undefined;
  #localClosed = false;
  #peerGone: IpcError | undefined;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  /** Never holds a message: it ends when the channel does, which is what receive and iteration wait for. */
  readonly #end = new AsyncQueue<Uint8Array>();

  /** @internal Made by connect(). */
  constructor(
    private readonly writer: SlotWriter,
    readonly maxMessageBytes: number,
    /** The OS path written to. */
    readonly path: string,
  ) {}

  get closed(): boolean {
    return this.#localClosed || this.#peerGone !== undefined;
  }

  /**
   * Sends one message as one datagram. Resolves when the OS has queued it
   * (Rule 2); while the slot is full it waits (POSIX, and Windows under Wine),
   * which is the backpressure: nothing is dropped. Sends keep their order.
   * A send whose `timeoutMs` passes or `signal` aborts is withdrawn whole
   * (a datagram goes whole or not at all), and the channel stays usable.
   *
   * Platform-specific behaviour: on Windows a mailslot never reports "full":
   * WriteFile returns once the message is queued, however slow the reader,
   * so there is no backpressure from the reader (the queue grows in kernel
   * memory), and a WriteFile already running on its worker thread cannot be
   * withdrawn: such a send settles as the OS says. Rejects with EMSGSIZE over
   * `maxMessageBytes` (and, on Windows, over the slot's own maximum), ECLOSED
   * after close(), EPIPE once the slot is gone (POSIX; Windows may accept
   * writes to a slot being closed).
   */
  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.#localClosed) return Promise.reject(new IpcError('ECLOSED', 'the channel was closed', { path: this.path }));
    if (this.#peerGone) return Promise.reject(this.#gone());
    if (!(message instanceof Uint8Array)) return Promise.reject(new IpcError('EINVAL', 'a message must be a Uint8Array'));
    if (message.length > this.maxMessageBytes) {
      return Promise.reject(
        new IpcError('EMSGSIZE', `the message is ${message.length} bytes; this channel's maximum is ${this.maxMessageBytes}`, { path: this.path }),
      );
    }
    let wait;
    try {
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    return new Promise<void>((resolve, reject) => {
      const op: PendingWrite = {
        message,
        resolve,
        reject,
        abort: new AbortController(),
        stop: () => undefined,
        started: false,
        settled: false,
        expired: undefined,
      };
      this.#writes.push(op);
      op.stop = watchWait(wait, 'the send', (error) => this.#expire(op, error));
      this.#pump();
    });
  }

  /** A send-only channel receives nothing: resolves `undefined` once the channel ended; ETIMEDOUT or ECANCELED per `options`. */
  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined> {
    return this.#end.take(options).then(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#end[Symbol.asyncIterator]();
  }

  /**
   * Closes the writer (Rule 2): new sends get ECLOSED at once; the sends
   * already made get up to `options.timeoutMs` (default
   * DEFAULT_CLOSE_TIMEOUT_MS) to be queued by the OS; those still waiting
   * then reject with ECLOSED, never sent.
   *
   * Platform-specific behaviour: a Windows WriteFile already running on its
   * worker thread is not cut short (real Windows never blocks it); its send
   * settles as the OS says, and the handle is closed once it returned.
   */
  close(options?: CloseOptions): Promise<void> {
    if (this.#closing) return this.#closing;
    let timeoutMs: number;
    try {
      timeoutMs = closeTimeoutOption(options);
    } catch (error) {
      return rejection(error);
    }
    this.#localClosed = true;
    this.#end.end();
    this.#closing = (async () => {
      if (this.#writing || this.#writes.length > 0) {
        let timer: LongTimeout | undefined;
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
          timer = setLongTimeout(resolve, timeoutMs);
        });
        timer?.clear();
        this.#drained = undefined;
        const closed = (): IpcError =>
          this.#peerGone ? this.#gone() : new IpcError('ECLOSED', 'the channel was closed before the message was sent', { path: this.path });
        for (const op of this.#writes.splice(0)) this.#settle(op, closed());
        const writing = this.#writing;
        if (writing) {
          writing.expired ??= closed();
          writing.abort.abort();
        }
      }
      await this.writer.close();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Writes the sends one at a time, in order. */
  #pump(): void {
    if (this.#writing) return;
    const op = this.#writes.shift();
    if (!op) {
      this.#drained?.();
      return;
    }
    this.#writing = op;
    op.started = true;
    this.writer.write(op.message, op.abort.signal).then(
      () => {
        this.#writing = undefined;
        this.#settle(op);
        this.#pump();
      },
      (error: unknown) => {
        this.#writing = undefined;
        if (error instanceof IpcError && error.code === 'EPIPE') this.#lostSlot(error);
        this.#settle(op, op.expired ?? (this.#peerGone ? this.#gone() : error));
        this.#pump();
      },
    );
  }

  #expire(op: PendingWrite, error: IpcError): void {
    if (op.settled) return;
    if (!op.started) {
      this.#writes.splice(this.#writes.indexOf(op), 1);
      this.#settle(op, error);
      return;
    }
    // Being written: POSIX stops waiting for room (nothing was sent); Windows lets WriteFile finish.
    op.expired = error;
    op.abort.abort();
  }

  #settle(op: PendingWrite, error?: unknown): void {
    if (op.settled) return;
    op.settled = true;
    op.stop();
    if (error === undefined) op.resolve();
    else op.reject(error);
  }

  /** Rule 1: the slot is gone. Iteration ends; waiting sends get EPIPE. */
  #lostSlot(cause: IpcError): void {
    if (this.#peerGone) return;
    this.#peerGone = cause;
    this.#end.end();
    for (const op of this.#writes.splice(0)) this.#settle(op, this.#gone());
  }

  #gone(): IpcError {
    return new IpcError('EPIPE', `the mailslot ${this.path} is gone; the message was not sent`, { path: this.path, cause: this.#peerGone });
  }
}

/**
 * A served mailslot. It yields exactly one channel, the {@link MailslotReceiver},
 * carrying every writer's messages; iteration then waits until the listener
 * is closed.
 *
 * Platform-specific behaviour: the slot is one OS object on both OSes, so
 * closing the listener or its channel closes both: the name is freed at once
 * (unlike a duplex listener, whose accepted channels outlive it).
 */
export class MailslotListener implements Listener {
  private yielded = false;
  private closed = false;
  private wake: (() => void) | undefined;
  readonly receiver: MailslotReceiver;

  /** @internal Made by listen(). */
  constructor(
    readonly name: string,
    readonly path: string,
    private readonly slot: SlotReader,
    maxMessageBytes: number,
  ) {
    this.receiver = new MailslotReceiver(slot, maxMessageBytes, path);
  }

  /** The slot's queue, as far as the OS can tell (see {@link MailslotInfo}). */
  info(): MailslotInfo {
    return this.receiver.info();
  }

  /**
   * Changes the slot's read timeout (SetMailslotInfo).
   *
   * Platform-specific behaviour: Windows only; rejects with ENOTSUP on POSIX,
   * where reads are driven by readiness and never wait.
   */
  setReadTimeout(ms: number): void {
    validateInteger(ms, 'readTimeoutMs', 1, 60_000);
    this.slot.setReadTimeout(ms);
  }

  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    return {
      next: async () => {
        if (!this.yielded && !this.closed) {
          this.yielded = true;
          return { value: this.receiver, done: false };
        }
        // Closing the receiver (or its failing) closes the slot, so it ends this iteration too.
        if (!this.closed) await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), this.receiver.whenEnded]);
        return { value: undefined, done: true };
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.receiver.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * The largest `maxMessageBytes` this OS accepts: on POSIX what
 * net.core.wmem_max lets an unprivileged socket send (measured once); on
 * Windows ipckit's cap of 4 MiB.
 */
export async function maxMessageBytesLimit(): Promise<number> {
  return (await mailslotBackend()).maxMessageBytesLimit();
}

/**
 * The full OS path of a mailslot name: `\\.\mailslot\<name>` on Windows,
 * `<per-user dir>/mailslot/<name>` on POSIX. Throws IpcError EINVAL for a bad name.
 */
export async function mailslotPath(name: string): Promise<string> {
  validateName(name, { maxBytes: MAX_NAME_BYTES, label: 'mailslot name' });
  return (await mailslotBackend()).pathFor(name);
}

async function maxBytesOf(options: { maxMessageBytes?: number } | undefined): Promise<number> {
  return maxMessageBytesOption(options, DEFAULT_MAX_MESSAGE_BYTES, await maxMessageBytesLimit());
}

/** Serves a mailslot (see {@link transport}); typed with the mailslot's own listener. */
export async function listenMailslot(name: string, options?: WindowsMailslotListenOptions): Promise<MailslotListener> {
  const path = await mailslotPath(name);
  const maxMessageBytes = await maxBytesOf(options);
  const readTimeoutMs = options?.readTimeoutMs === undefined ? undefined : validateInteger(options.readTimeoutMs, 'readTimeoutMs', 1, 60_000);
  const signal = validateSignal(options?.signal);
  // One reader, one channel: a backlog has nothing to bound here, but the option is checked like everywhere.
  backlogOption(options);
  const backend = await mailslotBackend();
  const slot = await backend.createSlot(path, { maxMessageBytes, ...(readTimeoutMs === undefined ? {} : { readTimeoutMs }) });
  const listener = new MailslotListener(name, path, slot, maxMessageBytes);
  // Aborted while the slot was being made: 'abort' will not fire again.
  if (signal?.aborted) await listener.close();
  else signal?.addEventListener('abort', () => void listener.close(), { once: true });
  return listener;
}

/**
 * Opens a writer on a mailslot (see {@link transport}). Rejects with ENOENT
 * when nobody serves it. Opening never waits (there is no handshake), so
 * `timeoutMs` and `signal` are only checked (an aborted signal: ECANCELED).
 *
 * Platform-specific behaviour: on POSIX the socket directories are checked
 * first, as listen checks them: one that is a symlink, another user's, or
 * open to others gives EACCES and nothing is sent (without XDG_RUNTIME_DIR
 * they are under `<tmpdir>`, where another user could make them first).
 */
export async function connectMailslot(name: string, options?: ConnectOptions): Promise<MailslotSender> {
  const path = await mailslotPath(name);
  const maxMessageBytes = await maxBytesOf(options);
  checkWait(options, DEFAULT_CONNECT_TIMEOUT_MS);
  const writer = await (await mailslotBackend()).openWriter(path, { maxMessageBytes });
  return new MailslotSender(writer, maxMessageBytes, path);
}

/**
 * The mailslot transport (`mailslot://name`): one-way datagrams, one reader,
 * many writers. `listen` serves the name and yields one receive-only channel;
 * `connect` gives a send-only channel.
 */
export const transport: Transport = {
  scheme: 'mailslot',
  capabilities: {
    scheme: 'mailslot',
    duplex: false,
    messageBoundaries: true,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    manyWriters: true,
    // Windows can write to \\computer\mailslot\name, but current Windows turns remote mailslots off; ipckit does not offer it.
    crossesMachines: false,
    // One reader per slot: no topic form (publish/subscribe give ENOTSUP).
    topics: false,
    primitive: byBackend({
      win32: 'Windows mailslot (\\\\.\\mailslot\\, CreateMailslotW + WriteFile/ReadFile, via koffi)',
      posix: 'Unix domain datagram socket (AF_UNIX, SOCK_DGRAM, via koffi); not a mailslot: see docs/mailslot.md',
    }),
    backend: BACKEND,
  } satisfies Capabilities,
  listen: (name: string, options?: ListenOptions): Promise<Listener> => listenMailslot(name, options),
  connect: (name: string, options?: ConnectOptions): Promise<Channel> => connectMailslot(name, options),
};
