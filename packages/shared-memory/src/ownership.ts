/**
 * POSIX: the ownership record of an ipckit object and the liveness of the
 * process it names — the one implementation that creating, connecting, the
 * listener's stale sweep, `listShmObjects`/`removeStaleShmObject` (and so
 * the `ipckit` command's `ls`, `clean`, `inspect`) all judge by.
 *
 * Every object ipckit makes in the shm namespace has a companion
 * `<name>.ipckit-owner` (docs/ring-protocol.md §1 gives its bytes): the
 * creator's pid, its start time, its PID namespace and whether the object is
 * kept on purpose. The rule (docs/shared-memory.md, "Lifetime"): an object is
 * replaced or removed only when its record is believed (a regular file of
 * this user, as the object is), names a creator that is proven no longer
 * running, and does not say the object was kept.
 *
 * A pid means something only inside its PID namespace, while /dev/shm may be
 * shared between namespaces (containers with a shared /dev/shm, `unshare
 * --pid`). So the record holds the creator's PID namespace (the inode of
 * /proc/self/ns/pid), and a creator in another namespace counts as running
 * unless that namespace is visible here (a descendant of ours, whose
 * processes /proc lists with their pids there in NSpid) and none of its
 * processes is the creator.
 */
import { fstatSync, readFileSync, readSync, readdirSync, statSync, writeSync } from 'node:fs';
import { ERRNO, O_CLOEXEC, O_NONBLOCK, O_RDONLY, lastErrno, libc } from '@ipckit/sys/posix';

const { ENOENT } = ERRNO;

/** The ownership record's name is the object's with this suffix. */
export const OWNER_SUFFIX = '.ipckit-owner';
/** 'IPCO', little-endian, at byte 0; written last. */
const OWNER_MAGIC = 0x4f435049;
/** Version 2: magic u32, pid u32, start time f64, flags u32, version u32, PID namespace u64. */
export const OWNER_BYTES = 32;
/** Version 1 records (ipckit before version 2) end after the flags and a reserved u32 that is 0. */
const LEGACY_OWNER_BYTES = 24;
const OWNER_VERSION = 2;
/** Record flag: the object is kept on purpose; never take it for a crashed creator's. */
const OWNER_KEPT = 1;

/** What an ownership record says, as far as it is believed. */
export interface OwnerRecord {
  /**
   * `none`: no record; `foreign`: one not believed (not a regular file of
   * this user, beside another user's object, or not a record at all);
   * `alive`: its creator runs (or is writing the record this very moment,
   * or runs in a PID namespace that cannot be seen from here); `dead`: its
   * creator is proven gone.
   */
  readonly state: 'none' | 'foreign' | 'alive' | 'dead';
  /** The object is kept on purpose (`unlinkOnClose: false`): never stale. */
  readonly kept: boolean;
  /** The creator's pid, in its own PID namespace (when the record was readable). */
  readonly pid?: number;
  /** The creator's PID namespace (inode of its /proc/<pid>/ns/pid); 0 when the record predates version 2. */
  readonly pidNamespace?: number;
  /** True when the creator is in another PID namespace than this process. */
  readonly otherNamespace?: boolean;
}

const MY_UID = process.getuid?.();

/**
 * Opens an shm object read-only without ever blocking (a FIFO planted there
 * opens at once, and is then refused as not a regular file) and without
 * following a link (glibc's shm_open adds O_NOFOLLOW). -1 with errno set.
 */
export function shmOpen(name: string, flags: number, mode = 0): number {
  return libc().shm_open(name, flags | O_NONBLOCK | O_CLOEXEC, mode);
}

/** The fields of /proc/<pid>/stat after the command name (the state first), or undefined when it cannot be read. */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The start time in clock ticks since boot (field 22 of /proc/<pid>/stat) from its fields, or 0 if unknown. */
function startOf(fields: string[] | undefined): number {
  return Number(fields?.[19] ?? 0) || 0;
}

/** A process's start time in clock ticks since boot, or 0 if unknown. The same number in every PID namespace. */
export function startTime(pid: number): number {
  return startOf(procStat(pid));
}

/** The PID namespace of process `pid` (or this one): the inode of /proc/<pid>/ns/pid, or 0 when it cannot be read. */
export function pidNamespaceOf(pid: number | 'self'): number {
  try {
    return statSync(`/proc/${pid}/ns/pid`).ino;
  } catch {
    return 0;
  }
}

let myNamespace: number | undefined;
/** This process's PID namespace (0 if unknown). */
export function ownPidNamespace(): number {
  return (myNamespace ??= pidNamespaceOf('self'));
}

/** True when the /proc/<pid>/stat fields say the process runs and, given `started`, is still that process. */
function runs(fields: string[], started: number): boolean {
  // A zombie has exited; only its parent has not collected it yet.
  if (fields[0] === 'Z') return false;
  // Same pid, different start time: the pid was reused by another process.
  const now = startOf(fields);
  return started === 0 || now === 0 || now === started;
}

/** True when process `pid` of this PID namespace runs (and, given its start time, is still that process). */
function aliveHere(pid: number, started: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EPERM') return false;
  }
  const fields = procStat(pid);
  return fields === undefined || runs(fields, started);
}

/**
 * Process `pid` of the PID namespace `namespace`, which is not ours. Proven
 * gone only when that namespace is visible from here (one of its processes
 * shows in our /proc, so it is a descendant of ours and all of them show)
 * and none of them is the creator; otherwise it counts as running.
 */
function aliveElsewhere(pid: number, started: number, namespace: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  let visible = false;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || pidNamespaceOf(Number(entry)) !== namespace) continue;
    visible = true;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'latin1');
    } catch {
      continue;
    }
    // NSpid: the pid in each namespace from ours down to its own; the last is its own.
    const own = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).pop();
    if (Number(own) !== pid) continue;
    const fields = procStat(Number(entry));
    return fields === undefined || runs(fields, started);
  }
  return !visible;
}

/**
 * The liveness rule: true when process `pid` runs and is still the process
 * that started at `started` (clock ticks since boot; 0: unknown) in the PID
 * namespace `namespace` (0: unknown, taken as ours). A zombie is not
 * running. A process of another namespace counts as running unless proven
 * gone (see the file comment).
 */
export function processAlive(pid: number, started = 0, namespace = 0): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const mine = ownPidNamespace();
  if (namespace !== 0 && mine !== 0 && namespace !== mine) return aliveElsewhere(pid, started, namespace);
  return aliveHere(pid, started);
}

/** The bytes of a fresh record naming this process, magic included (write it last: see {@link writeOwnerRecord}). */
function recordBytes(kept: boolean): Uint8Array {
  const bytes = new Uint8Array(OWNER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, OWNER_MAGIC, true);
  view.setUint32(4, process.pid, true);
  view.setFloat64(8, startTime(process.pid), true);
  view.setUint32(16, kept ? OWNER_KEPT : 0, true);
  view.setUint32(20, OWNER_VERSION, true);
  view.setBigUint64(24, BigInt(ownPidNamespace()), true);
  return bytes;
}

/**
 * Writes this process's record into the fresh file `fd` (already sized to
 * {@link OWNER_BYTES} with its pages reserved): everything but the magic
 * first, then the magic, so a reader that sees the magic sees the rest.
 * write(2), not a mapping: nothing here can fault.
 */
export function writeOwnerRecord(fd: number, kept: boolean): void {
  const bytes = recordBytes(kept);
  writeAll(fd, bytes.subarray(4), 4);
  writeAll(fd, bytes.subarray(0, 4), 0);
}

/** pwrite(2) of all of `bytes` at `position` (Node's fs takes the raw descriptor; the pages are reserved, so no ENOSPC). */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Reads up to `length` bytes at 0 of an open descriptor. */
function readHead(fd: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, bytes, done, length - done, done);
    if (n === 0) break;
    done += n;
  }
  return bytes.subarray(0, done);
}

/**
 * Reads the ownership record of the object `osName` (its OS name, with the
 * leading `/`) and judges its creator. It is believed only when it is a
 * regular file of this user and, when the object exists (`objectUid`), the
 * object is this user's too: a record another user planted beside our
 * object, or beside a native program's, is `foreign`, so it can never get an
 * object replaced or removed. Reads only (read(2), never a mapping that a
 * truncation could fault).
 */
export function readOwnerRecord(osName: string, objectUid: number | undefined): OwnerRecord {
  const foreign: OwnerRecord = { state: 'foreign', kept: false };
  const fd = shmOpen(osName + OWNER_SUFFIX, O_RDONLY);
  if (fd < 0) return lastErrno() === ENOENT ? { state: 'none', kept: false } : foreign;
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || (MY_UID !== undefined && info.uid !== MY_UID)) return foreign;
    if (objectUid !== undefined && objectUid !== info.uid) return foreign;
    const bytes = readHead(fd, OWNER_BYTES);
    // Shorter, or no magic yet: its creator is writing it right now.
    if (bytes.length < LEGACY_OWNER_BYTES) return { state: 'alive', kept: false };
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const magic = view.getUint32(0, true);
    if (magic === 0) return { state: 'alive', kept: false };
    if (magic !== OWNER_MAGIC) return foreign;
    const pid = view.getUint32(4, true);
    const started = view.getFloat64(8, true);
    const kept = (view.getUint32(16, true) & OWNER_KEPT) !== 0;
    const version = view.getUint32(20, true);
    // Version 1 has no namespace: judged in ours, as it always was.
    const namespace = version >= OWNER_VERSION && bytes.length >= OWNER_BYTES ? Number(view.getBigUint64(24, true)) : 0;
    const mine = ownPidNamespace();
    const otherNamespace = namespace !== 0 && mine !== 0 && namespace !== mine;
    return { state: processAlive(pid, started, namespace) ? 'alive' : 'dead', kept, pid, pidNamespace: namespace, otherNamespace };
  } finally {
    libc().close(fd);
  }
}

/** The uid owning the regular-file object `osName`, or undefined when it is missing or not a regular file. */
export function objectUid(osName: string): number | undefined {
  const fd = shmOpen(osName, O_RDONLY);
  if (fd < 0) return undefined;
  try {
    const info = fstatSync(fd);
    return info.isFile() ? info.uid : undefined;
  } finally {
    libc().close(fd);
  }
}

/** True when the record of `osName` is believed, names a creator proven gone, and does not keep the object. */
export function staleOwner(osName: string): boolean {
  const record = readOwnerRecord(osName, objectUid(osName));
  return record.state === 'dead' && !record.kept;
}
