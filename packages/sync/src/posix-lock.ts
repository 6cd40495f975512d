/**
 * POSIX: a robust pthread mutex in an object's region (the Mutex, and the
 * post guard of a Semaphore's record), taken without blocking the event loop.
 */
import { robustMutex, SyncThread } from '@ipckit/native';
import type { LockResult, MutexHandle } from './backend.js';
import { FUTEX_TID_MASK, FUTEX_WAITERS, MUTEX_OFFSET } from './layout.js';
import type { ObjectRegion } from './posix-region.js';
import { remaining, timedOut, waitOn, type Deadline } from './wait.js';

/**
 * A robust pthread mutex at `offset` of a region, held by the JavaScript
 * thread that locks it. An uncontended lock is one pthread_mutex_trylock on
 * this thread. A contended asynchronous lock sleeps on a SyncThread until
 * the lock word changes, announcing itself as a waiter the way glibc's own
 * waiters do (the FUTEX_WAITERS bit, so the holder's unlock wakes it), and
 * tries again: the event loop never blocks, and the thread that ends up
 * holding the mutex is the one that will unlock it. One asynchronous lock at
 * a time (the Mutex object's line sees to it), so one thread per lock.
 */
export class RobustLock {
  readonly #word: Int32Array;
  #thread: SyncThread | undefined;
  /** The last lock came after a wait, which took the wake-up meant for one sleeper: pass one on at unlock. */
  #waited = false;

  constructor(
    readonly object: ObjectRegion,
    readonly offset: number,
  ) {
    this.#word = new Int32Array(object.buffer, object.base + offset, 1);
  }

  #try(): LockResult | undefined {
    const r = robustMutex.tryLock(this.object.buffer, this.object.base + this.offset);
    return r === 'busy' ? undefined : r;
  }

  tryLock(): LockResult | undefined {
    const r = this.#try();
    if (r !== undefined) this.#waited = false;
    return r;
  }

  async lock(deadline: Deadline, what: string): Promise<LockResult> {
    for (;;) {
      const r = this.#try();
      if (r !== undefined) return r;
      const left = remaining(deadline);
      if (left === 0) throw timedOut(what, deadline);
      const seen = Atomics.load(this.#word, 0);
      if (seen === 0) {
        // Freed between the try and the load: try again once the event loop has run.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      let expected = seen;
      // A word with no owner that trylock still calls busy (0x80000000: waiters, no TID) is held as far
      // as glibc is concerned, and it sleeps on it: so does this, until it changes or the time is up.
      if ((seen & FUTEX_TID_MASK) !== 0 && (seen & FUTEX_WAITERS) === 0) {
        const announced = seen | FUTEX_WAITERS;
        if (Atomics.compareExchange(this.#word, 0, seen, announced) !== seen) continue;
        expected = announced;
      }
      const { buffer } = this.object;
      const byteOffset = this.object.base + this.offset;
      const thread = (this.#thread ??= new SyncThread());
      const outcome = await waitOn(thread, deadline.signal, what, () => thread.waitWords([{ buffer, byteOffset, expected: expected >>> 0 }], left));
      this.#waited = true;
      if (outcome.result === 'timed-out') {
        const last = this.#try();
        if (last !== undefined) return last;
        throw timedOut(what, deadline);
      }
    }
  }

  lockSync(timeoutMs: number): LockResult | undefined {
    this.#waited = false;
    const r = robustMutex.lock(this.object.buffer, this.object.base + this.offset, timeoutMs);
    return r === 'timed-out' ? undefined : r;
  }

  unlock(): void {
    robustMutex.unlock(this.object.buffer, this.object.base + this.offset);
    if (this.#waited) {
      this.#waited = false;
      (this.#thread ??= new SyncThread()).wakeWord(this.object.buffer, this.object.base + this.offset, 1);
    }
  }

  /** Ends a lock in progress (ECLOSED) and stops its thread: it has left the kernel when this returns. */
  close(): void {
    this.#thread?.close();
    this.#thread = undefined;
  }
}

/** A Mutex object's handle: the robust mutex at byte 64 of its region. */
export class PosixMutex implements MutexHandle {
  readonly #lock: RobustLock;

  constructor(readonly object: ObjectRegion) {
    this.#lock = new RobustLock(object, MUTEX_OFFSET);
  }

  get existed(): boolean {
    return this.object.existed;
  }

  tryLock(): LockResult | undefined {
    return this.#lock.tryLock();
  }

  lock(deadline: Deadline): Promise<LockResult> {
    return this.#lock.lock(deadline, `acquiring the mutex ${this.object.path}`);
  }

  lockSync(timeoutMs: number): LockResult | undefined {
    return this.#lock.lockSync(timeoutMs);
  }

  unlock(): void {
    this.#lock.unlock();
  }

  close(): void {
    this.#lock.close();
    this.object.close();
  }
}
