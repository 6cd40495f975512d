/**
 * A named mutex that processes (and native programs) share. See docs/sync.md.
 */
import { IpcError } from '@ipckit/core';
import { setLongTimeout } from '@ipckit/core/kit';
import type { LockResult, MutexHandle } from './backend.js';
import { NamedSyncObject, createRequest, openWaiting, prepare, type CreateOptions, type OpenOptions } from './objects.js';
import { cancelled, checkTimeout, deadlineOf, remaining, timedOut, type Deadline, type SyncWaitOptions, type WaitOptions } from './wait.js';

/**
 * Proof of holding a {@link Mutex}: release it with {@link release} or let
 * `using` / `await using` release it at the end of the scope, on every path.
 */
export class MutexGuard implements Disposable, AsyncDisposable {
  #mutex: Mutex | undefined;

  /** @internal made by Mutex */
  constructor(
    mutex: Mutex,
    /**
     * True when the previous holder died holding the mutex (Windows
     * WAIT_ABANDONED, POSIX EOWNERDEAD): the data it guards may be
     * half-written; check or repair it before relying on it.
     */
    readonly abandoned: boolean,
  ) {
    this.#mutex = mutex;
  }

  /** Releases the mutex. Once only: a second call does nothing. */
  release(): void {
    const mutex = this.#mutex;
    this.#mutex = undefined;
    mutex?.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

interface Turn {
  resolve: () => void;
  reject: (error: IpcError) => void;
}

/**
 * A named mutex shared by processes, robust: when a holder's process dies,
 * the next acquirer gets it and is told (`guard.abandoned`).
 *
 * The Mutex object is the holder, not the calling thread or async function,
 * and it is not recursive: while this object holds the mutex, another
 * `acquire()` on it waits in line (in this process, first come first served)
 * until {@link release}, even from the same async function. Two Mutex
 * objects on one name, in one process or in two, exclude each other.
 * Releasing a mutex this object does not hold is IpcError EACCES, as the OS
 * says for a release by a non-owner (ERROR_NOT_OWNER, EPERM).
 *
 * ## Platform-specific behaviour
 * - Windows: a named kernel mutex (CreateMutexW / OpenMutexW), so a C, C++
 *   or C# program that uses the name takes part. A Windows mutex belongs to
 *   a thread; each Mutex object acquires and releases it on a native thread
 *   of its own. It goes when its last handle closes.
 * - POSIX (Linux): a process-shared robust pthread mutex in a 128-byte
 *   region of the same name (layout in docs/sync.md), held by the JavaScript
 *   thread that acquires it. A C program maps the region and calls
 *   pthread_mutex_lock on it. The creator forgets the name on close unless
 *   `unlinkOnClose: false`.
 */
export class Mutex extends NamedSyncObject<MutexHandle> {
  /** Someone in this process holds it through this object, or is acquiring it. */
  #busy = false;
  #held = false;
  readonly #line: Turn[] = [];

  /** @internal made by createMutex / openMutex / openOrCreateMutex */
  constructor(name: string, path: string, handle: MutexHandle) {
    super(name, path, handle, 'mutex');
  }

  /** True while this object holds the mutex. */
  get held(): boolean {
    return this.#held;
  }

  #took(result: LockResult): MutexGuard {
    this.#held = true;
    return new MutexGuard(this, result === 'abandoned');
  }

  /**
   * Waits for this object's turn while another acquire in this process holds
   * or is acquiring: resolved by {@link #next}, which hands the turn over
   * (the object stays busy), so nobody can jump the line.
   */
  #turn(deadline: Deadline): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const left = remaining(deadline);
      const turn: Turn = {
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const timer = setLongTimeout(() => turn.reject(timedOut(`acquiring the mutex ${this.path}`, deadline)), left);
      const onAbort = (): void => turn.reject(cancelled(deadline.signal));
      const done = (): void => {
        timer.clear();
        deadline.signal?.removeEventListener('abort', onAbort);
        const at = this.#line.indexOf(turn);
        if (at >= 0) this.#line.splice(at, 1);
      };
      deadline.signal?.addEventListener('abort', onAbort, { once: true });
      this.#line.push(turn);
    });
  }

  /** Hands the turn to the next in line, or marks the object free. */
  #next(): void {
    const turn = this.#line.shift();
    if (turn) turn.resolve();
    else this.#busy = false;
  }

  /**
   * Acquires the mutex, waiting without blocking the event loop (on a native
   * thread, woken by the release, not polled). Rejects with ETIMEDOUT after
   * `timeoutMs`, ECANCELED when `signal` aborts, ECLOSED when the object is
   * closed meanwhile.
   */
  async acquire(options?: WaitOptions): Promise<MutexGuard> {
    const handle = this.handle();
    const deadline = deadlineOf(options);
    if (this.#busy) await this.#turn(deadline);
    else this.#busy = true;
    try {
      if (this.closed) throw this.closedError();
      const now = handle.tryLock();
      if (now !== undefined) return this.#took(now);
      if (remaining(deadline) === 0) throw timedOut(`acquiring the mutex ${this.path}`, deadline);
      return this.#took(await handle.lock(deadline));
    } catch (error) {
      this.#next();
      throw error;
    }
  }

  /**
   * Acquires the mutex, blocking the calling thread (for worker threads;
   * never on the main thread of a server). ETIMEDOUT after `timeoutMs`. EINVAL
   * when this object already holds it or is acquiring it: the thread would
   * wait for itself.
   */
  acquireSync(options?: SyncWaitOptions): MutexGuard {
    const handle = this.handle();
    const timeoutMs = checkTimeout(options?.timeoutMs);
    if (this.#busy) {
      throw new IpcError(
        'EINVAL',
        `this Mutex object already ${this.#held ? 'holds' : 'is acquiring'} ${this.path}; a blocking acquire would wait for itself (mutexes are not recursive)`,
      );
    }
    this.#busy = true;
    try {
      const result = handle.lockSync(timeoutMs);
      if (result === undefined) throw timedOut(`acquiring the mutex ${this.path}`, { timeoutMs });
      return this.#took(result);
    } catch (error) {
      this.#next();
      throw error;
    }
  }

  /** Acquires the mutex if it is free right now; undefined otherwise. Never waits. */
  tryAcquire(): MutexGuard | undefined {
    const handle = this.handle();
    if (this.#busy) return undefined;
    const result = handle.tryLock();
    if (result === undefined) return undefined;
    this.#busy = true;
    return this.#took(result);
  }

  /** Releases the mutex. EACCES when this object does not hold it. */
  release(): void {
    const handle = this.handle();
    if (!this.#held) throw new IpcError('EACCES', `this Mutex object does not hold ${this.path}`, { path: this.path });
    handle.unlock();
    this.#held = false;
    this.#next();
  }

  /**
   * Closes the object: a held mutex is released first, waits in line reject
   * with ECLOSED, a wait in progress ends with ECLOSED. Idempotent.
   */
  override close(): void {
    if (this.closed) return;
    if (this.#held) {
      this.handle().unlock();
      this.#held = false;
    }
    for (const turn of this.#line.splice(0)) turn.reject(this.closedError());
    super.close();
  }
}

/** Creates the mutex `name`; EADDRINUSE when it exists. */
export async function createMutex(name: string, options?: CreateOptions): Promise<Mutex> {
  const { backend, osName } = await prepare(name);
  return new Mutex(name, osName, await backend.openMutex(createRequest(osName, 'create', options)));
}

/** Opens the existing mutex `name`; ENOENT when missing (or waits for it: {@link OpenOptions}). */
export async function openMutex(name: string, options?: OpenOptions): Promise<Mutex> {
  const { backend, osName } = await prepare(name);
  return new Mutex(name, osName, await openWaiting(osName, options, (request) => backend.openMutex(request)));
}

/** Opens the mutex `name`, or creates it; `existed` says which. */
export async function openOrCreateMutex(name: string, options?: CreateOptions): Promise<Mutex> {
  const { backend, osName } = await prepare(name);
  return new Mutex(name, osName, await backend.openMutex(createRequest(osName, 'open-or-create', options)));
}
