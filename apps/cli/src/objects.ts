/**
 * The ipckit objects on this machine, for `ls` and `clean`: the socket files
 * of pipe:// and mailslot:// listeners in ipckit's per-user directory, and
 * the shared-memory objects with ipckit's ownership records (regions, the
 * control regions of shm:// listeners, pair regions of connections being
 * made). Each is told live or stale by evidence, never by guess:
 * - a socket file is stale when no socket is bound to its path any more
 *   (/proc/net/unix on Linux); a pipe's is checked again by connecting,
 *   which a dead one refuses (ECONNREFUSED);
 * - a shared-memory object is stale when its ownership record names a creator
 *   that no longer runs and does not keep it (packages/shared-memory/src/posix.ts).
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync, unlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { checkPrivateDirectory, IS_LINUX, PLATFORM, runtimeDirectory } from '@ipckit/sys';
import { listShmObjects, removeStaleShmObject, type ShmObjectInfo } from '@ipckit/shared-memory';

/** What kind of object. */
export type ObjectKind = 'pipe' | 'mailslot' | 'listener' | 'pair' | 'region' | 'record';

/**
 * Its state: `live` (in use), `stale` (a crashed process's leftover: `clean`
 * removes it), `kept` (its creator is gone but it is kept on purpose),
 * `foreign` (another user's, or not provably ipckit's: never touched),
 * `unknown` (this OS gives no evidence either way).
 */
export type ObjectState = 'live' | 'stale' | 'kept' | 'foreign' | 'unknown';

/** One object, as `ls` shows it. */
export interface IpcObject {
  readonly kind: ObjectKind;
  /** The address that serves it (`pipe://x`, `mailslot://x`, `shm://x`), for listeners. */
  readonly address?: string;
  /** Its name: the transport name, or the region's. */
  readonly name: string;
  /** Its file or OS name. */
  readonly path: string;
  readonly state: ObjectState;
  /** The process that serves it (listeners) or created it (regions). */
  readonly pid?: number;
  readonly uid?: number;
  readonly user?: string;
  readonly size?: number;
  /** Whatever else is worth saying. */
  readonly note?: string;
  /** @internal What `clean` needs to remove a shared-memory object. */
  readonly shm?: ShmObjectInfo;
}

/** The result of a scan: the objects, and what could not be looked at (and why). */
export interface Scan {
  readonly objects: IpcObject[];
  readonly notes: string[];
}

let users: Map<number, string> | undefined;
/** A user's name from /etc/passwd, or undefined. */
function userName(uid: number | undefined): string | undefined {
  if (uid === undefined) return undefined;
  if (users === undefined) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id && /^\d+$/.test(id)) users.set(Number(id), name);
      }
    } catch {
      // no passwd file: numbers only
    }
  }
  return users.get(uid);
}

/** One socket bound to a path, from /proc/net/unix. */
interface BoundSocket {
  inode: number;
  /** 1 SOCK_STREAM, 2 SOCK_DGRAM. */
  type: number;
  listening: boolean;
}

/** Sockets bound to a filesystem path, by path (Linux). https://man7.org/linux/man-pages/man5/proc.5.html (/proc/net/unix) */
function boundSockets(): Map<string, BoundSocket[]> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  const byPath = new Map<string, BoundSocket[]>();
  for (const line of text.split('\n').slice(1)) {
    const m = /^\s*[0-9a-f]+: [0-9a-f]+ [0-9a-f]+ ([0-9a-f]+) ([0-9a-f]+) [0-9a-f]+ +(\d+) (\/.*)$/i.exec(line);
    if (!m) continue;
    const [, flags = '0', type = '0', inode = '0', path = ''] = m;
    const list = byPath.get(path) ?? [];
    // __SO_ACCEPTCON (0x10000): listen(2) was called.
    list.push({ inode: Number(inode), type: parseInt(type, 16), listening: (parseInt(flags, 16) & 0x10000) !== 0 });
    byPath.set(path, list);
  }
  return byPath;
}

/** The pids of the processes (this user's, readable) holding the socket inodes in `inodes`. */
function socketOwners(inodes: Set<number>): Map<number, number> {
  const owners = new Map<number, number>();
  if (inodes.size === 0) return owners;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(Number(m[1])) && !owners.has(Number(m[1]))) owners.set(Number(m[1]), Number(pid));
    }
  }
  return owners;
}

/** The socket files in `dir` (a directory of ipckit's), as objects of `kind`. */
function socketsIn(
  dir: string,
  kind: 'pipe' | 'mailslot',
  bound: Map<string, BoundSocket[]> | undefined,
  pending: { inode: number; index: number }[],
  out: IpcObject[],
): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    let info;
    try {
      info = lstatSync(path);
    } catch {
      continue;
    }
    if (!info.isSocket()) continue;
    // Stale only when no socket at all is bound to the path: one bound but not yet listening is
    // a listener between bind(2) and listen(2), not a leftover.
    const sockets = bound?.get(path) ?? [];
    const live = sockets.find(kind === 'pipe' ? (s: BoundSocket) => s.type === 1 && s.listening : (s: BoundSocket) => s.type === 2) ?? sockets[0];
    const state: ObjectState = bound === undefined ? 'unknown' : live ? 'live' : 'stale';
    if (live) pending.push({ inode: live.inode, index: out.length });
    const user = userName(info.uid);
    out.push({
      kind,
      address: `${kind}://${name}`,
      name,
      path,
      state,
      uid: info.uid,
      ...(user === undefined ? {} : { user }),
      ...(state === 'stale' ? { note: 'no process has a socket bound to it' } : {}),
    });
  }
}

/** The pipe and mailslot socket files (POSIX), with their liveness and serving pid on Linux. */
async function socketObjects(notes: string[]): Promise<IpcObject[]> {
  const dir = runtimeDirectory();
  try {
    await checkPrivateDirectory(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ENOENT') notes.push(`skipped ${dir}: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  const bound = IS_LINUX ? boundSockets() : undefined;
  if (bound === undefined) notes.push('socket liveness is only known on Linux (/proc/net/unix): shown as unknown');
  const out: IpcObject[] = [];
  const pending: { inode: number; index: number }[] = [];
  socketsIn(dir, 'pipe', bound, pending, out);
  try {
    await checkPrivateDirectory(join(dir, 'mailslot'));
    socketsIn(join(dir, 'mailslot'), 'mailslot', bound, pending, out);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT')
      notes.push(`skipped ${join(dir, 'mailslot')}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const owners = socketOwners(new Set(pending.map((p) => p.inode)));
  return out.map((o, index) => {
    const inode = pending.find((p) => p.index === index)?.inode;
    const pid = inode === undefined ? undefined : owners.get(inode);
    return pid === undefined ? o : { ...o, pid };
  });
}

/** The shared-memory objects (Linux), as `ls` shows them. */
async function shmObjects(): Promise<IpcObject[]> {
  return (await listShmObjects()).map((s): IpcObject => {
    const state: ObjectState = s.stale ? 'stale' : s.owner === 'foreign' ? 'foreign' : s.owner === 'alive' ? 'live' : s.kept ? 'kept' : 'unknown';
    const user = userName(s.uid);
    const pid = s.kind === 'listener' ? (s.listenerPid ?? s.creatorPid) : s.creatorPid;
    let note: string | undefined;
    if (s.kind === 'listener' && s.listening === false) note = 'closed by its listener';
    if (s.kind === 'record') note = 'an ownership record whose region is gone';
    if (s.kind === 'pair') note = 'a connection being made';
    if (state === 'kept') note = 'kept on purpose (unlinkOnClose: false); its creator has exited';
    if (state === 'stale') note = `its creator (pid ${s.creatorPid ?? '?'}) is gone`;
    return {
      kind: s.kind,
      ...(s.kind === 'listener' && s.channel !== undefined ? { address: `shm://${s.channel}` } : {}),
      name: s.name,
      path: s.path,
      state,
      ...(pid === undefined ? {} : { pid }),
      ...(s.uid === undefined ? {} : { uid: s.uid }),
      ...(user === undefined ? {} : { user }),
      ...(s.size === undefined ? {} : { size: s.size }),
      ...(note === undefined ? {} : { note }),
      shm: s,
    };
  });
}

/** Windows: the named pipes of the machine (ipckit's carry no mark, so all of them). */
function windowsPipes(notes: string[]): IpcObject[] {
  notes.push(
    'Windows: every named pipe is listed (ipckit puts no mark on its own); mailslots, file mappings and shm:// listeners cannot be ' +
      'enumerated, and nothing goes stale (kernel objects vanish with their last handle)',
  );
  let names: string[];
  try {
    names = readdirSync('\\\\.\\pipe\\');
  } catch (error) {
    notes.push(`cannot list \\\\.\\pipe\\: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  return names.sort().map((name) => ({ kind: 'pipe', address: `pipe://${name}`, name, path: `\\\\.\\pipe\\${name}`, state: 'live' }));
}

/** Every ipckit object this process can see. */
export async function scan(): Promise<Scan> {
  const notes: string[] = [];
  if (PLATFORM === 'win32') return { objects: windowsPipes(notes), notes };
  const objects = [...(await socketObjects(notes)), ...(await shmObjects())];
  if (!IS_LINUX) notes.push('shared-memory objects can be listed on Linux only (/dev/shm)');
  return { objects, notes };
}

/** True when nobody listens at the stream socket `path`: connecting is refused (ECONNREFUSED). Anything else counts as alive. */
function refusesConnections(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED');
    });
  });
}

/**
 * Removes `object` if, checked again now, it is provably stale; true when it
 * did. A socket file: still the same socket file of this user, still bound
 * by nobody (and, for a pipe, refusing connections). A shared-memory object:
 * judged by the shared-memory package's own rules at the moment of removal.
 */
export async function removeIfStale(object: IpcObject): Promise<boolean> {
  if (object.state !== 'stale') return false;
  if (object.shm !== undefined) return removeStaleShmObject(object.shm);
  if (object.kind !== 'pipe' && object.kind !== 'mailslot') return false;
  let before;
  try {
    before = lstatSync(object.path);
  } catch {
    return false;
  }
  const me = process.getuid?.();
  if (!before.isSocket() || (me !== undefined && before.uid !== me)) return false;
  const bound = boundSockets();
  if (bound === undefined) return false;
  if ((bound.get(object.path) ?? []).length > 0) return false;
  if (object.kind === 'pipe' && !(await refusesConnections(object.path))) return false;
  try {
    const after = lstatSync(object.path);
    if (after.ino !== before.ino || after.dev !== before.dev) return false; // replaced meanwhile: not the one we judged
    unlinkSync(object.path);
    return true;
  } catch {
    return false;
  }
}
