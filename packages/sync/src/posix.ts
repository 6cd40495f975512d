/**
 * POSIX (Linux, glibc): what a C program there would use, in named objects a
 * C program can open. A mutex is a process-shared robust pthread mutex in a
 * small region; a semaphore is a sem_open semaphore, with ipckit's record
 * (its maximum, and a guard for posts) in a region of the same name; an
 * event is a futex word in a region. Regions are ipckit regions (mode 0600,
 * create-exclusive, ownership records; see @ipckit/shared-memory). Layouts:
 * layout.ts and docs/sync.md. Blocking waits run on @ipckit/native's threads.
 */
import { lstatSync } from 'node:fs';
import { IpcError } from '@ipckit/core';
import { recode } from '@ipckit/core/kit';
import { robustMutex } from '@ipckit/native';
import { createRegion, openRegion, unlinkRegion, type SharedRegion } from '@ipckit/shared-memory';
import { IS_LINUX, posixObjectName } from '@ipckit/sys';
import { ERRNO, O_CREAT, O_EXCL, addressOf, isNull, lastErrno, libc, posixError, type Pointer } from '@ipckit/sys/posix';
import type { EventHandle, LockResult, MutexHandle, OpenRequest, SemaphoreHandle, SyncBackend } from './backend.js';
import {
  EVENT_MAGIC,
  EVENT_MANUAL_RESET,
  EVENT_REGION_BYTES,
  FUTEX_TID_MASK,
  FUTEX_WAITERS,
  H,
  KIND_OF_MAGIC,
  LAYOUT_VERSION,
  MUTEX_MAGIC,
  MUTEX_OFFSET,
  MUTEX_REGION_BYTES,
  SEMAPHORE_GUARD_OFFSET,
  SEMAPHORE_MAGIC,
  SEMAPHORE_REGION_BYTES,
} from './layout.js';
import { ThreadPool, remaining, timedOut, waitOn, type Deadline } from './wait.js';

/** How long an opener waits for a creator that is still setting the object up (magic still 0). */
const SETUP_WAIT_MS = 100;
/** The longest a semaphore post waits for its guard (held by another poster for microseconds). */
const GUARD_WAIT_MS = 1000;
/** sem_open prepends `sem.` to the name of its file in /dev/shm. */
const SEM_FILE_PREFIX = 'sem.';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An object's region: mapped, its header words, and the memory the native calls take. */
class ObjectRegion {
  readonly words: Int32Array;
  readonly buffer: ArrayBuffer;
  readonly base: number;

  constructor(
    readonly region: SharedRegion,
    readonly existed: boolean,
  ) {
    const bytes = region.bytes;
    this.buffer = bytes.buffer as ArrayBuffer;
    this.base = bytes.byteOffset;
    this.words = new Int32Array(this.buffer, this.base, region.size >> 2);
  }

  get path(): string {
    return this.region.path;
  }

  close(): void {
    this.region.close();
  }
}

/**
 * Creates or opens the region of one object as `request.mode` asks. A new
 * region is set up by `init` and published by storing `magic` last; an opened
 * one must carry `magic` (EINVAL for another kind or a foreign region), and
 * a creator still setting it up is waited for, briefly.
 */
async function objectRegion(request: OpenRequest, kind: string, magic: number, size: number, init: (o: ObjectRegion) => void): Promise<ObjectRegion> {
  if (request.mode !== 'open') {
    try {
      const created = new ObjectRegion(await createRegion(request.osName, size, { unlinkOnClose: request.unlinkOnClose }), false);
      try {
        init(created);
        Atomics.store(created.words, H.version, LAYOUT_VERSION);
        Atomics.store(created.words, H.magic, magic);
      } catch (error) {
        created.close();
        unlinkRegion(request.osName).catch(() => undefined);
        throw error;
      }
      return created;
    } catch (error) {
      if (!(request.mode === 'open-or-create' && error instanceof IpcError && error.code === 'EADDRINUSE')) throw error;
    }
  }
  const opened = new ObjectRegion(await openRegion(request.osName), true);
  try {
    if (opened.region.size < size)
      throw new IpcError('EINVAL', `${request.osName} is ${opened.region.size} bytes: not an ipckit ${kind}`, { path: request.osName });
    const until = performance.now() + SETUP_WAIT_MS;
    let found = Atomics.load(opened.words, H.magic);
    while (found === 0 && performance.now() < until) {
      await sleep(2);
      found = Atomics.load(opened.words, H.magic);
    }
    if (found !== magic) {
      const other = KIND_OF_MAGIC[found];
      throw new IpcError(
        'EINVAL',
        other ? `${request.osName} is an ipckit ${other}, not a ${kind}` : `${request.osName} is not an ipckit ${kind}${found === 0 ? ' (never set up)' : ''}`,
        { path: request.osName },
      );
    }
    const version = Atomics.load(opened.words, H.version);
    if (version !== LAYOUT_VERSION)
      throw new IpcError('ENOTSUP', `${request.osName} has layout version ${version}; this is ${LAYOUT_VERSION}`, { path: request.osName });
    return opened;
  } catch (error) {
    opened.close();
    throw error;
  }
}

/**
 * A robust pthread mutex at `offset` of a region, held by the JavaScript
 * thread that locks it. An uncontended lock is one pthread_mutex_trylock on
 * this thread. A contended asynchronous lock sleeps on a SyncThread until
 * the lock word changes, announcing itself as a waiter the way glibc's own
 * waiters do (the FUTEX_WAITERS bit, so the holder's unlock wakes it), and
 * tries again: the event loop never blocks, and the thread that ends up
 * holding the mutex is the one that will unlock it.
 */
class RobustLock {
  readonly #word: Int32Array;
  readonly #pool = new ThreadPool();
  /** The last lock came after a wait, which took the wake-up meant for one sleeper: pass one on at unlock. */
  #waited = false;

  constructor(
    readonly object: ObjectRegion,
    readonly offset: number,
  ) {
    this.#word = new Int32Array(object.buffer, object.base + offset, 1);
  }

  #try(): LockResult | undefined {
    const r = robustMutex.tryLock(this.object.buffer, this.object.base + this.offset);
    return r === 'busy' ? undefined : r;
  }

  tryLock(): LockResult | undefined {
    const r = this.#try();
    if (r !== undefined) this.#waited = false;
    return r;
  }

  async lock(deadline: Deadline, what: string): Promise<LockResult> {
    for (;;) {
      const r = this.#try();
      if (r !== undefined) return r;
      const seen = Atomics.load(this.#word, 0);
      if ((seen & FUTEX_TID_MASK) === 0) {
        // Free, or its holder just died: try again after letting the event loop run.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      let expected = seen;
      if ((seen & FUTEX_WAITERS) === 0) {
        const announced = seen | FUTEX_WAITERS;
        if (Atomics.compareExchange(this.#word, 0, seen, announced) !== seen) continue;
        expected = announced;
      }
      const left = remaining(deadline);
      if (left === 0) throw timedOut(what, deadline);
      const { buffer } = this.object;
      const byteOffset = this.object.base + this.offset;
      const outcome = await this.#pool.with((t) =>
        waitOn(t, deadline.signal, what, () => t.waitWords([{ buffer, byteOffset, expected: expected >>> 0 }], left)),
      );
      this.#waited = true;
      if (outcome.result === 'timed-out') {
        const last = this.#try();
        if (last !== undefined) return last;
        throw timedOut(what, deadline);
      }
    }
  }

  lockSync(timeoutMs: number): LockResult | undefined {
    this.#waited = false;
    const r = robustMutex.lock(this.object.buffer, this.object.base + this.offset, timeoutMs);
    return r === 'timed-out' ? undefined : r;
  }

  unlock(): void {
    robustMutex.unlock(this.object.buffer, this.object.base + this.offset);
    if (this.#waited) {
      this.#waited = false;
      this.#pool.withSync((t) => t.wakeWord(this.object.buffer, this.object.base + this.offset, 1));
    }
  }

  close(): void {
    this.#pool.close();
  }
}

class PosixMutex implements MutexHandle {
  readonly #lock: RobustLock;

  constructor(readonly object: ObjectRegion) {
    this.#lock = new RobustLock(object, MUTEX_OFFSET);
  }

  get existed(): boolean {
    return this.object.existed;
  }

  tryLock(): LockResult | undefined {
    return this.#lock.tryLock();
  }

  lock(deadline: Deadline): Promise<LockResult> {
    return this.#lock.lock(deadline, `acquiring the mutex ${this.object.path}`);
  }

  lockSync(timeoutMs: number): LockResult | undefined {
    return this.#lock.lockSync(timeoutMs);
  }

  unlock(): void {
    this.#lock.unlock();
  }

  close(): void {
    this.#lock.close();
    this.object.close();
  }
}

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

function openSem(osName: string, create: boolean, initial: number): Pointer {
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

class PosixSemaphore implements SemaphoreHandle {
  readonly #pool = new ThreadPool();
  readonly #guard: RobustLock | undefined;
  readonly #sem: Pointer;
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

  async wait(deadline: Deadline): Promise<void> {
    const address = this.#address();
    const what = `waiting on the semaphore ${this.osName}`;
    const outcome = await this.#pool.with((t) => waitOn(t, deadline.signal, what, () => t.semWait(address, remaining(deadline))));
    if (outcome.result === 'timed-out') throw timedOut(what, deadline);
  }

  waitSync(timeoutMs: number): boolean {
    const address = this.#address();
    return this.#pool.withSync((t) => t.semWaitSync(address, timeoutMs)).result !== 'timed-out';
  }

  /**
   * sem_post has no maximum: ipckit checks the count and posts while holding
   * the guard in its record, so no two ipckit posters can pass the maximum
   * together. (A native program that posts without taking the guard can.)
   */
  post(count: number): number {
    const sem = this.#open();
    const guard = this.#guard;
    if (guard && guard.lockSync(GUARD_WAIT_MS) === undefined) {
      throw new IpcError('ETIMEDOUT', `the post guard of the semaphore ${this.osName} stayed held for ${GUARD_WAIT_MS} ms`);
    }
    try {
      const value = [0];
      if (libc().sem_getvalue(sem, value) !== 0) throw posixError('sem_getvalue', this.osName);
      const previous = value[0] as number;
      const max = this.max;
      if (max !== undefined && previous + count > max) {
        throw new IpcError(
          'EINVAL',
          `releasing ${count} would take the semaphore ${this.osName} over its maximum of ${max} (it holds ${previous}); nothing was released`,
        );
      }
      for (let i = 0; i < count; i++) if (libc().sem_post(sem) !== 0) throw posixError('sem_post', this.osName);
      return previous;
    } finally {
      guard?.unlock();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Threads first: sem_close must not unmap the semaphore under a wait.
    this.#pool.close();
    this.#guard?.close();
    libc().sem_close(this.#sem);
    if (this.unlinkOnClose && !this.existed) libc().sem_unlink(this.osName);
    this.record?.close();
  }
}

/**
 * An event on a futex word. Manual reset: the word is 0 or 1. Auto reset, to
 * behave as a Windows event does (a set releases exactly one waiter when any
 * waits, and is kept for the next one when none does): the word counts the
 * releases granted so far, at most as many as there are waiters (1 when
 * nobody waits), and each waiter takes one. Waiters count themselves in the
 * `waiters` word while they wait. docs/sync.md gives the same steps for a C
 * program.
 */
class PosixEvent implements EventHandle {
  readonly #pool = new ThreadPool();
  readonly manualReset: boolean;

  constructor(readonly object: ObjectRegion) {
    this.manualReset = (Atomics.load(object.words, H.info) & EVENT_MANUAL_RESET) !== 0;
  }

  get existed(): boolean {
    return this.object.existed;
  }

  /** The state word, for waits on it (waitAny). */
  word(): { buffer: ArrayBuffer; byteOffset: number } {
    return { buffer: this.object.buffer, byteOffset: this.object.base + H.state * 4 };
  }

  #wake(count: number): void {
    const { buffer, byteOffset } = this.word();
    this.#pool.withSync((t) => t.wakeWord(buffer, byteOffset, count));
  }

  set(): void {
    const words = this.object.words;
    if (this.manualReset) {
      Atomics.store(words, H.state, 1);
      this.#wake(Infinity);
      return;
    }
    for (;;) {
      const granted = Atomics.load(words, H.state);
      const cap = Math.max(1, Atomics.load(words, H.waiters));
      if (granted >= cap) return; // already set for everyone waiting: a set has no more effect
      if (Atomics.compareExchange(words, H.state, granted, granted + 1) === granted) break;
    }
    this.#wake(1);
  }

  reset(): void {
    Atomics.store(this.object.words, H.state, 0);
  }

  tryWait(): boolean {
    const words = this.object.words;
    if (this.manualReset) return Atomics.load(words, H.state) !== 0;
    for (;;) {
      const granted = Atomics.load(words, H.state);
      if (granted <= 0) return false;
      if (Atomics.compareExchange(words, H.state, granted, granted - 1) === granted) return true;
    }
  }

  /** Counts this waiter in (auto reset) while `wait` runs. */
  async waiting<T>(wait: () => Promise<T>): Promise<T> {
    if (this.manualReset) return wait();
    Atomics.add(this.object.words, H.waiters, 1);
    try {
      return await wait();
    } finally {
      if (!this.object.region.closed) Atomics.sub(this.object.words, H.waiters, 1);
    }
  }

  waitingSync<T>(wait: () => T): T {
    if (this.manualReset) return wait();
    Atomics.add(this.object.words, H.waiters, 1);
    try {
      return wait();
    } finally {
      Atomics.sub(this.object.words, H.waiters, 1);
    }
  }

  async wait(deadline: Deadline): Promise<void> {
    const what = `waiting on the event ${this.object.path}`;
    await this.waiting(() =>
      this.#pool.with(async (t) => {
        for (;;) {
          if (this.tryWait()) return;
          const left = remaining(deadline);
          if (left === 0) throw timedOut(what, deadline);
          let outcome;
          try {
            outcome = await waitOn(t, deadline.signal, what, () => t.waitWords([{ ...this.word(), expected: 0 }], left));
          } catch (error) {
            this.#passOn();
            throw error;
          }
          if (outcome.result === 'timed-out' && !this.tryWait()) {
            this.#passOn();
            throw timedOut(what, deadline);
          }
        }
      }),
    );
  }

  /** A release granted to this waiter, which is leaving (timed out, aborted): let another have it. */
  #passOn(): void {
    if (this.manualReset || this.object.region.closed) return;
    if (Atomics.load(this.object.words, H.state) > 0) this.#wake(1);
  }

  waitSync(timeoutMs: number): boolean {
    const until = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    return this.waitingSync(() =>
      this.#pool.withSync((t) => {
        for (;;) {
          if (this.tryWait()) return true;
          const left = until === Infinity ? Infinity : Math.max(0, until - performance.now());
          if (left === 0) return false;
          t.waitWordsSync([{ ...this.word(), expected: 0 }], left);
        }
      }),
    );
  }

  close(): void {
    this.#pool.close();
    this.object.close();
  }
}

/** Threads for waitAny calls, shared by every call in this process. */
const anyPool = new ThreadPool();

/** Sleeps on every event's word until one can be taken (the first set one, in array order). */
function waitAnyOf(all: readonly PosixEvent[], deadline: Deadline, what: string): Promise<number> {
  return anyPool.with(async (t) => {
    for (;;) {
      // In order, as WaitForMultipleObjects does: the first set event is taken.
      const index = all.findIndex((e) => e.tryWait());
      if (index >= 0) return index;
      const left = remaining(deadline);
      if (left === 0) throw timedOut(what, deadline);
      const outcome = await waitOn(t, deadline.signal, what, () =>
        t.waitWords(
          all.map((e) => ({ ...e.word(), expected: 0 })),
          left,
        ),
      );
      if (outcome.result === 'timed-out') {
        const last = all.findIndex((e) => e.tryWait());
        if (last >= 0) return last;
        throw timedOut(what, deadline);
      }
    }
  });
}

export const posixBackend: SyncBackend = {
  // sem_open's file is `sem.<name>`: leave room for that prefix and for a region's ownership record.
  // Room for the longer of the two suffixes: a region's `.ipckit-owner` record (sem_open adds only `sem.`).
  osName: (name) => posixObjectName(name, 'synchronization object name', '.ipckit-owner'.length),

  async openMutex(request) {
    const size = robustMutex.size();
    if (size === 0 || size > MUTEX_REGION_BYTES - MUTEX_OFFSET)
      throw new IpcError('ENOTSUP', `robust process-shared mutexes are not available here (sizeof pthread_mutex_t = ${size})`);
    const object = await objectRegion(request, 'mutex', MUTEX_MAGIC, MUTEX_REGION_BYTES, (o) => robustMutex.init(o.buffer, o.base + MUTEX_OFFSET));
    return new PosixMutex(object);
  },

  async openSemaphore(request, initial, max) {
    let record: ObjectRegion | undefined;
    try {
      record = await objectRegion(request, 'semaphore', SEMAPHORE_MAGIC, SEMAPHORE_REGION_BYTES, (o) => {
        robustMutex.init(o.buffer, o.base + SEMAPHORE_GUARD_OFFSET);
        Atomics.store(o.words, H.info, max);
      });
    } catch (error) {
      // A bare semaphore a native program made (no ipckit record): open it, with no known maximum.
      if (!(request.mode === 'open' && error instanceof IpcError && error.code === 'ENOENT')) throw error;
      return new PosixSemaphore(request.osName, openSem(request.osName, false, 0), undefined, true, false);
    }
    try {
      const sem = openSem(request.osName, !record.existed, initial);
      return new PosixSemaphore(request.osName, sem, record, record.existed, request.unlinkOnClose);
    } catch (error) {
      record.close();
      if (!record.existed) await unlinkRegion(request.osName).catch(() => false);
      throw error;
    }
  },

  async openEvent(request, manualReset, initialState) {
    const object = await objectRegion(request, 'event', EVENT_MAGIC, EVENT_REGION_BYTES, (o) => {
      Atomics.store(o.words, H.info, manualReset ? EVENT_MANUAL_RESET : 0);
      Atomics.store(o.words, H.state, initialState ? 1 : 0);
    });
    return new PosixEvent(object);
  },

  async waitAny(events, deadline) {
    const all = events.map((e) => {
      if (!(e instanceof PosixEvent)) throw new IpcError('EINVAL', 'waitAny takes events of this OS backend');
      return e;
    });
    const what = 'waiting for any of the events';
    // Counted in as a waiter of every auto-reset event while it waits (see PosixEvent).
    const counted = all.filter((e) => !e.manualReset);
    for (const e of counted) Atomics.add(e.object.words, H.waiters, 1);
    try {
      return await waitAnyOf(all, deadline, what);
    } finally {
      for (const e of counted) if (!e.object.region.closed) Atomics.sub(e.object.words, H.waiters, 1);
    }
  },

  async unlink(osName) {
    const semaphore = libc().sem_unlink(osName) === 0;
    const region = await unlinkRegion(osName);
    return semaphore || region;
  },
};
