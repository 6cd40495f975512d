import { fromNative } from './errors.js';
import { loadNative, type NativeBinding } from './loader.js';

function call<T>(run: (binding: NativeBinding) => T): T {
  try {
    return run(loadNative());
  } catch (error: unknown) {
    throw fromNative(error);
  }
}

/**
 * A process-shared, robust, non-recursive POSIX mutex (pthread_mutex_t) in
 * shared memory: the word-level calls @ipckit/sync builds its Mutex on.
 * Each runs on the calling thread, which becomes the holder (only it may
 * unlock: EPERM otherwise, as IpcError EACCES). The mutex lives at
 * `byteOffset` of `buffer` (8-byte aligned, {@link robustMutexSize} bytes),
 * typically a mapped region; any process that maps the same memory shares it,
 * C programs included (pthread_mutex_lock/unlock on the same bytes).
 *
 * Foreign bytes are refused before glibc sees them: every lock, trylock and
 * unlock first checks the mutex's type word against the one {@link init}
 * writes (IpcError EINVAL otherwise), since glibc asserts and aborts the
 * process on some kinds (priority ceiling, priority inheritance with a dead
 * owner). The check and the call are not one atomic step: a peer that
 * rewrites the bytes in between can still reach glibc.
 *
 * When the holder died, the next lock takes the mutex, marks it consistent
 * at once (pthread_mutex_consistent) and says `abandoned`: the data it guards
 * may be half-written, but the mutex stays usable, as a Windows mutex does
 * after WAIT_ABANDONED.
 *
 * ## Platform-specific behaviour
 * Linux (glibc) only; on Windows and elsewhere every call throws ENOTSUP
 * (Windows has named kernel mutexes instead: CreateMutexW).
 */
export const robustMutex = {
  /** sizeof(pthread_mutex_t) here: 40 bytes on x86-64 glibc, 48 on arm64; 0 where unsupported. */
  size(): number {
    return call((b) => b.mutexSize);
  },
  /** Initialises the mutex in place (unlocked). Only its creator calls this, once, before anyone else uses it. */
  init(buffer: ArrayBuffer, byteOffset: number): void {
    call((b) => b.mutexInit(buffer, byteOffset));
  },
  /** Takes the mutex if it is free; never blocks. */
  tryLock(buffer: ArrayBuffer, byteOffset: number): 'acquired' | 'abandoned' | 'busy' {
    return call((b) => b.mutexTryLock(buffer, byteOffset));
  },
  /** Takes the mutex, blocking the calling thread up to `timeoutMs` (for worker threads). */
  lock(buffer: ArrayBuffer, byteOffset: number, timeoutMs = Infinity): 'acquired' | 'abandoned' | 'timed-out' {
    return call((b) => b.mutexLock(buffer, byteOffset, timeoutMs));
  },
  /** Releases the mutex; EACCES (EPERM) when the calling thread does not hold it. */
  unlock(buffer: ArrayBuffer, byteOffset: number): void {
    call((b) => b.mutexUnlock(buffer, byteOffset));
  },
};

/**
 * A sem_open semaphore's count, changed in one step: the word-level call
 * behind @ipckit/sync's Semaphore.release(count).
 *
 * ## Platform-specific behaviour
 * Linux only (ENOTSUP elsewhere). On glibc 2.21 and later (64-bit) one
 * compare-and-swap on the semaphore's value and one FUTEX_WAKE of up to
 * `count` waiters, what `count` sem_post calls leave, in constant time; on
 * another C library, `count` sem_post calls, undone when one fails.
 */
export const namedSemaphore = {
  /**
   * Adds `count` (1 to 2^32 - 1) to the semaphore at `address` (a `sem_t *`
   * from sem_open), all or nothing: IpcError EIO with osCode EOVERFLOW, and
   * nothing added, when the count would pass SEM_VALUE_MAX (2^31 - 1).
   */
  post(address: bigint, count: number): void {
    call((b) => b.semPost(address, count));
  },
};
