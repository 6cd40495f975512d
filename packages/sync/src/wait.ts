/**
 * What every wait of @ipckit/sync shares: its options (a timeout and an
 * AbortSignal), the deadline they make, and the threads the waits sleep on
 * (one per object for its asynchronous waits: {@link WaitLine}).
 */
import { IpcError } from '@ipckit/core';
import { rejection, setLongTimeout, validateSignal, type LongTimeout } from '@ipckit/core/kit';
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
 * Where one object's asynchronous waits in this process sleep: one native
 * thread for all of them. Waiters stand in line (first come, first served);
 * the thread sleeps in the kernel for the head of the line (a futex wait, a
 * sem_wait, a WaitForSingleObject) and each time it wakes the line takes
 * what is there, as many waiters as there are units (every waiter, for a
 * manual-reset event that is set), and sleeps again while anyone is left.
 * So an object has at most one waiting OS thread however many waits are
 * pending (600 waits: one thread, not 600), and keeps it, idle, until close.
 * Timeouts and signals are per waiter, on the event loop.
 */
export interface WaitSource {
  /** Takes one unit now if there is one; never blocks. Throws (EIO) when the object's state is not valid. */
  tryTake(): boolean;
  /** Sleeps on `thread` until a unit may be there: `done` after a native wait that took one when {@link sleepTakes}. */
  sleep(thread: SyncThread): Promise<SyncOutcome>;
  /** True when a `done` sleep took a unit (sem_wait, WaitForSingleObject); false when it only woke (futex). */
  readonly sleepTakes: boolean;
  /** Gives back a unit a sleep took when nobody is left in line to have it. */
  giveBack(): void;
  /** A waiter joins the line (an auto-reset event counts its waiters). */
  enter?(): void;
  /** A waiter leaves the line; `gaveUp` when it timed out or was aborted rather than served or closed. */
  exit?(gaveUp: boolean): void;
}

interface Waiter {
  readonly deadline: Deadline;
  timer: LongTimeout | undefined;
  onAbort: (() => void) | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** The line of one object's asynchronous waits and the one thread that sleeps for it (see {@link WaitSource}). */
export class WaitLine {
  readonly #line: Waiter[] = [];
  #thread: SyncThread | undefined;
  #sleeping = false;
  #closed = false;

  constructor(
    private readonly source: WaitSource,
    private readonly what: string,
  ) {}

  /** Waits for one unit: resolves when this waiter got it; ETIMEDOUT, ECANCELED, ECLOSED, or the error of a failed sleep. */
  take(deadline: Deadline): Promise<void> {
    if (this.#closed) return Promise.reject(new IpcError('ECLOSED', `${this.what}: the object is closed`));
    try {
      if (this.#line.length === 0 && this.source.tryTake()) return Promise.resolve();
    } catch (error) {
      return rejection(error);
    }
    if (remaining(deadline) === 0) return Promise.reject(timedOut(this.what, deadline));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { deadline, timer: undefined, onAbort: undefined, resolve, reject };
      const left = remaining(deadline);
      if (left !== Infinity) waiter.timer = setLongTimeout(() => this.#leave(waiter, timedOut(this.what, deadline), true), left);
      if (deadline.signal) {
        waiter.onAbort = () => this.#leave(waiter, cancelled(deadline.signal), true);
        deadline.signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#line.push(waiter);
      this.source.enter?.();
      this.#pump();
    });
  }

  /** How many waits stand in line. */
  get waiting(): number {
    return this.#line.length;
  }

  /** Serves the line from what is there now (a set, a post that came without a wake-up meant for us). */
  serve(): void {
    this.#pump();
  }

  /** Ends every wait with ECLOSED and stops the thread; it has left the kernel when this returns (the memory may go). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = new IpcError('ECLOSED', `${this.what}: the object was closed while waiting`);
    for (const waiter of [...this.#line]) this.#settle(waiter, false, error);
    this.#thread?.close();
    this.#thread = undefined;
  }

  /** Takes the waiter out of the line and settles it (`error` undefined: it got a unit). */
  #settle(waiter: Waiter, gaveUp: boolean, error?: unknown): boolean {
    const at = this.#line.indexOf(waiter);
    if (at < 0) return false;
    this.#line.splice(at, 1);
    waiter.timer?.clear();
    if (waiter.onAbort) waiter.deadline.signal?.removeEventListener('abort', waiter.onAbort);
    this.source.exit?.(gaveUp);
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
    return true;
  }

  #leave(waiter: Waiter, error: IpcError, gaveUp: boolean): void {
    if (!this.#settle(waiter, gaveUp, error)) return;
    // Nobody left to sleep for: end the native wait (a unit it takes meanwhile is given back).
    if (this.#line.length === 0 && this.#sleeping) this.#thread?.cancel();
  }

  /** Hands out what is there, then sleeps for the rest. */
  #pump(): void {
    if (this.#closed) return;
    try {
      while (this.#line[0] !== undefined && this.source.tryTake()) this.#settle(this.#line[0], false);
    } catch (error) {
      // The object's state is not valid: every waiter is told, nobody spins on it.
      for (const waiter of [...this.#line]) this.#settle(waiter, false, error);
      return;
    }
    if (this.#line.length === 0 || this.#sleeping) return;
    const thread = (this.#thread ??= new SyncThread());
    this.#sleeping = true;
    let sleep: Promise<SyncOutcome>;
    try {
      sleep = this.source.sleep(thread);
    } catch (error) {
      sleep = rejection(error);
    }
    sleep.then(
      (outcome) => this.#woke(outcome),
      (error: unknown) => this.#failed(error),
    );
  }

  #woke(outcome: SyncOutcome): void {
    this.#sleeping = false;
    if (this.#closed) return;
    if (this.source.sleepTakes && (outcome.result === 'done' || outcome.result === 'abandoned')) {
      const head = this.#line[0];
      if (head) this.#settle(head, false);
      else this.source.giveBack();
    }
    this.#pump();
  }

  /** The sleep failed (no thread could be started: ENOMEM; an OS error): the waiters in line get the error. */
  #failed(error: unknown): void {
    this.#sleeping = false;
    if (this.#closed) return;
    for (const waiter of [...this.#line]) this.#settle(waiter, false, error);
  }
}

/**
 * Threads for waits that each need their own (waitAny: each call waits on
 * its own set of words or handles), shared by a process: a call takes one
 * and gives it back; at most {@link IDLE_THREADS} idle ones are kept, the
 * others stop.
 */
export class ThreadCache {
  static readonly IDLE_THREADS = 4;
  readonly #idle: SyncThread[] = [];

  /** An idle thread, or a new one (its OS thread starts with its first wait). */
  take(): SyncThread {
    return this.#idle.pop() ?? new SyncThread();
  }

  /** Returns a thread after its wait ended; one closed meanwhile (its event was closed) is dropped. */
  give(thread: SyncThread): void {
    if (thread.closed) return;
    if (this.#idle.length < ThreadCache.IDLE_THREADS) this.#idle.push(thread);
    else thread.close();
  }
}

/** A handle that waits for one unit (a semaphore's count, an event's state). */
export interface UnitHandle {
  tryWait(): boolean;
  wait(deadline: Deadline): Promise<void>;
  waitSync(timeoutMs: number): boolean;
}

/** Takes one unit of `handle`, waiting in its line without blocking the event loop: ETIMEDOUT, ECANCELED, ECLOSED. */
export async function takeUnit(handle: UnitHandle, options: WaitOptions | undefined): Promise<void> {
  // The handle's line tries first (a unit there now is taken at once) and times a 0 timeout out.
  await handle.wait(deadlineOf(options));
}

/** Takes one unit of `handle`, blocking the calling thread; ETIMEDOUT after `timeoutMs`. */
export function takeUnitSync(handle: UnitHandle, what: string, options: SyncWaitOptions | undefined): void {
  const timeoutMs = checkTimeout(options?.timeoutMs);
  if (!handle.tryWait() && !handle.waitSync(timeoutMs)) throw timedOut(what, { timeoutMs });
}
