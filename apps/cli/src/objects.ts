/**
 * The ipckit objects on this machine, for `ls`, `clean` and `discover()`
 * (one scan, one verdict for all three): the socket files of pipe:// and
 * mailslot:// listeners in ipckit's per-user directory, and the
 * shared-memory objects with ipckit's ownership records (regions, the control
 * regions of shm:// listeners and topics, topics' data regions, sync objects,
 * pair regions of connections being made). Each is told live or stale by
 * evidence, never by guess:
 * - a socket file is stale when no socket is bound to its path any more:
 *   no believed line of /proc/net/unix names it (believed by inode, since
 *   the path text can be forged; Linux) and connect(2) is refused; a pipe's is checked again by connecting,
 *   which a dead one refuses (ECONNREFUSED);
 * - a shared-memory object is stale when its ownership record names a creator
 *   proven no longer running and does not keep it: the shared-memory package's
 *   own rule (packages/shared-memory/src/ownership.ts), the one the library judges by.
 * What a shared-memory object is (a topic, a mutex...) is read from its first
 * bytes (shm-contents.ts); that never changes its verdict.
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync, unlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { checkPrivateDirectory, IS_LINUX, PLATFORM, runtimeDirectory } from '@ipckit/sys';
import { listShmObjects, removeStaleShmObject, type ShmObjectInfo } from '@ipckit/shared-memory';
import { readTopic, shmContent, type TopicInfo } from './shm-contents.js';

/**
 * What kind of object: `pipe` and `mailslot` (a listener's socket file; a
 * pipe:// topic's too, which looks the same from outside), `listener` (an
 * shm:// listener's control region), `topic` (an shm:// topic's control
 * region), `topic-data` (its data region), `region` (createRegion's),
 * `mutex`, `semaphore`, `event` (the sync objects' regions), `pair` (a
 * connection being made), `record` (an ownership record whose region is gone).
 */
export type ObjectKind = 'pipe' | 'mailslot' | 'listener' | 'topic' | 'topic-data' | 'pair' | 'region' | 'mutex' | 'semaphore' | 'event' | 'record';

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
  /** For an shm:// topic: what its headers say. */
  readonly topic?: TopicInfo;
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

/**
 * What /proc/net/unix claims (https://man7.org/linux/man-pages/man5/proc.5.html):
 * the sockets bound to each path, and how many lines name each inode. The
 * file is text with the path last and unescaped, so a socket bound to a path
 * holding a newline prints a second "line" that anyone can make look like a
 * record (issue 17 §4): such claims are only believed by inode, see
 * {@link believedSockets}.
 */
interface UnixTable {
  byPath: Map<string, BoundSocket[]>;
  linesPerInode: Map<number, number>;
}

function unixTable(): UnixTable | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  const byPath = new Map<string, BoundSocket[]>();
  const linesPerInode = new Map<number, number>();
  for (const line of text.split('\n').slice(1)) {
    const m = /^\s*[0-9a-f]+: [0-9a-f]+ [0-9a-f]+ ([0-9a-f]+) ([0-9a-f]+) [0-9a-f]+ +(\d+)(?: (.*))?$/i.exec(line);
    if (!m) continue;
    const [, flags = '0', type = '0', inodeText = '0', path] = m;
    const inode = Number(inodeText);
    linesPerInode.set(inode, (linesPerInode.get(inode) ?? 0) + 1);
    if (path === undefined || !path.startsWith('/')) continue;
    const list = byPath.get(path) ?? [];
    // __SO_ACCEPTCON (0x10000): listen(2) was called.
    list.push({ inode, type: parseInt(type, 16), listening: (parseInt(flags, 16) & 0x10000) !== 0 });
    byPath.set(path, list);
  }
  return { byPath, linesPerInode };
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

/**
 * The sockets bound to `path` that are believed: by inode, never by the path
 * text alone. A claim counts only when its inode appears on one line of
 * /proc/net/unix (a forged line copying a real socket's inode makes two) and
 * a process we can see holds that very socket (socket:[inode] in its fds):
 * a forged line names an inode nobody holds.
 */
function believedSockets(table: UnixTable, owners: Map<number, number>, path: string): BoundSocket[] {
  return (table.byPath.get(path) ?? []).filter((s) => table.linesPerInode.get(s.inode) === 1 && owners.has(s.inode));
}

/**
 * The kernel's own answer, for a socket file no believed line names: is a
 * socket bound there? connect(2) gives ECONNREFUSED when none is. A datagram
 * connect sends nothing; a stream connect reaches a live listener as a
 * connection that closes at once, so it is the last resort (a listener in a
 * PID namespace we cannot see).
 */
async function boundByKernel(path: string, kind: 'pipe' | 'mailslot'): Promise<boolean> {
  if (kind === 'pipe') return !(await refusesConnections(path));
  const { AF_UNIX, SOCK_CLOEXEC, SOCK_DGRAM, libc, lastErrno, sockaddrUn } = await import('@ipckit/sys/posix');
  const { ERRNO } = await import('@ipckit/sys');
  const c = libc();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true; // no evidence: count it as bound
  try {
    const { addr, length } = sockaddrUn(path);
    return c.connect(fd, addr, length) === 0 || lastErrno() !== ERRNO.ECONNREFUSED;
  } finally {
    c.close(fd);
  }
}

/** A socket file found in ipckit's directory, before its state is known. */
interface SocketFile {
  kind: 'pipe' | 'mailslot';
  name: string;
  path: string;
  uid: number;
}

/** The socket files in `dir` (a directory of ipckit's), as objects of `kind`. */
function socketFilesIn(dir: string, kind: 'pipe' | 'mailslot', out: SocketFile[]): void {
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
    if (info.isSocket()) out.push({ kind, name, path, uid: info.uid });
  }
}

/**
 * Whether a socket is bound to `file.path`: a believed line of
 * /proc/net/unix (one bound but not yet listening counts: a listener between
 * bind(2) and listen(2), not a leftover), else the kernel's connect(2).
 */
async function liveSocket(file: SocketFile, table: UnixTable, owners: Map<number, number>): Promise<{ live: boolean; inode?: number }> {
  const sockets = believedSockets(table, owners, file.path);
  const found = sockets.find(file.kind === 'pipe' ? (s: BoundSocket) => s.type === 1 && s.listening : (s: BoundSocket) => s.type === 2) ?? sockets[0];
  if (found) return { live: true, inode: found.inode };
  return { live: await boundByKernel(file.path, file.kind) };
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
  const table = IS_LINUX ? unixTable() : undefined;
  if (table === undefined) notes.push('socket liveness is only known on Linux (/proc/net/unix): shown as unknown');
  const files: SocketFile[] = [];
  socketFilesIn(dir, 'pipe', files);
  try {
    await checkPrivateDirectory(join(dir, 'mailslot'));
    socketFilesIn(join(dir, 'mailslot'), 'mailslot', files);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT')
      notes.push(`skipped ${join(dir, 'mailslot')}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const claimed = new Set(files.flatMap((f) => (table?.byPath.get(f.path) ?? []).map((s) => s.inode)));
  const owners = socketOwners(claimed);
  const out: IpcObject[] = [];
  for (const file of files) {
    const judged = table === undefined ? undefined : await liveSocket(file, table, owners);
    const state: ObjectState = judged === undefined ? 'unknown' : judged.live ? 'live' : 'stale';
    const pid = judged?.inode === undefined ? undefined : owners.get(judged.inode);
    const user = userName(file.uid);
    out.push({
      kind: file.kind,
      address: `${file.kind}://${file.name}`,
      name: file.name,
      path: file.path,
      state,
      uid: file.uid,
      ...(pid === undefined ? {} : { pid }),
      ...(user === undefined ? {} : { user }),
      ...(state === 'stale' ? { note: 'no process has a socket bound to it' } : {}),
    });
  }
  return out;
}

/** The control region name's prefix (docs/ring-protocol.md §1): `ipckit.<name>` serves shm://<name>. */
const CONTROL_PREFIX = 'ipckit.';

/** A topic's headers, said in a few words for the NOTE column. */
function topicNote(topic: TopicInfo): string {
  const parts = [`${topic.subscribers}/${topic.maxSubscribers} subscribers`];
  if (topic.history !== undefined) parts.push(`history ${topic.history}`);
  if (topic.policy !== undefined) parts.push(topic.policy);
  if (!topic.open) parts.push('closed by its publisher');
  return parts.join(', ');
}

/** The shared-memory objects (Linux), as `ls` shows them. */
async function shmObjects(): Promise<IpcObject[]> {
  const objects = (await listShmObjects()).map((s): IpcObject => {
    const state: ObjectState = s.stale ? 'stale' : s.owner === 'foreign' ? 'foreign' : s.owner === 'alive' ? 'live' : s.kept ? 'kept' : 'unknown';
    const user = userName(s.uid);
    const pid = s.kind === 'listener' ? (s.listenerPid ?? s.creatorPid) : s.creatorPid;
    // What a region or pair holds, from its magic (another user's bytes are not read).
    const content = (s.kind === 'region' || s.kind === 'pair') && s.owner !== 'foreign' ? shmContent(s.path) : undefined;
    const kind: ObjectKind =
      content === 'topic' && s.kind === 'region' && s.name.startsWith(CONTROL_PREFIX)
        ? 'topic'
        : content === 'topic-data' && s.kind === 'pair'
          ? 'topic-data'
          : content !== undefined && content !== 'topic' && content !== 'topic-data' && s.kind === 'region'
            ? content
            : s.kind;
    const topic = kind === 'topic' ? readTopic(s.path) : undefined;
    let note: string | undefined;
    if (s.kind === 'listener' && s.listening === false) note = 'closed by its listener';
    if (s.kind === 'record') note = 'an ownership record whose region is gone';
    if (kind === 'pair') note = 'a connection being made';
    if (topic !== undefined) note = topicNote(topic);
    if (kind === 'topic-data') note = 'the data region of an shm:// topic';
    if (state === 'kept') note = 'kept on purpose (unlinkOnClose: false); its creator has exited';
    if (state === 'stale') note = `its creator (pid ${s.creatorPid ?? '?'}) is gone`;
    if (state === 'live' && s.creatorElsewhere === true) note = `its creator (pid ${s.creatorPid ?? '?'}) runs in another PID namespace`;
    const address =
      s.kind === 'listener' && s.channel !== undefined ? `shm://${s.channel}` : kind === 'topic' ? `shm://${s.name.slice(CONTROL_PREFIX.length)}` : undefined;
    return {
      kind,
      ...(address === undefined ? {} : { address }),
      name: s.name,
      path: s.path,
      state,
      ...(pid === undefined ? {} : { pid }),
      ...(s.uid === undefined ? {} : { uid: s.uid }),
      ...(user === undefined ? {} : { user }),
      ...(s.size === undefined ? {} : { size: s.size }),
      ...(note === undefined ? {} : { note }),
      ...(topic === undefined ? {} : { topic }),
      shm: s,
    };
  });
  // A data region says whose it is only through its topic's header.
  const dataOf = new Map(objects.flatMap((o) => (o.topic?.dataRegion === undefined || o.address === undefined ? [] : [[o.topic.dataRegion, o.address]])));
  return objects.map((o) => {
    const owner = o.kind === 'topic-data' && o.state === 'live' ? dataOf.get(o.name) : undefined;
    return owner === undefined ? o : { ...o, note: `the data region of ${owner}` };
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
  const table = unixTable();
  if (table === undefined) return false;
  const claimed = new Set((table.byPath.get(object.path) ?? []).map((s) => s.inode));
  if (believedSockets(table, socketOwners(claimed), object.path).length > 0) return false;
  if (await boundByKernel(object.path, object.kind)) return false;
  try {
    const after = lstatSync(object.path);
    if (after.ino !== before.ino || after.dev !== before.dev) return false; // replaced meanwhile: not the one we judged
    unlinkSync(object.path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `object` is one of those `patterns` names (all when there are none):
 * its name as the OS has it (`ipckit.x` for shm://x's control region), its
 * address, or the address's name; `*` matches any run of characters.
 */
export function matches(object: IpcObject, patterns: readonly string[] | undefined): boolean {
  if (patterns === undefined || patterns.length === 0) return true;
  return patterns.some((p) => {
    // `*` matches any run of characters, newlines included (a planted name may hold one).
    const re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
    return [object.name, object.address, object.address?.replace(/^[a-z]+:\/\//, '')].some((candidate) => candidate !== undefined && re.test(candidate));
  });
}

/** An object as programs see it (`ls --json`, `discover()`): without what only `clean` needs. */
export type PublicObject = Omit<IpcObject, 'shm'>;

/** The object without its internal fields. */
export function publicView(object: IpcObject): PublicObject {
  const { shm: _shm, ...rest } = object;
  return rest;
}
