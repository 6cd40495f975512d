/**
 * What the three kinds of object share: their names and how they are
 * created or opened (create-exclusive, open, open-or-create, waiting for a
 * creator), and the backend of this OS.
 */
import { IpcError } from '@ipckit/core';
import { sleep, validateInteger, validateSignal } from '@ipckit/core/kit';
import { backendLoader } from '@ipckit/sys';
import type { OpenRequest, SyncBackend } from './backend.js';

/** This OS's backend, loaded on first use so the other OS's code never loads. */
export const syncBackend = backendLoader<SyncBackend>({
  win32: async () => (await import('./windows.js')).windowsBackend,
  posix: async () => (await import('./posix.js')).posixBackend,
});

/** Options of create and open-or-create. */
export interface CreateOptions {
  /**
   * POSIX: forget the name when the creator closes the object (default true),
   * as for regions. With false the object outlives its creator; remove it with
   * {@link unlinkSyncObject}. On Windows an object goes with its last handle.
   */
  unlinkOnClose?: boolean;
}

/** Options of open. */
export interface OpenOptions {
  /** Wait up to this many milliseconds for the object to be created (ETIMEDOUT after), instead of failing with ENOENT at once. */
  waitMs?: number;
  /** Aborting it ends that wait with ECANCELED. */
  signal?: AbortSignal;
}

/** The OS name of `name` (EINVAL before any syscall) and the backend. */
export async function prepare(name: string): Promise<{ backend: SyncBackend; osName: string }> {
  const backend = await syncBackend();
  return { backend, osName: backend.osName(name) };
}

/** The request for creating (exclusively, or not) with the options checked. */
export function createRequest(osName: string, mode: 'create' | 'open-or-create', options: CreateOptions | undefined): OpenRequest {
  return { osName, mode, unlinkOnClose: options?.unlinkOnClose !== false };
}

/**
 * Opens an existing object with `open`, waiting for its creator when asked:
 * ENOENT is retried (1 ms, doubling to 50 ms) until `waitMs` passes
 * (ETIMEDOUT) or `signal` aborts (ECANCELED).
 */
export async function openWaiting<T>(osName: string, options: OpenOptions | undefined, open: (request: OpenRequest) => Promise<T>): Promise<T> {
  const waitMs = options?.waitMs === undefined ? 0 : validateInteger(options.waitMs, 'waitMs', 0, 2 ** 31 - 1);
  const signal = validateSignal(options?.signal);
  const request: OpenRequest = { osName, mode: 'open', unlinkOnClose: false };
  const deadline = performance.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return await open(request);
    } catch (error) {
      if (!(error instanceof IpcError && error.code === 'ENOENT') || (waitMs === 0 && signal === undefined)) throw error;
      if (signal?.aborted) throw new IpcError('ECANCELED', `waiting for ${osName} to be created was aborted`, { path: osName, cause: signal.reason });
      const left = deadline - performance.now();
      if (left <= 0) throw new IpcError('ETIMEDOUT', `${osName} was not created within ${waitMs} ms`, { path: osName, cause: error });
      await sleep(Math.min(pause, left));
    }
  }
}

/**
 * Removes the name of a synchronization object: later opens fail with
 * ENOENT; processes that have it open keep it. True when something was
 * removed.
 *
 * Platform-specific behaviour: POSIX removes the object's region (and, for
 * a semaphore, the sem_open name with sem_unlink). On Windows names go with
 * the last handle: this returns false and does nothing.
 */
export async function unlinkSyncObject(name: string): Promise<boolean> {
  const { backend, osName } = await prepare(name);
  return backend.unlink(osName);
}

/** The error for use after close. */
function closedError(kind: string, path: string): IpcError {
  return new IpcError('ECLOSED', `the ${kind} ${path} is closed`, { path });
}

/** What every OS handle of a synchronization object has. */
interface Handle {
  readonly existed: boolean;
  close(): void;
}

/**
 * What Mutex, Semaphore and Event share: their names, the OS handle until
 * close, `existed`, `closed`, close and `using`.
 */
export abstract class NamedSyncObject<H extends Handle> implements Disposable {
  #handle: H | undefined;

  /** @internal made by the create / open / openOrCreate functions */
  constructor(
    /** The name as given. */
    readonly name: string,
    /** The OS name (e.g. `/jobs.lock` on POSIX, `Local\jobs.lock` as given on Windows). */
    readonly path: string,
    handle: H,
    /** What the object is, for messages: 'mutex', 'semaphore', 'event'. */
    private readonly kind: string,
  ) {
    this.#handle = handle;
  }

  /** The OS handle; ECLOSED once closed. */
  protected handle(): H {
    if (this.#handle === undefined) throw closedError(this.kind, this.path);
    return this.#handle;
  }

  /** ECLOSED for this object. */
  protected closedError(): IpcError {
    return closedError(this.kind, this.path);
  }

  /** True when the name already existed (open, or open-or-create that found it). */
  get existed(): boolean {
    return this.handle().existed;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#handle === undefined;
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
