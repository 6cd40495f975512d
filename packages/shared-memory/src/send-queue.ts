/**
 * A channel's queue of asynchronous sends that did not fit the ring at once:
 * they go in order, each as soon as there is room, and a send's timeout or
 * signal withdraws it whole while nothing of it is in the ring (the Channel
 * contract, Rule 4).
 */
import type { IpcError } from '@ipckit/core';
import { watchWait, type CheckedWait } from '@ipckit/core/kit';

/** One send on its way into the ring. */
export interface PendingSend {
  message: Uint8Array;
  /** Bytes of the message already in the ring: above 0, the send has begun and can no longer be withdrawn (Rule 4). */
  offset: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Stops the watch of the send's timeout and signal. */
  stop: () => void;
  settled: boolean;
}

function noop(): void {
  // Nothing to stop.
}

/** The bookkeeping of a send made by a blocking method (or a reserve): nobody waits on its promise. */
export function blockingOp(message: Uint8Array): PendingSend {
  return { message, offset: 0, resolve: noop, reject: noop, stop: noop, settled: false };
}

/** True once all of the send is in the ring (a 0-byte message counts once its record is). */
export function sent(op: PendingSend): boolean {
  return op.offset >= op.message.length && (op.offset > 0 || op.message.length > 0);
}

/** What the queue needs from its channel. */
export interface SendQueueHooks {
  /** Why nothing queued can go into the ring any more, or undefined. */
  deliveryError(): IpcError | undefined;
  /** Writes as much of `op` as fits now (advancing its offset) and wakes the consumer. */
  write(op: PendingSend): void;
  /** Waits (spins, then sleeps) until `op` may go on: room, a failed delivery, or `op` settled. */
  waitWritable(op: PendingSend): Promise<void>;
  /** Ends the pump's sleep for room, so it looks at the next send. */
  interruptSend(): void;
  /** A send cut short (part of it is in the ring) timed out or was aborted: the channel must close. */
  tear(): void;
}

/** The sends of one channel that wait for room, in order. */
export class SendQueue {
  readonly #ops: PendingSend[] = [];
  readonly #hooks: SendQueueHooks;
  #pumping = false;
  /** Resolves a wait for the queue to empty. */
  #onEmpty: (() => void) | undefined;

  constructor(hooks: SendQueueHooks) {
    this.#hooks = hooks;
  }

  /** How many sends wait. */
  get length(): number {
    return this.#ops.length;
  }

  /** Queues a send of which `offset` bytes are already in the ring; `wait` may withdraw it. */
  add(message: Uint8Array, offset: number, wait: CheckedWait, resolve: () => void, reject: (error: unknown) => void): void {
    const op: PendingSend = { message, offset, resolve, reject, stop: noop, settled: false };
    this.#ops.push(op);
    op.stop = watchWait(wait, 'the send', (error) => this.#expire(op, error));
    void this.#pump();
  }

  /** Settles every queued send with `error`. */
  rejectAll(error: IpcError): void {
    for (const op of this.#ops.splice(0)) this.#settle(op, error);
    this.#emptied();
  }

  /** Resolves once the queue is empty, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    if (this.#ops.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#onEmpty = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.#onEmpty = undefined;
  }

  #settle(op: PendingSend, error?: IpcError): void {
    if (op.settled) return;
    op.settled = true;
    op.stop();
    if (error) op.reject(error);
    else op.resolve();
  }

  #emptied(): void {
    const onEmpty = this.#onEmpty;
    this.#onEmpty = undefined;
    onEmpty?.();
  }

  /** A queued send's timeout passed or its signal aborted (Rule 4). */
  #expire(op: PendingSend, error: IpcError): void {
    if (op.settled) return;
    const at = this.#ops.indexOf(op);
    if (at < 0) return;
    if (op.offset === 0) {
      // Nothing of it is in the ring: withdrawn whole, the channel stays usable.
      this.#ops.splice(at, 1);
      this.#settle(op, error);
      if (this.#ops.length === 0) this.#emptied();
      // The pump may be asleep waiting for room for it: let it look at the next one.
      if (at === 0) this.#hooks.interruptSend();
      return;
    }
    // Its first fragments are in the ring: taking it back would tear the message. The
    // channel closes; the peer drops the part it got and sees the channel end.
    this.#ops.splice(at, 1);
    this.#settle(op, error);
    this.#hooks.tear();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    const hooks = this.#hooks;
    try {
      while (this.#ops.length > 0) {
        const op = this.#ops[0]!;
        const bad = hooks.deliveryError();
        if (bad) {
          this.rejectAll(bad);
          return;
        }
        hooks.write(op);
        if (sent(op)) {
          this.#ops.shift();
          this.#settle(op);
          if (this.#ops.length === 0) this.#emptied();
          continue;
        }
        await hooks.waitWritable(op);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
