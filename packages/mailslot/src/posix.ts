/**
 * The POSIX backend: a Unix domain datagram socket (AF_UNIX, SOCK_DGRAM),
 * bound by the reader at `<per-user 0700 dir>/mailslot/<name>`, that writers
 * connect(2) to and send(2) datagrams into. Every call goes through koffi
 * (@ipckit/sys), non-blocking, with readiness from libuv (koffi.node.poll), so
 * nothing blocks the event loop. Why this primitive and not POSIX message
 * queues, and how it differs from a mailslot: docs/mailslot.md.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IpcError } from '@ipckit/core';
import { recode } from '@ipckit/core/kit';
import { checkPrivateDirectory, ensurePrivateDirectory, runtimeDirectory, socketPath } from '@ipckit/sys';
import {
  AF_UNIX,
  ERRNO as E,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_TRUNC,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  SO_SNDBUF,
  lastErrno,
  libc,
  posixError,
  sockaddrUn,
  watchFd,
  type FdWatch,
} from '@ipckit/sys/posix';
import type { MailslotBackend, SlotOptions, SlotQueueInfo, SlotReader, SlotSink, SlotWriter } from './backend.js';

/**
 * unix_dgram_sendmsg() refuses a datagram longer than the sender's
 * sk_sndbuf - 32 with EMSGSIZE (net/unix/af_unix.c). The kernel also builds
 * the skb's linear part with one kmalloc, which tops out at 4 MiB
 * (KMALLOC_MAX_SIZE with 4 KiB pages); above that sends fail with ENOBUFS.
 */
const SNDBUF_OVERHEAD = 32;
const KMALLOC_CAP = 4 * 1024 * 1024;

/** Datagrams read per readiness callback before yielding to the event loop. */
const READ_BATCH = 256;

/** The directory of mailslot sockets: a subdirectory of the per-user socket directory. */
export function mailslotDirectory(): string {
  return join(runtimeDirectory(), 'mailslot');
}

function closeQuietly(fd: number): void {
  libc().close(fd);
}

/** A non-blocking, close-on-exec datagram socket. */
function datagramSocket(path: string): number {
  const fd = libc().socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw posixError('socket', path);
  return fd;
}

function sendBufferOf(fd: number): number {
  const value = [0];
  if (libc().getsockopt(fd, SOL_SOCKET, SO_SNDBUF, value, [4]) !== 0) throw posixError('getsockopt');
  return value[0] as number;
}

/**
 * Raises SO_SNDBUF so that datagrams of `maxMessageBytes` fit. The kernel
 * doubles the value asked for and clamps the request at net.core.wmem_max
 * (socket(7)); no privilege is used (no SO_SNDBUFFORCE).
 */
function fitSendBuffer(fd: number, maxMessageBytes: number, path: string): void {
  const needed = maxMessageBytes + SNDBUF_OVERHEAD;
  if (sendBufferOf(fd) >= needed) return;
  if (libc().setsockopt(fd, SOL_SOCKET, SO_SNDBUF, [Math.ceil(needed / 2)], 4) !== 0) throw posixError('setsockopt', path);
  const got = sendBufferOf(fd);
  if (got < needed) {
    throw new IpcError('EMSGSIZE', `maxMessageBytes ${maxMessageBytes} does not fit this system's socket send buffer (${got} bytes; raise net.core.wmem_max)`, {
      path,
      syscall: 'setsockopt',
    });
  }
}

let limit: number | undefined;

/**
 * The largest datagram an unprivileged process can send here: SO_SNDBUF raised
 * as far as net.core.wmem_max lets it, minus the kernel's 32 bytes, capped at
 * 4 MiB. 212,960 bytes with the default SO_SNDBUF; 425,952 with the default
 * wmem_max (212,992) once raised.
 */
function measureLimit(): number {
  if (limit !== undefined) return limit;
  const fd = datagramSocket('(probe)');
  try {
    libc().setsockopt(fd, SOL_SOCKET, SO_SNDBUF, [0x40000000], 4);
    limit = Math.min(sendBufferOf(fd) - SNDBUF_OVERHEAD, KMALLOC_CAP);
  } finally {
    closeQuietly(fd);
  }
  return limit;
}

/** The IpcError for a failed send(2), with the portable code a writer expects. */
function sendError(path: string): IpcError {
  const error = posixError('send', path);
  const errno = error.errno;
  if (errno === E.ECONNREFUSED || errno === E.ENOTCONN || errno === E.ECONNRESET) {
    // The reader closed its socket: the slot is gone for this writer.
    return recode(error, 'EPIPE', `the mailslot ${path} was closed by its server (${error.osCode})`);
  }
  return error;
}

/**
 * Whether the socket file at `path` is a leftover of a server that is gone.
 * Only a socket that refuses a datagram connection (ECONNREFUSED: nobody is
 * bound to it) is stale; anything else, a live server, a stream socket
 * (EPROTOTYPE: pipe:// or a stranger) or a non-socket, is left alone.
 */
function isStaleSocket(path: string): boolean {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return false;
  }
  if (!isSocket) return false;
  const fd = datagramSocket(path);
  try {
    const { addr, length } = sockaddrUn(path);
    if (libc().connect(fd, addr, length) === 0) return false;
    return lastErrno() === E.ECONNREFUSED;
  } finally {
    closeQuietly(fd);
  }
}

class PosixReader implements SlotReader {
  private watch: FdWatch | undefined;
  private sink: SlotSink | undefined;
  private paused = true;
  private closed = false;
  /** One receive buffer, reused: every datagram is copied out of it at its own length. */
  private readonly buffer: Uint8Array;
  private readonly peekBuffer = new Uint8Array(1);

  constructor(
    private readonly fd: number,
    private readonly path: string,
    private readonly ino: number,
    private readonly maxMessageBytes: number,
  ) {
    this.buffer = new Uint8Array(Math.max(1, maxMessageBytes));
  }

  resume(sink: SlotSink): void {
    if (this.closed) return;
    this.sink = sink;
    this.paused = false;
    const onReady = (status: number): void => this.onReadable(status);
    if (this.watch) this.watch.start({ readable: true }, onReady);
    else this.watch = watchFd(this.fd, { readable: true }, onReady);
  }

  pause(): void {
    this.paused = true;
    this.watch?.stop();
  }

  private onReadable(status: number): void {
    const sink = this.sink;
    if (this.closed || this.paused || !sink) return;
    if (status < 0) {
      this.pause();
      sink.error(new IpcError('EIO', `polling the mailslot socket ${this.path} failed (libuv status ${status})`, { path: this.path, syscall: 'uv_poll' }));
      return;
    }
    const c = libc();
    for (let i = 0; i < READ_BATCH && !this.stopped(); i++) {
      // MSG_TRUNC: the result is the datagram's real length even when it did not fit (unix(7), since Linux 3.4).
      const n = c.recv(this.fd, this.buffer, this.buffer.length, MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        const errno = lastErrno();
        if (errno === E.EAGAIN || errno === E.EWOULDBLOCK) return;
        if (errno === E.EINTR) continue;
        const error = posixError('recv', this.path);
        this.pause();
        sink.error(error);
        return;
      }
      if (n > this.maxMessageBytes) sink.oversized(n);
      else sink.message(this.buffer.slice(0, n));
    }
  }

  /** Whether reading must stop: a message handed to the sink may have paused or closed the reader. */
  private stopped(): boolean {
    return this.paused || this.closed;
  }

  queueInfo(): SlotQueueInfo {
    if (this.closed) return { nextMessageBytes: undefined, messagesWaiting: 0, readTimeoutMs: undefined };
    // A zero-length MSG_PEEK|MSG_TRUNC read gives the next datagram's length without taking it,
    // and tells "none" (EAGAIN) apart from a zero-length datagram, which FIONREAD cannot.
    const n = libc().recv(this.fd, this.peekBuffer, 0, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
    if (n >= 0) return { nextMessageBytes: n, messagesWaiting: undefined, readTimeoutMs: undefined };
    const errno = lastErrno();
    if (errno === E.EAGAIN || errno === E.EWOULDBLOCK) return { nextMessageBytes: undefined, messagesWaiting: 0, readTimeoutMs: undefined };
    throw posixError('recv', this.path);
  }

  setReadTimeout(): void {
    throw new IpcError('ENOTSUP', 'a Unix datagram socket read by ipckit has no read timeout: reads are driven by readiness (poll), never blocking', {
      path: this.path,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.paused = true;
    this.watch?.close();
    // Unlink first, so there is never a moment when the file is there and nobody bound to it.
    // Only unlink our own file: compare inodes, in case the name was taken over meanwhile.
    try {
      if (lstatSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
    closeQuietly(this.fd);
  }
}

class PosixWriter implements SlotWriter {
  private watch: FdWatch | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly fd: number,
    private readonly path: string,
  ) {}

  async write(message: Uint8Array, signal?: AbortSignal): Promise<void> {
    const c = libc();
    for (;;) {
      if (this.closed) throw new IpcError('ECLOSED', 'the channel was closed', { path: this.path });
      if (signal?.aborted) throw new IpcError('ECANCELED', 'the send was given up before the slot had room', { path: this.path, cause: signal.reason });
      // A datagram goes whole or not at all.
      if (c.send(this.fd, message, message.length, MSG_DONTWAIT) >= 0) return;
      const errno = lastErrno();
      if (errno === E.EINTR) continue;
      if (errno !== E.EAGAIN && errno !== E.EWOULDBLOCK) throw sendError(this.path);
      // The reader's queue is full (net.unix.max_dgram_qlen datagrams) or our send buffer is:
      // wait until the socket is writable again. Nothing is dropped; this is the backpressure.
      await this.writable(signal);
    }
  }

  /**
   * Resolves when poll says the socket is writable: on a connected Unix datagram socket
   * that includes room in the peer's receive queue (unix_dgram_poll). A 100 ms timer
   * backs it up, so that a missed wake-up costs a retry, never a hang. An abort of
   * `signal` or close() also ends the wait (the loop then says why).
   */
  private writable(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.watch?.stop();
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, 100);
      this.wake = done;
      signal?.addEventListener('abort', done, { once: true });
      if (this.watch) this.watch.start({ writable: true }, done);
      else this.watch = watchFd(this.fd, { writable: true }, done);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.watch?.close();
    closeQuietly(this.fd);
  }
}

/** Unix domain datagram sockets in the per-user 0700 directory. */
export const posixBackend: MailslotBackend = {
  pathFor(name: string): string {
    return socketPath(mailslotDirectory(), name);
  },

  maxMessageBytesLimit: measureLimit,

  async createSlot(path: string, options: SlotOptions): Promise<SlotReader> {
    await ensurePrivateDirectory(runtimeDirectory());
    await ensurePrivateDirectory(dirname(path));
    const { addr, length } = sockaddrUn(path);
    for (let attempt = 0; ; attempt++) {
      const fd = datagramSocket(path);
      if (libc().bind(fd, addr, length) === 0) {
        try {
          // bind(2) makes the file with the umask's mode; the directory already shuts others out,
          // and the socket itself is for its owner only, like the directory.
          chmodSync(path, 0o600);
          return new PosixReader(fd, path, lstatSync(path).ino, options.maxMessageBytes);
        } catch (error) {
          try {
            unlinkSync(path);
          } catch {
            /* gone */
          }
          closeQuietly(fd);
          throw error instanceof IpcError
            ? error
            : new IpcError('EIO', `preparing the mailslot socket ${path} failed: ${String(error)}`, { path, cause: error });
        }
      }
      const error = posixError('bind', path);
      closeQuietly(fd);
      if (error.code !== 'EADDRINUSE') throw error;
      if (attempt === 0 && isStaleSocket(path)) {
        // A server that crashed left its socket file behind: nobody is bound to it. Replace it.
        try {
          unlinkSync(path);
        } catch (unlinkError) {
          if ((unlinkError as { code?: string }).code !== 'ENOENT')
            throw new IpcError('EACCES', `cannot remove the stale mailslot socket ${path}`, { path, syscall: 'unlink', cause: unlinkError });
        }
        continue;
      }
      throw recode(error, 'EADDRINUSE', `the mailslot ${path} is already served by a running process (or something else is at that path)`);
    }
  },

  async openWriter(path: string, options: SlotOptions): Promise<SlotWriter> {
    // Issue 12, item 4: without XDG_RUNTIME_DIR these directories are under <tmpdir>, where
    // another user can make them first and serve our names. Connect checks them as listen does.
    for (const dir of [runtimeDirectory(), dirname(path)]) {
      try {
        await checkPrivateDirectory(dir);
      } catch (error) {
        if (error instanceof IpcError && error.code === 'ENOENT')
          throw recode(error, 'ENOENT', `nobody serves the mailslot ${path} (no directory ${dir})`, path);
        throw error;
      }
    }
    const fd = datagramSocket(path);
    try {
      fitSendBuffer(fd, options.maxMessageBytes, path);
      const { addr, length } = sockaddrUn(path);
      if (libc().connect(fd, addr, length) !== 0) {
        const error = posixError('connect', path);
        const errno = error.errno;
        if (errno === E.ENOENT || errno === E.ECONNREFUSED || errno === E.EPROTOTYPE || errno === E.ENOTDIR) {
          throw recode(error, 'ENOENT', `nobody serves the mailslot ${path} (${error.osCode})`);
        }
        throw error;
      }
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    return new PosixWriter(fd, path);
  },
};
