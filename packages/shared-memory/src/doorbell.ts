/**
 * One doorbell per JavaScript thread for the asynchronous waits of every
 * shm:// channel in it. A side with nothing to do (no data to read, no room
 * to write) does not keep a native thread per channel asleep: it writes its
 * token and its doorbell's thread id into the ring's header, marks itself
 * asleep on the doorbell, and waits; the peer, after publishing, takes the
 * mark back (a compare-exchange, so one peer rings once per sleep) and rings
 * that doorbell with the token. The event loop wakes directly (the doorbell
 * is a socket it watches on Linux, an event on Windows), and only the waiter
 * of that token looks at its ring. So a waiting channel costs the same
 * however many there are, and a wake-up is one hop, not a native thread's
 * and then the event loop's.
 *
 * The ring protocol keeps both ways of sleeping (docs/ring-protocol.md §3):
 * 1 means "asleep on the ring's bell word" (a futex or named event: the
 * blocking APIs, and peers written from the document alone), 2 "asleep on my
 * doorbell", which a side uses only when its peer says it rings doorbells (a
 * flag each side sets when it attaches) and its own doorbell is bound.
 */
import type { DoorbellBackend } from './backend.js';

/** How often every waiter looks at its ring and its peer anyway (a lost ring, a dead peer). */
export const SWEEP_MS = 250;

export class Doorbell {
  readonly #backend: DoorbellBackend;
  readonly #waiters = new Map<number, () => void>();
  /** Open channels per peer process: when none is left, what ring() keeps open to it is let go. */
  readonly #peers = new Map<number, number>();
  #nextToken = 1;
  #sweep: NodeJS.Timeout | undefined;
  /** False when this thread's doorbell could not be bound: its waits then sleep on bell words. */
  readonly usable: boolean;

  constructor(backend: DoorbellBackend) {
    this.#backend = backend;
    this.usable = backend.start((tokens) => {
      this.#wake(tokens);
    });
  }

  /** This doorbell's JavaScript thread id, written into ring headers beside the token. */
  get thread(): number {
    return this.#backend.thread;
  }

  /** A token for one sleeping spot (a ring side of a channel), unique in this thread. */
  token(): number {
    const token = this.#nextToken;
    this.#nextToken = this.#nextToken >= 0x7ffffffe ? 1 : this.#nextToken + 1;
    return token;
  }

  /**
   * Waits until `token` is rung, or the next sweep (at most SWEEP_MS). The
   * caller has already marked itself asleep and looked at its ring again.
   */
  wait(token: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.set(token, resolve);
      if (this.#waiters.size === 1) {
        this.#backend.resume();
        // One sweep timer for good; it keeps the event loop alive only while someone waits.
        this.#sweep ??= setInterval(() => {
          if (this.#waiters.size > 0) this.#wake(undefined);
        }, SWEEP_MS);
        this.#sweep.ref();
      }
    });
  }

  /** Ends the wait of `token` now (close, a dead peer). */
  interrupt(token: number): void {
    this.#wake([token]);
  }

  /** A channel to process `pid` opened: rings to it may keep a connection open until {@link release}. */
  retain(pid: number): void {
    this.#peers.set(pid, (this.#peers.get(pid) ?? 0) + 1);
  }

  /** A channel to process `pid` closed; the last one lets go of the connections to its doorbells. */
  release(pid: number): void {
    const left = (this.#peers.get(pid) ?? 1) - 1;
    if (left > 0) {
      this.#peers.set(pid, left);
      return;
    }
    this.#peers.delete(pid);
    this.#backend.forget(pid);
  }

  /**
   * Rings the doorbell of thread `thread` of process `pid` for `token`; false when it has none.
   * `defer`: only from asynchronous sends and receives, whose thread's event loop goes on. POSIX:
   * then the rings after a turn's first to the same thread are sent together when the turn ends,
   * or at {@link flushRings}; a blocking API rings at once (its loop may not turn for a while).
   */
  ring(pid: number, thread: number, token: number, defer = false): boolean {
    return this.#backend.ring(pid, thread, token, defer);
  }

  /** Sends the rings queued so far (see ring). */
  flush(): void {
    this.#backend.flush();
  }

  #wake(tokens: readonly number[] | undefined): void {
    if (tokens === undefined) {
      const all = [...this.#waiters.values()];
      this.#waiters.clear();
      for (const resolve of all) resolve();
    } else {
      for (const token of tokens) {
        const resolve = this.#waiters.get(token);
        if (resolve === undefined) continue;
        this.#waiters.delete(token);
        resolve();
      }
    }
    if (this.#waiters.size === 0 && this.#sweep !== undefined) {
      this.#backend.pause();
      this.#sweep.unref();
    }
  }
}

let instance: Doorbell | undefined;

/** This thread's doorbell, made (and bound) on first use. */
export function threadDoorbell(backend: DoorbellBackend): Doorbell {
  return (instance ??= new Doorbell(backend));
}

/**
 * Sends this thread's queued doorbell rings now: called before a spin or a
 * blocking wait, either of which may wait for an answer to them. Nothing
 * before the thread's doorbell exists.
 */
export function flushRings(): void {
  instance?.flush();
}
