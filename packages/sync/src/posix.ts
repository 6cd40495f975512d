/**
 * POSIX (Linux, glibc): what a C program there would use, in named objects a
 * C program can open. A mutex is a process-shared robust pthread mutex in a
 * small region (posix-lock.ts); a semaphore is a sem_open semaphore, with
 * ipckit's record (its maximum, and a guard for posts) in a region of the
 * same name (posix-semaphore.ts); an event is a futex word in a region
 * (posix-event.ts). Regions are ipckit regions (posix-region.ts). Layouts:
 * layout.ts and docs/sync.md. Blocking waits run on @ipckit/native's threads.
 */
import { IpcError } from '@ipckit/core';
import { robustMutex } from '@ipckit/native';
import { unlinkRegion } from '@ipckit/shared-memory';
import { posixObjectName } from '@ipckit/sys';
import { libc } from '@ipckit/sys/posix';
import type { SyncBackend } from './backend.js';
import {
  EVENT_MAGIC,
  EVENT_MANUAL_RESET,
  EVENT_REGION_BYTES,
  H,
  MUTEX_MAGIC,
  MUTEX_OFFSET,
  MUTEX_REGION_BYTES,
  SEMAPHORE_GUARD_OFFSET,
  SEMAPHORE_MAGIC,
  SEMAPHORE_REGION_BYTES,
} from './layout.js';
import { PosixEvent, waitAnyOf } from './posix-event.js';
import { PosixMutex } from './posix-lock.js';
import { objectRegion, type ObjectRegion } from './posix-region.js';
import { PosixSemaphore, openSem } from './posix-semaphore.js';

export const posixBackend: SyncBackend = {
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
    return waitAnyOf(all, deadline);
  },

  async unlink(osName) {
    const semaphore = libc().sem_unlink(osName) === 0;
    const region = await unlinkRegion(osName);
    return semaphore || region;
  },
};
