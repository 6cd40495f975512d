/**
 * The POSIX backend: shm_open + ftruncate + mmap (MAP_SHARED), and open(2)
 * for file-backed mappings. Objects live in /dev/shm (Linux) until
 * shm_unlink. Constants are Linux's (see @ipckit/sys/posix).
 */
import { fstatSync, readSync, readdirSync } from 'node:fs';
import { IpcError } from '@ipckit/core';
import { recode } from '@ipckit/core/kit';
import { IS_LINUX, errnoError, posixObjectName } from '@ipckit/sys';
import {
  ERRNO,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  MAP_SHARED,
  MS_SYNC,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  isMapFailed,
  lastErrno,
  libc,
  pageSize,
  posixError,
  viewOf,
  watchFd,
  type FdWatch,
} from '@ipckit/sys/posix';
import type { CreateOptions, OpenOptions, OsHandle, ProcessWatch, ShmBackend } from './backend.js';
import { OWNER_BYTES, OWNER_SUFFIX, objectUid, processAlive, readOwnerRecord, shmOpen, staleOwner, startTime, writeOwnerRecord } from './ownership.js';
import { posixDoorbell } from './posix-doorbell.js';

const { EEXIST, ELOOP, ENOENT } = ERRNO;

export { OWNER_SUFFIX } from './ownership.js';

const MY_UID = process.getuid?.();

/**
 * Refuses (EACCES, closing `fd`) an object that is not a regular file, or
 * that another user owns unless `allowOtherOwner`.
 */
function checkObject(fd: number, path: string, allowOtherOwner: boolean): { size: number; uid: number } {
  const info = fstatSync(fd);
  if (!info.isFile()) {
    libc().close(fd);
    throw new IpcError('EACCES', `${path} is not a regular file (something else was put under that name); refusing it`, { path, syscall: 'fstat' });
  }
  if (!allowOtherOwner && MY_UID !== undefined && info.uid !== MY_UID) {
    libc().close(fd);
    throw new IpcError('EACCES', `${path} belongs to uid ${info.uid}, not to us (uid ${MY_UID}); pass allowOtherOwner to share regions between users`, {
      path,
      syscall: 'fstat',
    });
  }
  return { size: info.size, uid: info.uid };
}

let granularityCache: number | undefined;

function fdOf(handle: OsHandle): number {
  return Number(handle);
}

/** One pidfd per watched process and thread, shared by every channel to it. */
interface ExitWatch {
  fd: number;
  watch: FdWatch;
  callbacks: Set<() => void>;
}
const exitWatches = new Map<number, ExitWatch>();

/**
 * Calls `callback` when process `pid` (started at `started`) exits: its
 * pidfd becomes readable on the event loop. Returns what stops it. Nothing
 * is called when the kernel has no pidfd_open (before 5.3) or the process
 * is already gone or another one: the caller's polling sees those.
 */
function onProcessExit(pid: number, started: number, callback: () => void): () => void {
  let entry = exitWatches.get(pid);
  if (entry === undefined) {
    const c = libc();
    const fd = pid > 0 ? c.pidfd_open(pid) : -1;
    if (fd < 0) return noop;
    // The pid may name another process by now: then this pidfd watches the wrong one.
    if (started !== 0 && startTime(pid) !== started) {
      c.close(fd);
      return noop;
    }
    const callbacks = new Set<() => void>();
    const watch = watchFd(fd, { readable: true }, () => {
      exitWatches.delete(pid);
      watch.close();
      c.close(fd);
      for (const exited of [...callbacks]) exited();
    });
    // A watched peer alone does not keep the process alive.
    watch.unref();
    entry = { fd, watch, callbacks };
    exitWatches.set(pid, entry);
  }
  const watching = entry;
  watching.callbacks.add(callback);
  return () => {
    if (!watching.callbacks.delete(callback) || watching.callbacks.size > 0 || exitWatches.get(pid) !== watching) return;
    exitWatches.delete(pid);
    watching.watch.close();
    libc().close(watching.fd);
  };
}

function noop(): void {
  // Nothing to stop.
}

/**
 * Reserves the pages of a fresh object of `size` bytes (posix_fallocate), so
 * that a full /dev/shm is an error now rather than a SIGBUS at the first touch
 * of a page later: ftruncate alone only sets the size of a tmpfs file, whose
 * pages are taken when first written. Returns the error (ENOSPC when there is
 * no room), or undefined.
 */
function reserve(fd: number, size: number, osName: string): IpcError | undefined {
  let code: number;
  do code = libc().posix_fallocate(fd, 0, size);
  while (code === ERRNO.EINTR);
  if (code === 0) return undefined;
  const room = code === ERRNO.ENOSPC ? `: no room for ${size} bytes in ${SHM_DIR} (a tmpfs; see df ${SHM_DIR})` : '';
  return errnoError(code, 'posix_fallocate', osName, `cannot reserve the pages of ${osName}${room}`);
}

/** Sizes the fresh ownership record `fd`, reserves its pages, and writes this process's record into it. */
function writeOwner(fd: number, ownerName: string, kept: boolean): void {
  const c = libc();
  if (c.fchmod(fd, 0o600) !== 0) throw posixError('fchmod', ownerName);
  if (c.ftruncate(fd, OWNER_BYTES) !== 0) throw posixError('ftruncate', ownerName);
  const full = reserve(fd, OWNER_BYTES, ownerName);
  if (full !== undefined) throw full;
  writeOwnerRecord(fd, kept);
}

/** The first u32 (little-endian) of the region `osName` (a regular file of ours), or undefined when it cannot be read. read(2), not a mapping a truncation could fault. */
function peekMagic(osName: string): number | undefined {
  const fd = shmOpen(osName, O_RDONLY);
  if (fd < 0) return undefined;
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || (MY_UID !== undefined && info.uid !== MY_UID) || info.size < 4) return undefined;
    const word = new Uint8Array(4);
    if (readSync(fd, word, 0, 4, 0) !== 4) return undefined;
    return new DataView(word.buffer).getUint32(0, true);
  } finally {
    libc().close(fd);
  }
}

/**
 * How long a non-exclusive create waits, in all, for a region whose live
 * ownership record is already there but whose region is not (yet) complete:
 * another process is creating it right now (record first, then the region,
 * then its size). That takes microseconds; the bound covers a busy machine.
 */
const CREATE_RACE_WAITS_MS = [1, 2, 4, 8, 16, 32, 37]; // 100 ms in all
let sleeper: Int32Array | undefined;
/** Blocks the thread for `ms` (only on the rare race above, a few ms at a time). */
function sleepSync(ms: number): void {
  Atomics.wait((sleeper ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, ms);
}

/** Where Linux keeps shm_open objects (the only POSIX system that lets us list them). */
const SHM_DIR = '/dev/shm';

function openExisting(osName: string, readOnly: boolean, options: OpenOptions): { handle: OsHandle; size: number } {
  const fd = shmOpen(osName, readOnly ? O_RDONLY : O_RDWR);
  if (fd < 0) {
    const error = posixError('shm_open', osName);
    if (error.code === 'ENOENT') throw recode(error, 'ENOENT', `no shared memory region named ${osName}`);
    if (error.errno === ELOOP) throw recode(error, 'EACCES', `${osName} is a symbolic link; refusing to follow it`);
    throw error;
  }
  return { handle: fd, size: checkObject(fd, osName, options.allowOtherOwner).size };
}

/**
 * Opens `osName`, which has a live ownership record: made by a running ipckit
 * process, possibly this very moment. Its creator makes the record first,
 * then the region (size 0), then sets the size, so for a few microseconds the
 * region may be missing or empty: wait for it, briefly and boundedly.
 */
function openCreated(osName: string, ownerName: string, options: OpenOptions): { handle: OsHandle; size: number } {
  for (let attempt = 0; ; attempt++) {
    let opened: { handle: OsHandle; size: number } | undefined;
    try {
      opened = openExisting(osName, false, options);
    } catch (error) {
      if (!(error instanceof IpcError && error.code === 'ENOENT')) throw error;
    }
    // ipckit never makes a region of 0 bytes: an empty one is still being sized.
    if (opened !== undefined && opened.size > 0) return opened;
    if (opened !== undefined) libc().close(fdOf(opened.handle));
    const wait = CREATE_RACE_WAITS_MS[attempt];
    if (wait === undefined) {
      const what = opened === undefined ? 'does not exist' : 'is still 0 bytes';
      throw new IpcError(
        'ETIMEDOUT',
        `shared memory region ${osName} ${what} after 100 ms: its ownership record ${ownerName} names a running process that has not finished creating it`,
        { syscall: 'shm_open', path: osName },
      );
    }
    sleepSync(wait);
  }
}

export const posixBackend: ShmBackend = {
  granularity(): number {
    return (granularityCache ??= pageSize());
  },

  osName(name: string): string {
    return name.startsWith('/') ? name : `/${name}`;
  },

  checkRegionName(name: string): string {
    return posixObjectName(name, 'region name', OWNER_SUFFIX.length);
  },

  create(osName, size, exclusive, options: CreateOptions) {
    const c = libc();
    const ownerName = osName + OWNER_SUFFIX;
    for (let attempt = 0; ; attempt++) {
      // The ownership record first, so there is never an ipckit region without one.
      const ownerFd = shmOpen(ownerName, O_RDWR | O_CREAT | O_EXCL, 0o600);
      if (ownerFd < 0) {
        if (lastErrno() !== EEXIST) throw posixError('shm_open', ownerName);
        const regionUid = objectUid(osName);
        const record = readOwnerRecord(osName, regionUid);
        if (record.state === 'dead' && !record.kept && attempt < 3 && (regionUid === undefined || regionUid === MY_UID)) {
          // Left behind by a creator of ours that crashed: replace, never reuse its contents.
          c.shm_unlink(osName);
          c.shm_unlink(ownerName);
          continue;
        }
        // The record went away meanwhile (its creator failed, or replaced a stale region): try again.
        if (record.state === 'none' && attempt < 3) continue;
        if (exclusive)
          throw new IpcError('EADDRINUSE', `shared memory region ${osName} already exists`, {
            syscall: 'shm_open',
            path: osName,
            osCode: 'EEXIST',
            errno: EEXIST,
          });
        // Squatted: a record nobody can open a region through. create says EADDRINUSE; so does open-or-create (issue 17 §3).
        if (record.state === 'foreign' && regionUid === undefined) {
          throw new IpcError(
            'EADDRINUSE',
            `${ownerName} is not an ownership record of ours (another user's, or not a regular file) and no region is there: the name is taken`,
            { syscall: 'shm_open', path: osName },
          );
        }
        // A live creator may still be setting it up; a kept region, or one whose record is not ours, is opened as it is.
        try {
          return { ...(record.state === 'alive' ? openCreated(osName, ownerName, options) : openExisting(osName, false, options)), existed: true };
        } catch (error) {
          // A record that stays without its region (kept, or its creator's state unknown) takes the name as well.
          if (error instanceof IpcError && error.code === 'ENOENT')
            throw recode(error, 'EADDRINUSE', `${ownerName} takes the name, but no region ${osName} is there`);
          throw error;
        }
      }
      try {
        writeOwner(ownerFd, ownerName, options.keep);
      } catch (error) {
        c.shm_unlink(ownerName);
        throw error;
      } finally {
        c.close(ownerFd);
      }
      const fd = shmOpen(osName, O_RDWR | O_CREAT | O_EXCL, 0o600);
      if (fd < 0) {
        const error = posixError('shm_open', osName);
        c.shm_unlink(ownerName);
        if (error.code !== 'EADDRINUSE') throw error;
        // It exists without an ownership record: another program's region. Never replaced.
        if (exclusive) throw recode(error, 'EADDRINUSE', `shared memory region ${osName} already exists`);
        return { ...openExisting(osName, false, options), existed: true };
      }
      // Owner-only, whatever the umask says; then the size, with every page reserved (see reserve()).
      const failed =
        c.fchmod(fd, 0o600) !== 0 ? posixError('fchmod', osName) : c.ftruncate(fd, size) !== 0 ? posixError('ftruncate', osName) : reserve(fd, size, osName);
      if (failed !== undefined) {
        c.close(fd);
        c.shm_unlink(osName);
        c.shm_unlink(ownerName);
        throw failed;
      }
      return { handle: fd, existed: false, size };
    }
  },

  open(osName, readOnly, options) {
    return openExisting(osName, readOnly, options);
  },

  openFile(path, size, readOnly, create, followSymlinks) {
    const c = libc();
    let existed = true;
    // O_NONBLOCK: harmless for a regular file, and a FIFO's open(2) returns at
    // once instead of blocking the thread until a writer comes (it is then
    // refused: not a regular file). https://man7.org/linux/man-pages/man7/fifo.7.html
    // O_NOFOLLOW: a symlink planted in a shared (sticky) directory is refused
    // (ELOOP) instead of followed to a file of ours, unless asked for.
    const nofollow = followSymlinks ? 0 : O_NOFOLLOW;
    let fd = c.open(path, (readOnly ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC | nofollow, 0);
    if (fd < 0 && create && lastErrno() === ENOENT) {
      fd = c.open(path, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC | nofollow, 0o600);
      existed = false;
    }
    if (fd < 0) {
      const error = posixError('open', path);
      if (error.errno === ELOOP && !followSymlinks)
        throw recode(error, 'EACCES', `${path} is a symbolic link; refusing to follow it (pass followSymlinks to allow it)`);
      throw error;
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) throw new IpcError('EINVAL', `${path} is not a regular file; only regular files can be mapped`, { path, syscall: 'fstat' });
      let current = info.size;
      if (size > current) {
        if (readOnly) throw new IpcError('EINVAL', `file ${path} is ${current} bytes, smaller than the ${size} asked, and opened read-only`, { path });
        if (c.ftruncate(fd, size) !== 0) throw posixError('ftruncate', path);
        current = size;
      }
      return { handle: fd, size: current, existed };
    } catch (error) {
      c.close(fd);
      throw error;
    }
  },

  mapAligned(handle, offset, length, readOnly, path) {
    const base = libc().mmap(null, length, readOnly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fdOf(handle), offset);
    if (isMapFailed(base)) throw posixError('mmap', path);
    return { base, buffer: viewOf(base, length) };
  },

  unmap(mapping) {
    // The only failure is EINVAL for a bad range, which a mapping we made cannot have.
    libc().munmap(mapping.base, mapping.mapLength);
  },

  retire(mapping) {
    const c = libc();
    // Atomically swap the shared pages for private zero pages at the same address.
    const placeholder = c.mmap_at(mapping.base, mapping.mapLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (isMapFailed(placeholder)) {
      // Keep the old mapping rather than risk a fault: a leak, not a crash.
      return () => undefined;
    }
    return () => {
      c.munmap(mapping.base, mapping.mapLength);
    };
  },

  flush(mapping, _handle, path) {
    if (libc().msync(mapping.base, mapping.mapLength, MS_SYNC) !== 0) throw posixError('msync', path);
  },

  closeHandle(handle) {
    libc().close(fdOf(handle));
  },

  unlink(osName) {
    const c = libc();
    const removed = c.shm_unlink(osName) === 0;
    c.shm_unlink(osName + OWNER_SUFFIX);
    return removed;
  },

  removeIfOwnerDead(osName) {
    const ownerName = osName + OWNER_SUFFIX;
    // Judged just before unlinking: a new creator that replaced the stale
    // objects since the caller looked has written a live record by now.
    // (Names cannot be unlinked conditionally, so a creator racing in the
    // last microseconds could still lose its fresh region; it is the same
    // window create() has when it replaces a stale region.)
    if (!staleOwner(osName)) return false;
    const c = libc();
    c.shm_unlink(osName);
    c.shm_unlink(ownerName);
    return true;
  },

  removeIfStale(osName, magic) {
    // The record first: it is small, and most names have a live one, so the
    // region is opened and mapped only for the few that may be stale.
    if (!staleOwner(osName) || peekMagic(osName) !== magic) return false;
    return this.removeIfOwnerDead(osName);
  },

  sweepStale(prefix, magic) {
    if (!IS_LINUX) return 0;
    let names: string[];
    try {
      names = readdirSync(SHM_DIR);
    } catch {
      return 0;
    }
    const bare = prefix.replace(/^\//, '');
    let removed = 0;
    for (const file of names) {
      if (!file.startsWith(bare) || !file.endsWith(OWNER_SUFFIX)) continue;
      if (this.removeIfStale(`/${file.slice(0, -OWNER_SUFFIX.length)}`, magic)) removed++;
    }
    return removed;
  },

  pid(): number {
    return process.pid;
  },

  watchProcess(pid: number): ProcessWatch {
    const started = startTime(pid);
    const stops: Array<() => void> = [];
    return {
      alive: () => processAlive(pid, started),
      onExit: (callback) => stops.push(onProcessExit(pid, started, callback)),
      close: () => {
        for (const stop of stops.splice(0)) stop();
      },
    };
  },

  doorbell: posixDoorbell,
};
