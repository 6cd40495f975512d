/**
 * The POSIX (Linux) doorbell: a stream socket listening in the abstract
 * namespace at `ipckit-bell/<uid>/<pid>/<thread>` (nothing in the file
 * system, nothing left behind by a process that is killed), watched by the
 * event loop (uv_poll through koffi). A thread that rings connects to it once
 * and keeps the connection; a ring is the 4-byte token of the waiter to wake,
 * so the woken thread looks at that waiter only. A stream, not datagrams:
 * Linux queues at most net.unix.max_dgram_qlen (often 10) datagrams per
 * socket and drops the rest, where a stream holds its whole buffer (tens of
 * thousands of tokens).
 *
 * Abstract names have no permissions: a stranger can ring (a waiter then
 * just looks at its ring again) or take a name first (that thread then
 * sleeps on its rings' bell words instead, as before doorbells), but cannot
 * read or change anything. See doorbell.ts.
 */
import { threadId } from 'node:worker_threads';
import {
  AF_UNIX,
  ERRNO,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  abstractSockaddrUn,
  lastErrno,
  libc,
  posixError,
  watchFd,
  type FdWatch,
} from '@ipckit/sys/posix';
import type { DoorbellBackend } from './backend.js';
import { atTurnEnd } from './turns.js';

const UID = process.getuid?.() ?? 0;
/**
 * Deferred rings (see PosixDoorbell.ring) to one thread sent together at the
 * latest: a turn's rings go in sends of this many, so the peer starts on the
 * first while this thread is still making the later ones.
 */
const RINGS_PER_SEND = 32;
/** Bytes read per read(2): 1,024 tokens. */
const READ_BYTES = 4096;

const bellName = (pid: number, thread: number): string => `ipckit-bell/${UID}/${pid}/${thread}`;

function streamSocket(): number {
  const fd = libc().socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw posixError('socket', 'doorbell');
  return fd;
}

/** One accepted connection: a thread of some process that rings us. */
interface Ringer {
  fd: number;
  watch: FdWatch;
  /** Bytes of a token split across reads (a stream has no boundaries). */
  partial: Uint8Array;
  partialLength: number;
}

class PosixDoorbell implements DoorbellBackend {
  readonly thread = threadId;
  #bound: boolean | undefined;
  #listenFd = -1;
  #listenWatch: FdWatch | undefined;
  readonly #ringers = new Set<Ringer>();
  #watching = false;
  #onRing: (tokens: readonly number[] | undefined) => void = () => undefined;
  readonly #buffer = new Uint8Array(READ_BYTES);
  /** What send(2) writes: one ring or a turn's queued rings (grown as needed). */
  #out = new Uint8Array(64);
  /** Our connections to others' doorbells, by `pid/thread`; -1 where there is none to connect to. */
  readonly #connections = new Map<string, number>();

  start(onRing: (tokens: readonly number[] | undefined) => void): boolean {
    this.#onRing = onRing;
    this.#bound ??= this.#bind();
    return this.#bound;
  }

  /** Listens on this thread's name; false when something else holds it (then this thread does not sleep on a doorbell). */
  #bind(): boolean {
    const c = libc();
    const fd = streamSocket();
    const { addr, length } = abstractSockaddrUn(bellName(process.pid, this.thread));
    if (c.bind(fd, addr, length) !== 0 || c.listen(fd, 128) !== 0) {
      const error = posixError('bind', 'doorbell');
      c.close(fd);
      if (error.code === 'EADDRINUSE') return false;
      throw error;
    }
    this.#listenFd = fd;
    // Watched for good, and read whenever rung; only whether the watches keep the event loop
    // alive follows the waiters (ref/unref costs no system call, where stopping and restarting
    // a watch around every wait would cost two).
    this.#listenWatch = watchFd(fd, { readable: true }, (status) => {
      if (status >= 0) this.#accept();
    });
    this.#listenWatch.unref();
    return true;
  }

  #accept(): void {
    const c = libc();
    for (;;) {
      const fd = c.accept4(this.#listenFd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (lastErrno() === ERRNO.EINTR) continue;
        return; // EAGAIN: none left (or a transient failure: the next readiness retries)
      }
      const ringer: Ringer = { fd, watch: undefined as unknown as FdWatch, partial: new Uint8Array(4), partialLength: 0 };
      ringer.watch = watchFd(fd, { readable: true }, (status) => {
        this.#read(ringer, status);
      });
      if (!this.#watching) ringer.watch.unref();
      this.#ringers.add(ringer);
    }
  }

  resume(): void {
    if (this.#watching || this.#listenFd < 0) return;
    this.#watching = true;
    this.#listenWatch?.ref();
    for (const ringer of this.#ringers) ringer.watch.ref();
  }

  pause(): void {
    if (!this.#watching) return;
    this.#watching = false;
    this.#listenWatch?.unref();
    for (const ringer of this.#ringers) ringer.watch.unref();
  }

  #read(ringer: Ringer, status: number): void {
    if (status < 0) {
      this.#drop(ringer);
      this.#onRing(undefined);
      return;
    }
    const c = libc();
    const tokens: number[] = [];
    const view = new DataView(this.#buffer.buffer);
    for (;;) {
      const n = c.recv(ringer.fd, this.#buffer, READ_BYTES, MSG_DONTWAIT);
      if (n < 0) {
        if (lastErrno() === ERRNO.EINTR) continue;
        break; // EAGAIN: all read
      }
      if (n === 0) {
        this.#drop(ringer); // that thread's process has gone
        break;
      }
      let at = 0;
      if (ringer.partialLength > 0) {
        while (ringer.partialLength < 4 && at < n) ringer.partial[ringer.partialLength++] = this.#buffer[at++]!;
        if (ringer.partialLength === 4) {
          tokens.push(new DataView(ringer.partial.buffer).getUint32(0, true));
          ringer.partialLength = 0;
        }
      }
      for (; at + 4 <= n; at += 4) tokens.push(view.getUint32(at, true));
      while (at < n) ringer.partial[ringer.partialLength++] = this.#buffer[at++]!;
      if (n < READ_BYTES) break;
    }
    if (tokens.length > 0) this.#onRing(tokens);
  }

  #drop(ringer: Ringer): void {
    if (!this.#ringers.delete(ringer)) return;
    ringer.watch.close();
    libc().close(ringer.fd);
  }

  /**
   * Rings `token` on thread `thread` of process `pid`, at once unless
   * `defer`. Deferred, the first ring of a
   * turn of the event loop to a connection is sent at once; the later ones
   * of that turn are queued and sent together, in one send(2), when
   * RINGS_PER_SEND are queued, when the turn ends, or by {@link flush}
   * (before this thread spins or blocks, both of which may wait for an
   * answer to them). A thread serving many channels of
   * one peer then makes one system call per turn for all their wake-ups, not
   * one each.
   */
  ring(pid: number, thread: number, token: number, defer = false): boolean {
    const c = libc();
    const key = `${pid}/${thread}`;
    let fd = this.#connections.get(key);
    if (fd === undefined) {
      fd = streamSocket();
      const { addr, length } = abstractSockaddrUn(bellName(pid, thread));
      if (c.connect(fd, addr, length) !== 0) {
        c.close(fd);
        // Nobody listens there (gone, or never bound a doorbell): the caller's peer sleeps otherwise.
        return false;
      }
      this.#connections.set(key, fd);
    }
    if (!defer) return this.#send(key, fd, [token >>> 0]);
    this.#endTurnSoon();
    if (!this.#rungThisTurn.has(key)) {
      this.#rungThisTurn.add(key);
      return this.#send(key, fd, [token >>> 0]);
    }
    const queued = this.#queued.get(key);
    if (queued === undefined) this.#queued.set(key, [token >>> 0]);
    else if (queued.push(token >>> 0) >= RINGS_PER_SEND) {
      // Enough for one send: the peer starts on these while this thread goes on.
      this.#queued.delete(key);
      return this.#send(key, fd, queued);
    }
    return true;
  }

  /** Sends every queued ring now. */
  flush(): void {
    if (this.#queued.size === 0) return;
    const queued = [...this.#queued];
    this.#queued.clear();
    for (const [key, tokens] of queued) {
      const fd = this.#connections.get(key);
      if (fd !== undefined) this.#send(key, fd, tokens);
    }
  }

  readonly #endTurnSoon = atTurnEnd(() => {
    this.flush();
    this.#rungThisTurn.clear();
  });

  /** Connections rung at once in this turn of the event loop, and the rings queued for the rest of it. */
  readonly #rungThisTurn = new Set<string>();
  readonly #queued = new Map<string, number[]>();

  /** Writes `tokens` on connection `key` in one send; false when the connection is gone (then forgotten). */
  #send(key: string, fd: number, tokens: readonly number[]): boolean {
    const c = libc();
    const bytes = tokens.length * 4;
    if (this.#out.length < bytes) this.#out = new Uint8Array(Math.max(bytes, 2 * this.#out.length));
    const view = new DataView(this.#out.buffer);
    for (let i = 0; i < tokens.length; i++) view.setUint32(4 * i, tokens[i]!, true);
    for (;;) {
      const n = c.send(fd, this.#out, bytes, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n === bytes) return true;
      if (n > 0) {
        // Part went: the rest is for the sweep, as when the socket is full. A token cut in two would
        // shift every later one, so then the connection is dropped (the reader drops its half).
        if (n % 4 !== 0) this.#hangUp(key, fd);
        return true;
      }
      const errno = lastErrno();
      if (errno === ERRNO.EINTR) continue;
      // Full: that thread has not read tens of thousands of rings; its sweep will look at every waiter.
      if (errno === ERRNO.EAGAIN || errno === ERRNO.EWOULDBLOCK) return true;
      // Gone (EPIPE, ECONNRESET): forget the connection.
      this.#hangUp(key, fd);
      return false;
    }
  }

  /** Closes our connection `key` to another thread's doorbell, and forgets what was queued for it. */
  #hangUp(key: string, fd: number): void {
    libc().close(fd);
    this.#connections.delete(key);
    this.#queued.delete(key);
  }

  forget(pid: number): void {
    const prefix = `${pid}/`;
    this.flush();
    for (const [key, fd] of this.#connections) {
      if (!key.startsWith(prefix)) continue;
      this.#hangUp(key, fd);
    }
  }
}

let doorbell: PosixDoorbell | undefined;

/** This thread's doorbell. */
export function posixDoorbell(): DoorbellBackend {
  return (doorbell ??= new PosixDoorbell());
}
