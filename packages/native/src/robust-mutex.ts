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
