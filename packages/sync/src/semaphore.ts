/**
 * A named counting semaphore that processes (and native programs) share.
 * See docs/sync.md.
 */
import { IpcError } from '@ipckit/core';
import { validateInteger } from '@ipckit/core/kit';
import type { SemaphoreHandle } from './backend.js';
import { closedError, createRequest, openWaiting, prepare, type CreateOptions, type OpenOptions } from './objects.js';
import { checkTimeout, deadlineOf, remaining, timedOut, type SyncWaitOptions, type WaitOptions } from './wait.js';

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
export class Semaphore implements Disposable {
  #handle: SemaphoreHandle | undefined;

  /** @internal made by createSemaphore / openSemaphore / openOrCreateSemaphore */
  constructor(
    /** The name as given. */
    readonly name: string,
    /** The OS name. */
    readonly path: string,
    handle: SemaphoreHandle,
  ) {
    this.#handle = handle;
  }

  #open(): SemaphoreHandle {
    if (this.#handle === undefined) throw closedError('semaphore', this.path);
    return this.#handle;
  }

  /** True when the name already existed. */
  get existed(): boolean {
    return this.#open().existed;
  }

  /** The largest count, when known (see the class notes). */
  get max(): number | undefined {
    return this.#open().max;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#handle === undefined;
  }

  /**
   * Takes one unit, waiting without blocking the event loop while the count
   * is 0. ETIMEDOUT after `timeoutMs`, ECANCELED when `signal` aborts, ECLOSED
   * when the object is closed meanwhile.
   */
  async acquire(options?: WaitOptions): Promise<SemaphoreGuard> {
    const handle = this.#open();
    const deadline = deadlineOf(options);
    if (!handle.tryWait()) {
      if (remaining(deadline) === 0) throw timedOut(`waiting on the semaphore ${this.path}`, deadline);
      await handle.wait(deadline);
    }
    return new SemaphoreGuard(this);
  }

  /** Takes one unit, blocking the calling thread (worker threads); ETIMEDOUT after `timeoutMs`. */
  acquireSync(options?: SyncWaitOptions): SemaphoreGuard {
    const handle = this.#open();
    const timeoutMs = checkTimeout(options?.timeoutMs);
    if (!handle.tryWait() && !handle.waitSync(timeoutMs)) {
      throw new IpcError('ETIMEDOUT', `waiting on the semaphore ${this.path}: not within ${timeoutMs} ms`);
    }
    return new SemaphoreGuard(this);
  }

  /** Takes one unit if the count is above 0; undefined otherwise. Never waits. */
  tryAcquire(): SemaphoreGuard | undefined {
    return this.#open().tryWait() ? new SemaphoreGuard(this) : undefined;
  }

  /**
   * Gives `count` units back (default 1) and returns the count before.
   * EINVAL, releasing nothing, when that would pass the maximum.
   */
  release(count = 1): number {
    const handle = this.#open();
    validateInteger(count, 'count', 1, MAX_SEMAPHORE_COUNT);
    return handle.post(count);
  }

  /** Closes the object; a wait in progress ends with ECLOSED. Idempotent. */
  close(): void {
    const handle = this.#handle;
    this.#handle = undefined;
    handle?.close();
  }

  [Symbol.dispose](): void {
    this.close();
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
