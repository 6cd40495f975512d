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

const UID = process.getuid?.() ?? 0;
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
  readonly #out = new Uint8Array(4);
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

  ring(pid: number, thread: number, token: number): boolean {
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
    new DataView(this.#out.buffer).setUint32(0, token >>> 0, true);
    for (;;) {
      if (c.send(fd, this.#out, 4, MSG_DONTWAIT | MSG_NOSIGNAL) === 4) return true;
      const errno = lastErrno();
      if (errno === ERRNO.EINTR) continue;
      // Full: that thread has not read tens of thousands of rings; its sweep will look at every waiter.
      if (errno === ERRNO.EAGAIN || errno === ERRNO.EWOULDBLOCK) return true;
      // Gone (EPIPE, ECONNRESET): forget the connection.
      c.close(fd);
      this.#connections.delete(key);
      return false;
    }
  }

  forget(pid: number): void {
    const prefix = `${pid}/`;
    for (const [key, fd] of this.#connections) {
      if (!key.startsWith(prefix)) continue;
      this.#connections.delete(key);
      libc().close(fd);
    }
  }
}

let doorbell: PosixDoorbell | undefined;

/** This thread's doorbell. */
export function posixDoorbell(): DoorbellBackend {
  return (doorbell ??= new PosixDoorbell());
}
