import { closedError, fromNative } from './errors.js';
import { loadNative, type NativeOutcome, type NativeSyncThreadHandle } from './loader.js';

export type { NativeOutcome as SyncOutcome } from './loader.js';

/** A 32-bit word in shared memory: the buffer that maps it, its byte offset, and the value a wait expects there. */
export interface WaitWord {
  buffer: ArrayBuffer;
  byteOffset: number;
  expected: number;
}

/**
 * A thread of its own for the blocking waits of one synchronization object
 * (@ipckit/sync), so they never block the event loop or the libuv
 * threadpool. An asynchronous wait resolves through the event loop; the
 * `...Sync` forms block the calling thread until the wait ends (for worker
 * threads). One operation at a time: a second while one is pending throws
 * IpcError EINVAL. {@link cancel} ends a pending asynchronous wait with
 * `cancelled`; {@link close} does too, then stops the thread.
 *
 * ## Platform-specific behaviour
 * - Windows: {@link waitHandles} is WaitForMultipleObjects on named kernel
 *   objects, and a mutex it acquires belongs to this thread: release it with
 *   {@link releaseMutex}, which runs ReleaseMutex here. A cancel is immediate.
 * - Linux: {@link semWait} is sem_clockwait on a sem_open semaphore and
 *   {@link waitWords} a futex wait on shared words (futex_waitv for several,
 *   Linux 5.16+); they sleep in slices of 20 ms, so a cancel takes up to 20 ms.
 * - Elsewhere every wait fails with ENOTSUP.
 */
export class SyncThread {
  #handle: NativeSyncThreadHandle | undefined;

  constructor() {
    const { NativeSyncThread } = loadNative();
    try {
      this.#handle = new NativeSyncThread();
    } catch (error: unknown) {
      throw fromNative(error);
    }
  }

  #call<T>(run: (handle: NativeSyncThreadHandle) => T): T {
    const handle = this.#handle;
    if (handle === undefined) throw closedError('sync thread');
    try {
      return run(handle);
    } catch (error: unknown) {
      throw fromNative(error);
    }
  }

  async #callAsync(run: (handle: NativeSyncThreadHandle) => Promise<NativeOutcome>): Promise<NativeOutcome> {
    try {
      return await this.#call(run);
    } catch (error: unknown) {
      throw fromNative(error);
    }
  }

  /** Windows: waits until one of `handles` (at most 63) is signalled, or `timeoutMs` passes. */
  waitHandles(handles: bigint[], timeoutMs = Infinity): Promise<NativeOutcome> {
    return this.#callAsync((h) => h.waitHandles(handles, timeoutMs));
  }

  /** The blocking form of {@link waitHandles}. */
  waitHandlesSync(handles: bigint[], timeoutMs = Infinity): NativeOutcome {
    return this.#call((h) => h.waitHandlesSync(handles, timeoutMs));
  }

  /** Windows: ReleaseMutex, run on this thread (the one that acquired the mutex). */
  releaseMutex(handle: bigint): void {
    this.#call((h) => h.releaseMutex(handle));
  }

  /** POSIX: waits on the sem_open semaphore at `address` (a `sem_t *`). */
  semWait(address: bigint, timeoutMs = Infinity): Promise<NativeOutcome> {
    return this.#callAsync((h) => h.semWait(address, timeoutMs));
  }

  /** The blocking form of {@link semWait}. */
  semWaitSync(address: bigint, timeoutMs = Infinity): NativeOutcome {
    return this.#call((h) => h.semWaitSync(address, timeoutMs));
  }

  /**
   * Linux: sleeps while every word holds its expected value, until one is
   * woken (`done`, `index` = which; possibly spurious: re-read the words) or
   * differs (`not-equal`), or `timeoutMs` passes.
   */
  waitWords(words: readonly WaitWord[], timeoutMs = Infinity): Promise<NativeOutcome> {
    return this.#callAsync((h) => h.waitWords(...wordArgs(words), timeoutMs));
  }

  /** The blocking form of {@link waitWords}. */
  waitWordsSync(words: readonly WaitWord[], timeoutMs = Infinity): NativeOutcome {
    return this.#call((h) => h.waitWordsSync(...wordArgs(words), timeoutMs));
  }

  /** Linux: wakes up to `count` waiters on a shared word (FUTEX_WAKE); `Infinity` for all. */
  wakeWord(buffer: ArrayBuffer, byteOffset: number, count = 1): void {
    this.#call((h) => h.wakeWord(buffer, byteOffset, count));
  }

  /** Ends a pending asynchronous wait early: it resolves with `cancelled`. */
  cancel(): void {
    this.#handle?.cancel();
  }

  /** A pending wait no longer keeps the process alive on its own. */
  unref(): this {
    this.#call((h) => h.unref());
    return this;
  }

  /** A pending wait keeps the process alive (the default). */
  ref(): this {
    this.#call((h) => h.ref());
    return this;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#handle === undefined;
  }

  /** Cancels a pending wait (it resolves `cancelled`), then stops the thread. Idempotent. */
  close(): void {
    const handle = this.#handle;
    this.#handle = undefined;
    handle?.close();
  }
}

function wordArgs(words: readonly WaitWord[]): [ArrayBuffer[], number[], number[]] {
  return [words.map((w) => w.buffer), words.map((w) => w.byteOffset), words.map((w) => w.expected)];
}
