/**
 * The POSIX backend: shm_open + ftruncate + mmap (MAP_SHARED), and open(2)
 * for file-backed mappings. Objects live in /dev/shm (Linux) until
 * shm_unlink. Constants are Linux's (see @ipckit/sys/posix).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { IpcError } from '@ipckit/core';
import { IS_LINUX } from '@ipckit/sys';
import {
  ERRNO,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  MAP_SHARED,
  NAME_MAX,
  MS_SYNC,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  SEEK_END,
  isMapFailed,
  lastErrno,
  libc,
  pageSize,
  posixError,
  viewOf,
} from '@ipckit/sys/posix';
import type { OsHandle, ProcessWatch, ShmBackend } from './backend.js';

const { EEXIST, ENOENT, EPERM } = ERRNO;

/**
 * Regions ipckit creates get a small companion object, `<name>.ipckit-owner`,
 * holding the creator's pid and start time. A region whose companion names a
 * process that is gone was left by a crashed creator: the next create of that
 * name replaces it. Regions without a companion (made by other programs) are
 * never replaced.
 */
export const OWNER_SUFFIX = '.ipckit-owner';
const OWNER_MAGIC = 0x4f435049; // 'IPCO'
const OWNER_BYTES = 16;

let granularityCache: number | undefined;

function fdOf(handle: OsHandle): number {
  return Number(handle);
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or 0 if unknown. */
function startTime(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19] ?? 0) || 0;
  } catch {
    return 0;
  }
}

function processAlive(pid: number, started?: number): boolean {
  if (pid <= 0) return false;
  if (libc().kill(pid, 0) !== 0 && lastErrno() !== EPERM) return false;
  // Same pid, different start time: the pid was reused by another process.
  if (started !== undefined && started !== 0) {
    const now = startTime(pid);
    if (now !== 0 && now !== started) return false;
  }
  return true;
}

function sizeOf(fd: number, path: string): number {
  const size = libc().lseek(fd, 0, SEEK_END);
  if (size < 0) throw posixError('lseek', path);
  return Number(size);
}

/** Fills a fresh ownership record (open on `fd`) with this process's pid and start time. */
function writeOwner(fd: number, ownerName: string): void {
  const c = libc();
  if (c.fchmod(fd, 0o600) !== 0) throw posixError('fchmod', ownerName);
  if (c.ftruncate(fd, OWNER_BYTES) !== 0) throw posixError('ftruncate', ownerName);
  const ptr = c.mmap(null, OWNER_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (isMapFailed(ptr)) throw posixError('mmap', ownerName);
  const view = new DataView(viewOf(ptr, OWNER_BYTES));
  view.setUint32(4, process.pid, true);
  view.setFloat64(8, startTime(process.pid), true);
  view.setUint32(0, OWNER_MAGIC, true);
  c.munmap(ptr, OWNER_BYTES);
}

/** `none`: no ownership record (not made by ipckit); `alive`/`dead`: its creator's state. */
function ownerState(ownerName: string): 'none' | 'alive' | 'dead' {
  const c = libc();
  const fd = c.shm_open(ownerName, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return lastErrno() === ENOENT ? 'none' : 'alive';
  try {
    if (sizeOf(fd, ownerName) < OWNER_BYTES) return 'alive'; // being written right now
    const ptr = c.mmap(null, OWNER_BYTES, PROT_READ, MAP_SHARED, fd, 0);
    if (isMapFailed(ptr)) return 'alive';
    const view = new DataView(viewOf(ptr, OWNER_BYTES));
    const magic = view.getUint32(0, true);
    const pid = view.getUint32(4, true);
    const started = view.getFloat64(8, true);
    c.munmap(ptr, OWNER_BYTES);
    if (magic !== OWNER_MAGIC) return 'alive';
    return processAlive(pid, started) ? 'alive' : 'dead';
  } finally {
    c.close(fd);
  }
}

/** The first u32 (little-endian) of the region `osName`, or undefined when it cannot be read. */
function peekMagic(osName: string): number | undefined {
  const c = libc();
  const fd = c.shm_open(osName, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return undefined;
  try {
    if (sizeOf(fd, osName) < 4) return undefined;
    const ptr = c.mmap(null, 4, PROT_READ, MAP_SHARED, fd, 0);
    if (isMapFailed(ptr)) return undefined;
    const magic = new DataView(viewOf(ptr, 4)).getUint32(0, true);
    c.munmap(ptr, 4);
    return magic;
  } finally {
    c.close(fd);
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

function openExisting(osName: string, readOnly: boolean): { handle: OsHandle; size: number } {
  const c = libc();
  const fd = c.shm_open(osName, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
  if (fd < 0) {
    const error = posixError('shm_open', osName);
    if (error.code === 'ENOENT') throw new IpcError('ENOENT', `no shared memory region named ${osName}`, { errno: error.errno, osCode: error.osCode, syscall: 'shm_open', path: osName });
    throw error;
  }
  try {
    return { handle: fd, size: sizeOf(fd, osName) };
  } catch (error) {
    c.close(fd);
    throw error;
  }
}

/**
 * Opens `osName`, which has a live ownership record: made by a running ipckit
 * process, possibly this very moment. Its creator makes the record first,
 * then the region (size 0), then sets the size, so for a few microseconds the
 * region may be missing or empty: wait for it, briefly and boundedly.
 */
function openCreated(osName: string, ownerName: string): { handle: OsHandle; size: number } {
  for (let attempt = 0; ; attempt++) {
    let opened: { handle: OsHandle; size: number } | undefined;
    try {
      opened = openExisting(osName, false);
    } catch (error) {
      if (!(error instanceof IpcError && error.code === 'ENOENT')) throw error;
    }
    // ipckit never makes a region of 0 bytes: an empty one is still being sized.
    if (opened !== undefined && opened.size > 0) return opened;
    if (opened !== undefined) libc().close(fdOf(opened.handle));
    const wait = CREATE_RACE_WAITS_MS[attempt];
    if (wait === undefined) {
      const what = opened === undefined ? 'does not exist' : 'is still 0 bytes';
      throw new IpcError('ETIMEDOUT', `shared memory region ${osName} ${what} after 100 ms: its ownership record ${ownerName} names a running process that has not finished creating it`, { syscall: 'shm_open', path: osName });
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
    if (typeof name !== 'string' || name.length === 0) throw new IpcError('EINVAL', 'region name must be a non-empty string');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(name)) throw new IpcError('EINVAL', `region name ${JSON.stringify(name)} holds a NUL or control character`);
    const bare = name.startsWith('/') ? name.slice(1) : name;
    if (bare.length === 0 || bare === '.' || bare === '..') throw new IpcError('EINVAL', `region name ${JSON.stringify(name)} is not a valid shm_open name`);
    if (bare.includes('/')) throw new IpcError('EINVAL', `region name ${JSON.stringify(name)} holds a slash after the leading one`);
    const bytes = Buffer.byteLength(bare);
    const max = NAME_MAX - OWNER_SUFFIX.length;
    if (bytes > max) throw new IpcError('EINVAL', `region name is ${bytes} bytes; the limit here is ${max}`);
    return `/${bare}`;
  },

  create(osName, size, exclusive) {
    const c = libc();
    const ownerName = osName + OWNER_SUFFIX;
    for (let attempt = 0; ; attempt++) {
      // The ownership record first, so there is never an ipckit region without one.
      const ownerFd = c.shm_open(ownerName, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
      if (ownerFd < 0) {
        if (lastErrno() !== EEXIST) throw posixError('shm_open', ownerName);
        const state = ownerState(ownerName);
        if (state === 'dead' && attempt < 3) {
          // Left behind by a creator that crashed: replace, never reuse its contents.
          c.shm_unlink(osName);
          c.shm_unlink(ownerName);
          continue;
        }
        if (exclusive) throw new IpcError('EADDRINUSE', `shared memory region ${osName} already exists (created by a running process)`, { syscall: 'shm_open', path: osName, osCode: 'EEXIST', errno: EEXIST });
        return { ...openCreated(osName, ownerName), existed: true };
      }
      try {
        writeOwner(ownerFd, ownerName);
      } catch (error) {
        c.shm_unlink(ownerName);
        throw error;
      } finally {
        c.close(ownerFd);
      }
      const fd = c.shm_open(osName, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
      if (fd < 0) {
        const error = posixError('shm_open', osName);
        c.shm_unlink(ownerName);
        if (error.code !== 'EADDRINUSE') throw error;
        // It exists without an ownership record: another program's region. Never replaced.
        if (exclusive) throw new IpcError('EADDRINUSE', `shared memory region ${osName} already exists`, { errno: error.errno, osCode: error.osCode, syscall: 'shm_open', path: osName });
        return { ...openExisting(osName, false), existed: true };
      }
      // Owner-only, whatever the umask says.
      const failed = c.fchmod(fd, 0o600) !== 0 ? 'fchmod' : c.ftruncate(fd, size) !== 0 ? 'ftruncate' : undefined;
      if (failed !== undefined) {
        const error = posixError(failed, osName);
        c.close(fd);
        c.shm_unlink(osName);
        c.shm_unlink(ownerName);
        throw error;
      }
      return { handle: fd, existed: false, size };
    }
  },

  open(osName, readOnly) {
    return openExisting(osName, readOnly);
  },

  openFile(path, size, readOnly, create) {
    const c = libc();
    let existed = true;
    // O_NONBLOCK: harmless for a regular file, and a FIFO's open(2) returns at
    // once instead of blocking the thread until a writer comes (it then fails
    // below: a FIFO has no size to map). https://man7.org/linux/man-pages/man7/fifo.7.html
    let fd = c.open(path, (readOnly ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0 && create && lastErrno() === ENOENT) {
      fd = c.open(path, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0o600);
      existed = false;
    }
    if (fd < 0) throw posixError('open', path);
    try {
      let current = sizeOf(fd, path);
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
    c.shm_unlink(osName);
    c.shm_unlink(osName + OWNER_SUFFIX);
  },

  removeIfOwnerDead(osName) {
    const ownerName = osName + OWNER_SUFFIX;
    // Judged just before unlinking: a new creator that replaced the stale
    // objects since the caller looked has written a live record by now.
    // (Names cannot be unlinked conditionally, so a creator racing in the
    // last microseconds could still lose its fresh region; it is the same
    // window create() has when it replaces a stale region.)
    if (ownerState(ownerName) !== 'dead') return false;
    const c = libc();
    c.shm_unlink(osName);
    c.shm_unlink(ownerName);
    return true;
  },

  removeIfStale(osName, magic) {
    // The record first: it is small, and most names have a live one, so the
    // region is opened and mapped only for the few that may be stale.
    if (ownerState(osName + OWNER_SUFFIX) !== 'dead' || peekMagic(osName) !== magic) return false;
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
    return { alive: () => processAlive(pid, started), close: () => undefined };
  },
};
