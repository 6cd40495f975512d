/**
 * What differs between the OSes' synchronization objects; one implementation
 * per OS (windows.ts: Win32 kernel objects; posix.ts: robust pthread mutexes,
 * sem_open and futex words in named regions). The portable classes (mutex.ts,
 * semaphore.ts, event.ts) hold every rule both share.
 */
import type { Deadline } from './wait.js';

/** How an acquire ended: `abandoned` means the previous holder died holding it (the caller holds it now). */
export type LockResult = 'acquired' | 'abandoned';

/** Options the portable layer checked, for creating or opening an object. */
export interface OpenRequest {
  /** The OS name (already checked). */
  osName: string;
  /** 'create': must not exist (EADDRINUSE); 'open': must exist (ENOENT); 'open-or-create'. */
  mode: 'create' | 'open' | 'open-or-create';
  /** POSIX: forget the name when the creator closes it. */
  unlinkOnClose: boolean;
}

/** A mutex handle of one Mutex object. The portable layer lets one caller at a time wait on it. */
export interface MutexHandle {
  readonly existed: boolean;
  /** Takes it if free, never blocking; undefined when another holder has it. */
  tryLock(): LockResult | undefined;
  /** Takes it, waiting without blocking the event loop. ETIMEDOUT, ECANCELED, ECLOSED. */
  lock(deadline: Deadline): Promise<LockResult>;
  /** Takes it, blocking the calling thread up to `timeoutMs`; undefined when that passed. */
  lockSync(timeoutMs: number): LockResult | undefined;
  /** Releases it (only after a lock). */
  unlock(): void;
  /** Frees the handle (after unlock). */
  close(): void;
}

/** A counting semaphore handle. */
export interface SemaphoreHandle {
  readonly existed: boolean;
  /**
   * The largest count, when the OS or ipckit's record beside the semaphore
   * tells it; undefined for a semaphore opened on Windows (it does not say)
   * or a bare POSIX semaphore a native program made without the record.
   */
  readonly max: number | undefined;
  /** Takes one unit if the count is above 0, never blocking. */
  tryWait(): boolean;
  /** Takes one unit, waiting without blocking the event loop. */
  wait(deadline: Deadline): Promise<void>;
  /** Takes one unit, blocking the calling thread; false when `timeoutMs` passed. */
  waitSync(timeoutMs: number): boolean;
  /** Adds `count` units; returns the count before. EINVAL when it would pass the maximum (nothing is added). */
  post(count: number): number;
  close(): void;
}

/** An event handle. */
export interface EventHandle {
  readonly existed: boolean;
  /** Undefined for an event opened on Windows: it does not tell. */
  readonly manualReset: boolean | undefined;
  set(): void;
  reset(): void;
  /** Takes the event if set (an auto-reset event is reset by it), never blocking. */
  tryWait(): boolean;
  wait(deadline: Deadline): Promise<void>;
  waitSync(timeoutMs: number): boolean;
  close(): void;
}

/** One OS's synchronization objects. */
export interface SyncBackend {
  /** Checks a name and returns the OS name (EINVAL before any syscall). */
  osName(name: string): string;
  openMutex(request: OpenRequest): Promise<MutexHandle>;
  openSemaphore(request: OpenRequest, initial: number, max: number): Promise<SemaphoreHandle>;
  openEvent(request: OpenRequest, manualReset: boolean, initialState: boolean): Promise<EventHandle>;
  /** Waits until one of `events` is set (and takes it, for an auto-reset one); its index. */
  waitAny(events: readonly EventHandle[], deadline: Deadline): Promise<number>;
  /** Forgets the name of a POSIX object (true when something was removed); Windows: false, names go with their last handle. */
  unlink(osName: string): Promise<boolean>;
}
