/**
 * Commands from a peer process to its worker thread, and their answers: the
 * parent posts `{ seq, cmd, args }`, the worker answers `{ seq, ok, result }`
 * or `{ seq, ok: false, error }`; any other message is one of the worker's
 * events. Used by the peers whose blocking loops run in a worker (the shm
 * sync API, @ipckit/sync's sync waits).
 */
import type { MessagePort, Worker } from 'node:worker_threads';

/** What commands take and return. */
export type Json = Record<string, unknown>;

/** The parent's side: `call()` a command of the worker, and hear its events. */
export class WorkerRpc {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  #seq = 0;
  #failure: Error | undefined;

  /** Relays for `worker` (named in errors as `name`); `onEvent` gets every message that is no answer. */
  constructor(worker: Worker, name: string, onEvent: (message: Json) => void) {
    this.#worker = worker;
    worker.on('message', (message: Json) => {
      const waiter = typeof message['seq'] === 'number' ? this.#pending.get(message['seq']) : undefined;
      if (!waiter) {
        onEvent(message);
        return;
      }
      this.#pending.delete(message['seq'] as number);
      if (message['ok']) waiter.resolve((message['result'] ?? {}) as Json);
      else waiter.reject(new Error(String(message['error'])));
    });
    const fail = (error: Error): void => {
      this.#failure = error;
      for (const waiter of this.#pending.values()) waiter.reject(error);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${name} exited (${code})`)));
  }

  /** Runs `cmd` in the worker; rejects with its error, or once the worker failed or exited. */
  call(cmd: string, args: Json): Promise<Json> {
    if (this.#failure) return Promise.reject(this.#failure);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#worker.postMessage({ seq, cmd, args });
    });
  }
}

/** The worker's side: answers each command on `port` with its handler's result or error. */
export function serveCommands(port: MessagePort, handlers: Record<string, (args: Json) => Promise<Json> | Json>): void {
  port.on('message', (message: { seq: number; cmd: string; args: Json }) => {
    void (async () => {
      try {
        const handler = handlers[message.cmd];
        if (!handler) throw new Error(`unknown command ${message.cmd}`);
        port.postMessage({ seq: message.seq, ok: true, result: await handler(message.args) });
      } catch (error) {
        const e = error as { code?: string; message?: unknown };
        port.postMessage({ seq: message.seq, ok: false, error: `${e.code ? `${e.code} ` : ''}${String(e.message ?? error)}` });
      }
    })();
  });
}
