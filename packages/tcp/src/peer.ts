/**
 * Who is at the other end of an accepted tcp:// connection, for the per-peer
 * share of a listener's backlog (Rule 5 of the contract): a TCP socket carries
 * no credentials, but on Linux the kernel lists every socket of this network
 * namespace with its owner's uid in /proc/net/tcp and /proc/net/tcp6, so the
 * client's own socket (its local end is our remote end) names its user.
 */
import { readFileSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { IS_LINUX } from '@ipckit/sys';

/** The two ends of an accepted socket, as node:net reports them. */
export interface TcpEnds {
  localAddress?: string | undefined;
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/** `::ffff:a.b.c.d` (a v4 client of a dual-stack listener) as `a.b.c.d`; other addresses as they are. */
function plainAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

/** One 32-bit word of /proc/net/tcp's hex address: the kernel prints the in-memory word in host byte order. */
function wordBytes(hex: string): number[] {
  const word = Number.parseInt(hex, 16);
  const bytes = [(word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
  return endianness() === 'LE' ? bytes.reverse() : bytes;
}

/** `0100007F:1F90` (an address:port of /proc/net/tcp or tcp6) as `127.0.0.1:8080` or `[::1]:8080`, v4-mapped as v4. */
export function procAddress(field: string): string | undefined {
  const [hex, portHex] = field.split(':');
  if (hex === undefined || portHex === undefined || !/^[0-9A-Fa-f]+$/.test(hex + portHex)) return undefined;
  const port = Number.parseInt(portHex, 16);
  if (hex.length === 8) return `${wordBytes(hex).join('.')}:${port}`;
  if (hex.length !== 32) return undefined;
  const bytes = [0, 8, 16, 24].flatMap((at) => wordBytes(hex.slice(at, at + 8)));
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  // Only ::ffff:a.b.c.d needs to compare equal to another spelling; other v6 addresses are
  // compared by their full (uncompressed) form on both sides.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return `${bytes.slice(12).join('.')}:${port}`;
  return `[${groups.join(':')}]:${port}`;
}

/** `address` in the uncompressed form {@link procAddress} gives v6 addresses (for comparing). */
function fullAddress(address: string): string {
  const plain = plainAddress(address.split('%')[0]!);
  if (isIPv4(plain)) return plain;
  const [head = '', tail = ''] = plain.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = plain.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `[${groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':')}]`;
}

/**
 * The owners of this network namespace's TCP sockets: `local>remote` (both
 * `address:port`) to uid, from /proc/net/tcp and /proc/net/tcp6. Files that
 * cannot be read (no /proc, a hardened mount) add nothing.
 */
function readSocketOwners(): Map<string, number> {
  const owners = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = procAddress(fields[1]!);
      const remote = procAddress(fields[2]!);
      const uid = Number(fields[7]);
      if (local !== undefined && remote !== undefined && Number.isInteger(uid)) owners.set(`${local}>${remote}`, uid);
    }
  }
  return owners;
}

/** The table read for the connections of this turn of the event loop (a burst of accepts reads it once). */
let owners: Map<string, number> | undefined;

/** Addresses of this machine's interfaces, full form (a peer at one of them is a local process). */
let localAddresses: Set<string> | undefined;

/** Whether `address` belongs to this machine (loopback or one of its interfaces). */
function isLocal(address: string): boolean {
  const plain = plainAddress(address);
  if (plain.startsWith('127.') || plain === '::1') return true;
  localAddresses ??= new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((entry) => (entry ? [fullAddress(entry.address)] : [])),
  );
  return localAddresses.has(fullAddress(plain));
}

/**
 * The uid owning the client end of the accepted connection `ends`, or
 * undefined when it cannot be told (not Linux, /proc unreadable, the client
 * already gone, or a client on another machine or in another network
 * namespace).
 *
 * Platform-specific behaviour: Linux only (/proc/net/tcp); other OSes give
 * undefined.
 */
export function tcpPeerUid(ends: TcpEnds): number | undefined {
  if (!IS_LINUX || !ends.localAddress || !ends.remoteAddress || !ends.localPort || !ends.remotePort) return undefined;
  const key = `${endpointOf(ends.remoteAddress, ends.remotePort)}>${endpointOf(ends.localAddress, ends.localPort)}`;
  let uid = owners?.get(key);
  if (uid === undefined) {
    // The cached table may predate this connection: read again (once per connection at most).
    if (owners === undefined) setImmediate(() => (owners = undefined));
    owners = readSocketOwners();
    uid = owners.get(key);
  }
  return uid;
}

/** `address:port` as {@link procAddress} spells it. */
function endpointOf(address: string, port: number): string {
  return `${fullAddress(address)}:${port}`;
}

/**
 * The key of an accepted connection's peer for the per-peer share of the
 * backlog: `uid:N` for a local process of another user (Linux), `host:A` for
 * a client on another machine; undefined (no cap) for this user's own local
 * processes, whose share nothing here could tell apart, and where nothing
 * tells who it is.
 *
 * Platform-specific behaviour: the user of a local peer is known on Linux
 * only; elsewhere local peers are not capped (remote hosts are, everywhere).
 */
export function tcpPeerKey(ends: TcpEnds): string | undefined {
  if (!ends.remoteAddress) return undefined;
  if (!isLocal(ends.remoteAddress)) return `host:${plainAddress(ends.remoteAddress)}`;
  const uid = tcpPeerUid(ends);
  return uid === undefined || uid === process.getuid?.() ? undefined : `uid:${uid}`;
}
