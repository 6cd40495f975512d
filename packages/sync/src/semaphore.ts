/**
 * A named counting semaphore that processes (and native programs) share.
 * See docs/sync.md.
 */
import { validateInteger } from '@ipckit/core/kit';
import type { SemaphoreHandle } from './backend.js';
import { NamedSyncObject, createRequest, openWaiting, prepare, type CreateOptions, type OpenOptions } from './objects.js';
import { takeUnit, takeUnitSync, type SyncWaitOptions, type WaitOptions } from './wait.js';

/** The largest count: Windows takes a LONG. */
export const MAX_SEMAPHORE_COUNT = 0x7fffffff;

/** One unit taken from a {@link Semaphore}: `using` gives it back at the end of the scope. */
export class SemaphoreGuard implements Disposable, AsyncDisposable {
  #semaphore: Semaphore | undefined;

  /** @internal made by Semaphore */
  constructor(semaphore: Semaphore) {
    this.#semaphore = semaphore;
  }

  /** Gives the unit back (release(1)). Once only: a second call does nothing. */
  release(): void {
    const semaphore = this.#semaphore;
    this.#semaphore = undefined;
    semaphore?.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/** Options of createSemaphore / openOrCreateSemaphore. */
export interface SemaphoreOptions extends CreateOptions {
  /** The count it starts with (default 0). */
  initial?: number;
  /** The largest count (default and limit 2^31 - 1); a release past it is refused with EINVAL. */
  max?: number;
}

/**
 * A named counting semaphore shared by processes: acquire takes one unit
 * (waiting while the count is 0), release gives units back. Unlike a mutex
 * it has no owner: any process may release.
 *
 * Threads: this object's asynchronous acquires, however many, stand in one
 * line and sleep on one native thread (kept from the first one until close),
 * blocking ones on one more. An acquire that needs a new thread when the
 * process is at its thread limit rejects with ENOMEM (osCode EAGAIN). See
 * docs/sync.md, "How many threads".
 *
 * ## Platform-specific behaviour
 * - Windows: a named kernel semaphore (CreateSemaphoreW / OpenSemaphoreW);
 *   the OS enforces the maximum. Windows does not tell an opener the
 *   maximum: {@link max} is undefined on an opened semaphore.
 * - POSIX (Linux): a sem_open semaphore of the same name (a C program calls
 *   sem_open, sem_wait and sem_post), and beside it ipckit's 128-byte
 *   record region holding the maximum and a guard that makes "check the
 *   count, then post" atomic among ipckit processes (a native program that
 *   sem_posts without the guard can pass the maximum). A bare semaphore a C
 *   program made can be opened too; its maximum is then unknown.
 */
export class Semaphore extends NamedSyncObject<SemaphoreHandle> {
  /** @internal made by createSemaphore / openSemaphore / openOrCreateSemaphore */
  constructor(name: string, path: string, handle: SemaphoreHandle) {
    super(name, path, handle, 'semaphore');
  }

  /** The largest count, when known (see the class notes). */
  get max(): number | undefined {
    return this.handle().max;
  }

  /**
   * Takes one unit, waiting without blocking the event loop while the count
   * is 0. ETIMEDOUT after `timeoutMs`, ECANCELED when `signal` aborts, ECLOSED
   * when the object is closed meanwhile.
   */
  async acquire(options?: WaitOptions): Promise<SemaphoreGuard> {
    await takeUnit(this.handle(), options);
    return new SemaphoreGuard(this);
  }

  /** Takes one unit, blocking the calling thread (worker threads); ETIMEDOUT after `timeoutMs`. */
  acquireSync(options?: SyncWaitOptions): SemaphoreGuard {
    takeUnitSync(this.handle(), `waiting on the semaphore ${this.path}`, options);
    return new SemaphoreGuard(this);
  }

  /** Takes one unit if the count is above 0; undefined otherwise. Never waits. */
  tryAcquire(): SemaphoreGuard | undefined {
    return this.handle().tryWait() ? new SemaphoreGuard(this) : undefined;
  }

  /**
   * Gives `count` units back (default 1) and returns the count before. All
   * or nothing, in one step whatever `count` is: EINVAL, releasing nothing,
   * when that would pass the maximum (2^31 - 1 when {@link max} is unknown).
   */
  release(count = 1): number {
    const handle = this.handle();
    validateInteger(count, 'count', 1, MAX_SEMAPHORE_COUNT);
    return handle.post(count);
  }
}

function counts(options: SemaphoreOptions | undefined): { initial: number; max: number } {
  const max = options?.max === undefined ? MAX_SEMAPHORE_COUNT : validateInteger(options.max, 'max', 1, MAX_SEMAPHORE_COUNT);
  const initial = options?.initial === undefined ? 0 : validateInteger(options.initial, 'initial', 0, max);
  return { initial, max };
}

/** Creates the semaphore `name` with `initial` units and a maximum of `max`; EADDRINUSE when it exists. */
export async function createSemaphore(name: string, options?: SemaphoreOptions): Promise<Semaphore> {
  const { initial, max } = counts(options);
  const { backend, osName } = await prepare(name);
  return new Semaphore(name, osName, await backend.openSemaphore(createRequest(osName, 'create', options), initial, max));
}

/** Opens the existing semaphore `name`; ENOENT when missing (or waits for it). */
export async function openSemaphore(name: string, options?: OpenOptions): Promise<Semaphore> {
  const { backend, osName } = await prepare(name);
  return new Semaphore(name, osName, await openWaiting(osName, options, (request) => backend.openSemaphore(request, 0, MAX_SEMAPHORE_COUNT)));
}

/** Opens the semaphore `name`, or creates it with `initial` and `max`; `existed` says which. */
export async function openOrCreateSemaphore(name: string, options?: SemaphoreOptions): Promise<Semaphore> {
  const { initial, max } = counts(options);
  const { backend, osName } = await prepare(name);
  return new Semaphore(name, osName, await backend.openSemaphore(createRequest(osName, 'open-or-create', options), initial, max));
}
