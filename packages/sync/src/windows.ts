/**
 * Windows: the real kernel objects, so any program that uses the same names
 * takes part: CreateMutexW / CreateSemaphoreW / CreateEventW (or the Open...W
 * twins), waited on with WaitForMultipleObjects on @ipckit/native's threads.
 * Objects are created with the default security descriptor of the process
 * token (its user, SYSTEM and the logon session; nobody else), and vanish
 * with their last handle.
 */
import { IpcError } from '@ipckit/core';
import { recode } from '@ipckit/core/kit';
import { SyncThread } from '@ipckit/native';
import { win32ObjectName } from '@ipckit/sys';
import {
  ERROR_ALREADY_EXISTS,
  ERROR_FILE_NOT_FOUND,
  ERROR_TOO_MANY_POSTS,
  EVENT_MODIFY_STATE,
  MUTEX_MODIFY_STATE,
  SEMAPHORE_MODIFY_STATE,
  SYNCHRONIZE,
  WAIT_ABANDONED,
  WAIT_FAILED,
  WAIT_OBJECT_0,
  isBadHandle,
  kernel32,
  win32Error,
  type Handle,
} from '@ipckit/sys/win32';
import type { EventHandle, LockResult, MutexHandle, OpenRequest, SemaphoreHandle, SyncBackend } from './backend.js';
import { ThreadCache, WaitLine, remaining, timedOut, waitOn, type Deadline } from './wait.js';

/** The largest count CreateSemaphoreW takes (a LONG). */
const MAX_COUNT = 0x7fffffff;

function asBig(handle: Handle): bigint {
  return BigInt(handle);
}

/**
 * Opens or creates one kernel object as `request.mode` asks: `create` fails
 * with EADDRINUSE when the name exists (ERROR_ALREADY_EXISTS: the handle is
 * closed again), `open` with ENOENT when it does not.
 */
function openObject(
  request: OpenRequest,
  kind: string,
  create: () => Handle,
  open: () => Handle,
  createCall: string,
  openCall: string,
): { handle: Handle; existed: boolean } {
  const k = kernel32();
  if (request.mode === 'open') {
    const handle = open();
    if (isBadHandle(handle)) {
      const error = win32Error(openCall, request.osName);
      if (error.errno === ERROR_FILE_NOT_FOUND) throw recode(error, 'ENOENT', `no ${kind} named ${request.osName}`);
      throw error;
    }
    return { handle, existed: true };
  }
  const handle = create();
  if (isBadHandle(handle)) throw win32Error(createCall, request.osName);
  // Read at once: a successful create leaves ERROR_ALREADY_EXISTS when it opened an existing object.
  const existed = k.GetLastError() === ERROR_ALREADY_EXISTS;
  if (existed && request.mode === 'create') {
    k.CloseHandle(handle);
    throw new IpcError('EADDRINUSE', `a ${kind} named ${request.osName} already exists`, {
      errno: ERROR_ALREADY_EXISTS,
      osCode: 'ERROR_ALREADY_EXISTS',
      syscall: createCall,
      path: request.osName,
    });
  }
  return { handle, existed };
}

/**
 * One object's handle and the threads its waits run on: one for this
 * process's asynchronous waits on it (a WaitLine: WaitForSingleObject for the
 * head of the line), one for blocking waits, and the waitAny threads
 * sleeping on it right now ({@link watchers}). close() stops them all before
 * CloseHandle, so no wait holds a handle that is gone.
 */
class Waitable {
  readonly watchers = new Set<SyncThread>();
  readonly #line: WaitLine;
  #blocking: SyncThread | undefined;
  #handle: Handle | undefined;

  constructor(
    handle: Handle,
    readonly existed: boolean,
    readonly path: string,
    what: string,
    giveBack: (handle: Handle) => void,
  ) {
    this.#handle = handle;
    this.#line = new WaitLine(
      {
        tryTake: () => this.tryTake(),
        sleep: (thread) => thread.waitHandles([this.handle]),
        sleepTakes: true,
        giveBack: () => giveBack(this.#open()),
      },
      what,
    );
  }

  #open(): Handle {
    if (this.#handle === undefined) throw new IpcError('ECLOSED', `${this.path} is closed`);
    return this.#handle;
  }

  get handle(): bigint {
    return asBig(this.#open());
  }

  /** A zero-timeout wait on this thread (it never blocks): true when it took the object. */
  tryTake(): boolean {
    const r = kernel32().WaitForSingleObject(this.#open(), 0) >>> 0;
    if (r === WAIT_OBJECT_0 || r === WAIT_ABANDONED) return true;
    if (r === WAIT_FAILED) throw win32Error('WaitForSingleObject', this.path);
    return false;
  }

  take(deadline: Deadline): Promise<void> {
    return this.#line.take(deadline);
  }

  takeSync(timeoutMs: number): boolean {
    const handle = this.handle;
    const thread = (this.#blocking ??= new SyncThread());
    return thread.waitHandlesSync([handle], timeoutMs).result !== 'timed-out';
  }

  close(): void {
    const handle = this.#handle;
    if (handle === undefined) return;
    // Threads first: CloseHandle must not pull a handle from under a wait.
    this.#line.close();
    for (const thread of this.watchers) thread.close();
    this.watchers.clear();
    this.#blocking?.close();
    this.#handle = undefined;
    kernel32().CloseHandle(handle);
  }
}

/**
 * A Windows mutex belongs to the thread that acquired it, and only that
 * thread may release it. So each Mutex object waits and releases on one
 * SyncThread of its own: the object, not the calling JavaScript thread, is
 * the owner (the same rule as on POSIX, where the object's thread holds it).
 */
class WindowsMutex implements MutexHandle {
  readonly #object: Waitable;
  readonly #owner = new SyncThread();

  constructor(object: Waitable) {
    this.#object = object;
  }

  get existed(): boolean {
    return this.#object.existed;
  }

  #result(result: string): LockResult | undefined {
    return result === 'abandoned' ? 'abandoned' : result === 'done' ? 'acquired' : undefined;
  }

  tryLock(): LockResult | undefined {
    return this.#result(this.#owner.waitHandlesSync([this.#object.handle], 0).result);
  }

  async lock(deadline: Deadline): Promise<LockResult> {
    const handle = this.#object.handle;
    const what = `acquiring the mutex ${this.#object.path}`;
    const outcome = await waitOn(this.#owner, deadline.signal, what, () => this.#owner.waitHandles([handle], remaining(deadline)));
    const result = this.#result(outcome.result);
    if (result === undefined) throw timedOut(what, deadline);
    return result;
  }

  lockSync(timeoutMs: number): LockResult | undefined {
    return this.#result(this.#owner.waitHandlesSync([this.#object.handle], timeoutMs).result);
  }

  unlock(): void {
    this.#owner.releaseMutex(this.#object.handle);
  }

  close(): void {
    this.#owner.close();
    this.#object.close();
  }
}

class WindowsSemaphore implements SemaphoreHandle {
  constructor(
    readonly object: Waitable,
    readonly max: number | undefined,
  ) {}

  get existed(): boolean {
    return this.object.existed;
  }

  tryWait(): boolean {
    return this.object.tryTake();
  }

  wait(deadline: Deadline): Promise<void> {
    return this.object.take(deadline);
  }

  waitSync(timeoutMs: number): boolean {
    return this.object.takeSync(timeoutMs);
  }

  post(count: number): number {
    const previous = [0];
    if (!kernel32().ReleaseSemaphore(this.object.handle, count, previous)) {
      const error = win32Error('ReleaseSemaphore', this.object.path);
      if (error.errno === ERROR_TOO_MANY_POSTS)
        throw recode(error, 'EINVAL', `releasing ${count} would take the semaphore ${this.object.path} over its maximum; nothing was released`);
      throw error;
    }
    return previous[0] as number;
  }

  close(): void {
    this.object.close();
  }
}

class WindowsEvent implements EventHandle {
  constructor(
    readonly object: Waitable,
    readonly manualReset: boolean | undefined,
  ) {}

  get existed(): boolean {
    return this.object.existed;
  }

  set(): void {
    if (!kernel32().SetEvent(this.object.handle)) throw win32Error('SetEvent', this.object.path);
  }

  reset(): void {
    if (!kernel32().ResetEvent(this.object.handle)) throw win32Error('ResetEvent', this.object.path);
  }

  tryWait(): boolean {
    return this.object.tryTake();
  }

  wait(deadline: Deadline): Promise<void> {
    return this.object.take(deadline);
  }

  waitSync(timeoutMs: number): boolean {
    return this.object.takeSync(timeoutMs);
  }

  close(): void {
    this.object.close();
  }
}

/** Threads for waitAny calls, shared by every call in this process. */
const anyThreads = new ThreadCache();

/** A semaphore unit a wait took after its waiter left goes back. */
function releaseOne(handle: Handle): void {
  if (!kernel32().ReleaseSemaphore(handle, 1, [0])) throw win32Error('ReleaseSemaphore');
}

/** An event a wait took (reset, if auto reset) after its waiter left is set again. */
function setAgain(handle: Handle): void {
  if (!kernel32().SetEvent(handle)) throw win32Error('SetEvent');
}

export const windowsBackend: SyncBackend = {
  osName: (name) => win32ObjectName(name, 'synchronization object name'),

  async openMutex(request) {
    const k = kernel32();
    const { handle, existed } = openObject(
      request,
      'mutex',
      () => k.CreateMutexW(null, 0, request.osName),
      () => k.OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, 0, request.osName),
      'CreateMutexW',
      'OpenMutexW',
    );
    return new WindowsMutex(new Waitable(handle, existed, request.osName, `acquiring the mutex ${request.osName}`, () => undefined));
  },

  async openSemaphore(request, initial, max) {
    const k = kernel32();
    if (max > MAX_COUNT) throw new IpcError('EINVAL', `max must be at most ${MAX_COUNT} on Windows`);
    const { handle, existed } = openObject(
      request,
      'semaphore',
      () => k.CreateSemaphoreW(null, initial, max, request.osName),
      () => k.OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, 0, request.osName),
      'CreateSemaphoreW',
      'OpenSemaphoreW',
    );
    // An opened semaphore's maximum cannot be asked of Windows (NtQuerySemaphore is not a public API):
    // it is the creator's, and ReleaseSemaphore enforces it either way.
    return new WindowsSemaphore(
      new Waitable(handle, existed, request.osName, `waiting on the semaphore ${request.osName}`, releaseOne),
      existed ? undefined : max,
    );
  },

  async openEvent(request, manualReset, initialState) {
    const k = kernel32();
    const { handle, existed } = openObject(
      request,
      'event',
      () => k.CreateEventW(null, manualReset ? 1 : 0, initialState ? 1 : 0, request.osName),
      () => k.OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, 0, request.osName),
      'CreateEventW',
      'OpenEventW',
    );
    // An opened event's reset mode cannot be asked of Windows: it is the creator's.
    return new WindowsEvent(
      new Waitable(handle, existed, request.osName, `waiting on the event ${request.osName}`, setAgain),
      existed ? undefined : manualReset,
    );
  },

  async waitAny(events, deadline) {
    const objects = events.map((e) => {
      if (!(e instanceof WindowsEvent)) throw new IpcError('EINVAL', 'waitAny takes events of this OS backend');
      return e.object;
    });
    const handles = objects.map((o) => o.handle);
    const what = 'waiting for any of the events';
    const thread = anyThreads.take();
    // Listed as a watcher of each event while it waits: closing one stops this thread (ECLOSED) before CloseHandle.
    for (const o of objects) o.watchers.add(thread);
    try {
      const outcome = await waitOn(thread, deadline.signal, what, () => thread.waitHandles(handles, remaining(deadline)));
      if (outcome.result === 'timed-out') throw timedOut(what, deadline);
      return outcome.index;
    } finally {
      for (const o of objects) o.watchers.delete(thread);
      anyThreads.give(thread);
    }
  },

  unlink() {
    return Promise.resolve(false);
  },
};
