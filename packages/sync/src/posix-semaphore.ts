/**
 * POSIX: a Semaphore is a sem_open semaphore, with ipckit's record (its
 * maximum, and the guard held around "check the count, then post") in a
 * region of the same name. See docs/sync.md.
 */
import { lstatSync } from 'node:fs';
import { IpcError } from '@ipckit/core';
import { recode } from '@ipckit/core/kit';
import { namedSemaphore, SyncThread } from '@ipckit/native';
import { IS_LINUX } from '@ipckit/sys';
import { ERRNO, O_CREAT, O_EXCL, addressOf, isNull, lastErrno, libc, posixError, type Pointer } from '@ipckit/sys/posix';
import type { SemaphoreHandle } from './backend.js';
import { H, SEMAPHORE_GUARD_OFFSET } from './layout.js';
import { RobustLock } from './posix-lock.js';
import type { ObjectRegion } from './posix-region.js';
import { WaitLine, type Deadline } from './wait.js';

/** The longest a semaphore post waits for its guard (held by another poster for microseconds). */
const GUARD_WAIT_MS = 1000;
/** sem_open prepends `sem.` to the name of its file in /dev/shm. */
const SEM_FILE_PREFIX = 'sem.';
/** The largest count a POSIX semaphore holds (SEM_VALUE_MAX on Linux). */
const SEM_VALUE_MAX = 0x7fffffff;

/** Refuses a sem_open file that is not a regular file of ours (Linux: /dev/shm/sem.<name>). */
function checkSemaphoreFile(osName: string): void {
  if (!IS_LINUX) return;
  const file = `/dev/shm/${SEM_FILE_PREFIX}${osName.slice(1)}`;
  let info;
  try {
    info = lstatSync(file);
  } catch {
    return; // missing: sem_open reports it
  }
  const uid = process.getuid?.();
  if (!info.isFile()) throw new IpcError('EACCES', `${file} is not a regular file; refusing to open it as a semaphore`, { path: file, syscall: 'lstat' });
  if (uid !== undefined && info.uid !== uid)
    throw new IpcError('EACCES', `${file} belongs to uid ${info.uid}, not to us (uid ${uid}); refusing to open it`, { path: file, syscall: 'lstat' });
}

/** sem_open: creates it (exclusively, mode 0600) or opens it. */
export function openSem(osName: string, create: boolean, initial: number): Pointer {
  const c = libc();
  if (!create) checkSemaphoreFile(osName);
  const sem = create ? c.sem_open(osName, O_CREAT | O_EXCL, 'uint32_t', 0o600, 'uint32_t', initial) : c.sem_open(osName, 0);
  if (isNull(sem)) {
    const error = posixError('sem_open', osName);
    if (error.code === 'ENOENT') throw recode(error, 'ENOENT', `no semaphore named ${osName}`);
    if (error.code === 'EADDRINUSE') throw recode(error, 'EADDRINUSE', `a semaphore named ${osName} already exists`);
    throw error;
  }
  return sem;
}

/**
 * A sem_open semaphore. Its asynchronous waits stand in one line served by
 * one thread in sem_clockwait (a unit it takes goes to the head of the line,
 * or back to the semaphore when nobody is left); blocking waits use a second
 * thread. A release adds its whole count in one step (O(1), all or nothing).
 */
export class PosixSemaphore implements SemaphoreHandle {
  readonly #guard: RobustLock | undefined;
  readonly #sem: Pointer;
  readonly #line: WaitLine;
  #blocking: SyncThread | undefined;
  #closed = false;

  constructor(
    readonly osName: string,
    sem: Pointer,
    readonly record: ObjectRegion | undefined,
    readonly existed: boolean,
    readonly unlinkOnClose: boolean,
  ) {
    this.#sem = sem;
    this.#guard = record ? new RobustLock(record, SEMAPHORE_GUARD_OFFSET) : undefined;
    this.#line = new WaitLine(
      {
        tryTake: () => this.tryWait(),
        sleep: (thread) => thread.semWait(this.#address()),
        sleepTakes: true,
        giveBack: () => this.#giveBack(),
      },
      `waiting on the semaphore ${osName}`,
    );
  }

  get max(): number | undefined {
    return this.record ? Atomics.load(this.record.words, H.info) >>> 0 : undefined;
  }

  #open(): Pointer {
    if (this.#closed) throw new IpcError('ECLOSED', `the semaphore ${this.osName} is closed`);
    return this.#sem;
  }

  #address(): bigint {
    return addressOf(this.#open());
  }

  tryWait(): boolean {
    const sem = this.#open();
    for (;;) {
      if (libc().sem_trywait(sem) === 0) return true;
      const errno = lastErrno();
      if (errno === ERRNO.EAGAIN) return false;
      if (errno !== ERRNO.EINTR) throw posixError('sem_trywait', this.osName);
    }
  }

  wait(deadline: Deadline): Promise<void> {
    return this.#line.take(deadline);
  }

  waitSync(timeoutMs: number): boolean {
    const address = this.#address();
    const thread = (this.#blocking ??= new SyncThread());
    return thread.semWaitSync(address, timeoutMs).result !== 'timed-out';
  }

  /** Runs `post` holding the record's guard (no guard: a bare semaphore), so no two ipckit posters pass the maximum together. */
  #guarded<T>(post: () => T): T {
    const guard = this.#guard;
    if (guard && guard.lockSync(GUARD_WAIT_MS) === undefined) {
      throw new IpcError('ETIMEDOUT', `the post guard of the semaphore ${this.osName} stayed held for ${GUARD_WAIT_MS} ms`);
    }
    try {
      return post();
    } finally {
      guard?.unlock();
    }
  }

  /** A unit the line's thread took after its waiter left: back to the semaphore (under the guard when it can be had). */
  #giveBack(): void {
    const address = this.#address();
    try {
      this.#guarded(() => namedSemaphore.post(address, 1));
    } catch (error) {
      if (!(error instanceof IpcError && error.code === 'ETIMEDOUT')) throw error;
      namedSemaphore.post(address, 1); // never lose a unit, even past a stuck guard
    }
  }

  /**
   * sem_post has no maximum: ipckit checks the count and posts while holding
   * the guard in its record, so no two ipckit posters can pass the maximum
   * together. (A native program that posts without taking the guard can.)
   * The whole count goes in at once (namedSemaphore.post): all or nothing.
   */
  post(count: number): number {
    const sem = this.#open();
    const address = addressOf(sem);
    const previous = this.#guarded(() => {
      const value = [0];
      if (libc().sem_getvalue(sem, value) !== 0) throw posixError('sem_getvalue', this.osName);
      const before = value[0] as number;
      const max = this.max ?? SEM_VALUE_MAX;
      if (before + count > max) {
        throw new IpcError(
          'EINVAL',
          `releasing ${count} would take the semaphore ${this.osName} over its maximum of ${max} (it holds ${before}); nothing was released`,
        );
      }
      try {
        namedSemaphore.post(address, count);
      } catch (error) {
        // Another program posted past the check without the guard: still nothing was added.
        if (error instanceof IpcError && error.osCode === 'EOVERFLOW')
          throw recode(error, 'EINVAL', `releasing ${count} would take the semaphore ${this.osName} over ${SEM_VALUE_MAX}; nothing was released`);
        throw error;
      }
      return before;
    });
    this.#line.serve();
    return previous;
  }

  close(): void {
    if (this.#closed) return;
    // Threads first: sem_close must not unmap the semaphore under a wait.
    this.#line.close();
    this.#blocking?.close();
    this.#closed = true;
    this.#guard?.close();
    libc().sem_close(this.#sem);
    if (this.unlinkOnClose && !this.existed) libc().sem_unlink(this.osName);
    this.record?.close();
  }
}
