/**
 * What every wait of @ipckit/sync shares: its options (a timeout and an
 * AbortSignal), the deadline they make, and the threads the waits sleep on.
 */
import { IpcError } from '@ipckit/core';
import { validateSignal } from '@ipckit/core/kit';
import { SyncThread, type SyncOutcome } from '@ipckit/native';

/** Options of every asynchronous wait (acquire, wait). */
export interface WaitOptions {
  /**
   * Give up with IpcError ETIMEDOUT after this many milliseconds (default: no
   * limit; 0 tries once without waiting).
   */
  timeoutMs?: number;
  /** Aborting it ends the wait with IpcError ECANCELED (its `cause` is the signal's reason). */
  signal?: AbortSignal;
}

/** Options of the blocking (`...Sync`) waits, for worker threads: no signal can fire while the thread is blocked. */
export interface SyncWaitOptions {
  /** Give up with IpcError ETIMEDOUT after this many milliseconds (default: no limit). */
  timeoutMs?: number;
}

/** A checked wait: when it ends, and what can cancel it. */
export interface Deadline {
  readonly at: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** Checks a `timeoutMs` option: a number >= 0, or Infinity (the default). EINVAL otherwise. */
export function checkTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new IpcError('EINVAL', `timeoutMs must be a number >= 0 or Infinity, got ${typeof timeoutMs === 'number' ? timeoutMs : typeof timeoutMs}`);
  }
  return timeoutMs;
}

/** Checks a wait's options before anything is done: EINVAL for bad ones, ECANCELED for a signal already aborted. */
export function deadlineOf(options: WaitOptions | undefined): Deadline {
  const timeoutMs = checkTimeout(options?.timeoutMs);
  const signal = validateSignal(options?.signal);
  return { at: timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs, timeoutMs, signal };
}

/** Milliseconds left before `deadline` (0 once it has passed). */
export function remaining(deadline: Deadline): number {
  return deadline.at === Infinity ? Infinity : Math.max(0, deadline.at - performance.now());
}

/** The error of a wait that ran out of time. */
export function timedOut(what: string, limit: Pick<Deadline, 'timeoutMs'>): IpcError {
  return new IpcError('ETIMEDOUT', `${what}: not within ${limit.timeoutMs} ms`);
}

/** The error of a wait its signal aborted. */
export function cancelled(signal: AbortSignal | undefined): IpcError {
  return new IpcError('ECANCELED', 'the wait was aborted', { cause: signal?.reason });
}

/**
 * Runs one wait on `thread`, cancelling it when `signal` aborts. The outcome
 * `cancelled` becomes ECANCELED when the signal did it; otherwise the object
 * was closed meanwhile (ECLOSED).
 */
export async function waitOn(thread: SyncThread, signal: AbortSignal | undefined, what: string, start: () => Promise<SyncOutcome>): Promise<SyncOutcome> {
  const onAbort = (): void => thread.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  let outcome: SyncOutcome;
  try {
    outcome = await start();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (outcome.result === 'cancelled') {
    if (signal?.aborted) throw cancelled(signal);
    throw new IpcError('ECLOSED', `${what}: the object was closed while waiting`);
  }
  return outcome;
}

/**
 * The threads an object's waits sleep on, one per wait in progress: a
 * manual-reset event releases every waiter at once, so concurrent waits
 * cannot share one thread. Idle threads are kept for the next wait and hold
 * no reference on the event loop.
 */
export class ThreadPool {
  readonly #idle: SyncThread[] = [];
  readonly #busy = new Set<SyncThread>();
  #closed = false;

  /** A thread for one wait; give it back with {@link give}. */
  take(): SyncThread {
    if (this.#closed) throw new IpcError('ECLOSED', 'the object is closed');
    const thread = this.#idle.pop() ?? new SyncThread();
    this.#busy.add(thread);
    return thread;
  }

  /** Returns a thread after its wait ended. */
  give(thread: SyncThread): void {
    this.#busy.delete(thread);
    if (this.#closed) thread.close();
    else this.#idle.push(thread);
  }

  /** Runs `use` with a thread of the pool. */
  async with<T>(use: (thread: SyncThread) => Promise<T>): Promise<T> {
    const thread = this.take();
    try {
      return await use(thread);
    } finally {
      this.give(thread);
    }
  }

  /** Runs `use` with a thread of the pool, synchronously. */
  withSync<T>(use: (thread: SyncThread) => T): T {
    const thread = this.take();
    try {
      return use(thread);
    } finally {
      this.give(thread);
    }
  }

  /**
   * Cancels every wait in progress (each ends `cancelled`) and stops every
   * thread. Stopping waits until each thread has left its wait, so the
   * memory or handles they wait on may be released right after.
   */
  close(): void {
    this.#closed = true;
    for (const thread of [...this.#busy, ...this.#idle.splice(0)]) thread.close();
    this.#busy.clear();
  }
}

/** A handle that waits for one unit (a semaphore's count, an event's state). */
export interface UnitHandle {
  tryWait(): boolean;
  wait(deadline: Deadline): Promise<void>;
  waitSync(timeoutMs: number): boolean;
}

/** Takes one unit of `handle`, waiting without blocking the event loop: ETIMEDOUT, ECANCELED, ECLOSED. */
export async function takeUnit(handle: UnitHandle, what: string, options: WaitOptions | undefined): Promise<void> {
  const deadline = deadlineOf(options);
  if (handle.tryWait()) return;
  if (remaining(deadline) === 0) throw timedOut(what, deadline);
  await handle.wait(deadline);
}

/** Takes one unit of `handle`, blocking the calling thread; ETIMEDOUT after `timeoutMs`. */
export function takeUnitSync(handle: UnitHandle, what: string, options: SyncWaitOptions | undefined): void {
  const timeoutMs = checkTimeout(options?.timeoutMs);
  if (!handle.tryWait() && !handle.waitSync(timeoutMs)) throw timedOut(what, { timeoutMs });
}
