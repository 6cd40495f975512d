/**
 * A sleeping spot in a ring header: a bell word the waker counts, the
 * sleeper's "I am asleep" flag, and the OS waiter on the bell (futex /
 * named event through @ipckit/native). docs/ring-protocol.md §3 "Sleeping
 * without losing a wake-up" is the rule these methods follow.
 */
import { openWaiter, type Waiter } from '@ipckit/native';
import { flushRings } from './doorbell.js';

/** One side's sleeping spot: a bell word, a sleeping flag, and waiters on the bell. */
export class Bell {
  readonly #buffer: ArrayBuffer;
  readonly #offset: number;
  readonly #name: string;
  /** For the event loop's waits, and for waking. */
  #async: Waiter | undefined;
  /** For blocking waits, opened on first use (a Waiter serves one pending wait at a time). */
  #sync: Waiter | undefined;

  /**
   * `h` holds the header words; `bellWord` and `sleepingWord` index it.
   * `byteOffset` is the bell word's offset in `buffer`, and `name` the event
   * both processes derive alike (rendezvous.ts, ringBellName).
   */
  constructor(
    readonly h: Int32Array,
    readonly bellWord: number,
    readonly sleepingWord: number,
    buffer: ArrayBuffer,
    byteOffset: number,
    name: string,
  ) {
    this.#buffer = buffer;
    this.#offset = byteOffset;
    this.#name = name;
    this.#async = openWaiter(buffer, byteOffset, name);
  }

  /** Rings unconditionally (close, reset): changes the word, then wakes. */
  ring(): void {
    Atomics.add(this.h, this.bellWord, 1);
    this.#async?.wake();
  }

  /** Sleeps (async) until rung or `timeoutMs`, unless `ready()` already holds after announcing the sleep. */
  async sleep(ready: () => boolean, timeoutMs: number): Promise<void> {
    const waiter = this.#async;
    if (!waiter) return;
    const seq = Atomics.load(this.h, this.bellWord);
    Atomics.store(this.h, this.sleepingWord, 1);
    try {
      if (ready()) return;
      await waiter.wait(seq, timeoutMs);
    } finally {
      if (this.#async) Atomics.store(this.h, this.sleepingWord, 0);
    }
  }

  /** The blocking form, for worker threads. */
  sleepSync(ready: () => boolean, timeoutMs: number): void {
    if (!this.#async) return;
    const waiter = (this.#sync ??= openWaiter(this.#buffer, this.#offset, this.#name));
    const seq = Atomics.load(this.h, this.bellWord);
    Atomics.store(this.h, this.sleepingWord, 1);
    try {
      if (ready()) return;
      // Blocked, the thread's event loop cannot send the rings it queued (doorbell.ts): send them now.
      flushRings();
      waiter.waitSync(seq, timeoutMs);
    } finally {
      Atomics.store(this.h, this.sleepingWord, 0);
    }
  }

  /** Interrupts our own pending sleep (from this process). */
  interrupt(): void {
    this.#async?.wake();
  }

  /** Closes the waiters; a pending sleep of ours ends. */
  close(): void {
    const a = this.#async;
    const s = this.#sync;
    this.#async = undefined;
    this.#sync = undefined;
    a?.close();
    s?.close();
  }
}
