/**
 * @ipckit/sync: named synchronization objects that processes, and native
 * programs written against the OS's own calls, share: a robust Mutex, a
 * counting Semaphore and an Event (manual or auto reset). Waits never block
 * the event loop (they sleep on native threads); each has a `...Sync` form
 * for worker threads, a timeout and an AbortSignal; guards release on every
 * path with `using`. docs/sync.md describes each object on each OS.
 */
export { Mutex, MutexGuard, createMutex, openMutex, openOrCreateMutex } from './mutex.js';
export { MAX_SEMAPHORE_COUNT, Semaphore, SemaphoreGuard, createSemaphore, openOrCreateSemaphore, openSemaphore, type SemaphoreOptions } from './semaphore.js';
export { Event, createEvent, openEvent, openOrCreateEvent, waitAny, type EventOptions } from './event.js';
export { unlinkSyncObject, type CreateOptions, type OpenOptions } from './objects.js';
export type { SyncWaitOptions, WaitOptions } from './wait.js';
