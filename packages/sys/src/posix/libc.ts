/**
 * libc through koffi: every POSIX call ipckit makes, each declared once with
 * its C signature and its manual page. The library loads on the first call to
 * {@link libc}. Constants are Linux's (x86-64 and arm64); the POSIX backends
 * are built and tested on Linux (glibc 2.34 or later, where shm_open is in libc.so.6).
 */
import koffi from 'koffi';
import { IpcError } from '@ipckit/core';
import { errnoError } from '../errors.js';
import { addressOf, type Pointer } from '../pointer.js';

export { ERRNO } from '../errors.js';
export { addressOf, isNull, viewOf, type Pointer } from '../pointer.js';

export const O_RDONLY = 0o0;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_NONBLOCK = 0o4000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
/** sysconf(3) name of the page size on Linux. */
const _SC_PAGESIZE = 30;
export const MS_SYNC = 0x4;
export const SEEK_END = 2;
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
/** getsockopt(2) option of a connected Unix socket: the peer's struct ucred (pid, uid, gid), unix(7). */
export const SO_PEERCRED = 17;
export const MSG_DONTWAIT = 0x40;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
/** send(2): no SIGPIPE when the peer has gone (EPIPE instead). */
export const MSG_NOSIGNAL = 0x4000;
export const FIONREAD = 0x541b;
export const SIGNAL_PROBE = 0;
/** syscall(2) number of pidfd_open: the same on x86-64, arm64 and every other Linux architecture. */
const SYS_PIDFD_OPEN = 434;
/** sizeof(sun_path) on Linux. */
export const SUN_PATH_BYTES = 108;

function defineStructs(): void {
  /** struct sockaddr_un, unix(7). */
  koffi.struct('ipckit_sockaddr_un', {
    sun_family: 'uint16_t',
    sun_path: koffi.array('uint8_t', SUN_PATH_BYTES),
  });
}

function bind() {
  defineStructs();
  const lib = koffi.load('libc.so.6');
  return {
    // Shared memory and mappings
    /** shm_open(3); in libc.so.6 since glibc 2.34. */
    shm_open: lib.func('int shm_open(const char *name, int oflag, uint32_t mode)') as (name: string, oflag: number, mode: number) => number,
    /** shm_unlink(3). */
    shm_unlink: lib.func('int shm_unlink(const char *name)') as (name: string) => number,
    /** open(2). */
    open: lib.func('int open(const char *path, int flags, uint32_t mode)') as (path: string, flags: number, mode: number) => number,
    /** close(2). */
    close: lib.func('int close(int fd)') as (fd: number) => number,
    /** ftruncate(2). */
    ftruncate: lib.func('int ftruncate(int fd, int64_t length)') as (fd: number, length: number) => number,
    /**
     * posix_fallocate(3): reserves the pages of [offset, offset + len) now, so
     * that a later touch of a mapping cannot find the filesystem (a tmpfs such
     * as /dev/shm) full and die with SIGBUS. Returns 0 or the error number
     * itself (it does not set errno): ENOSPC when there is no room.
     */
    posix_fallocate: lib.func('int posix_fallocate(int fd, int64_t offset, int64_t len)') as (fd: number, offset: number, len: number) => number,
    /** lseek(2); with SEEK_END it gives an object's size. */
    lseek: lib.func('int64_t lseek(int fd, int64_t offset, int whence)') as (fd: number, offset: number, whence: number) => number,
    /** fchmod(2). */
    fchmod: lib.func('int fchmod(int fd, uint32_t mode)') as (fd: number, mode: number) => number,
    /** mmap(2); MAP_FAILED is (void *)-1. */
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as (
      addr: null,
      length: number,
      prot: number,
      flags: number,
      fd: number,
      offset: number,
    ) => Pointer,
    /** munmap(2). */
    munmap: lib.func('int munmap(void *addr, size_t length)') as (addr: Pointer, length: number) => number,
    /** msync(2). */
    msync: lib.func('int msync(void *addr, size_t length, int flags)') as (addr: Pointer, length: number, flags: number) => number,
    /** sysconf(3), for _SC_PAGESIZE (30 on Linux). */
    sysconf: lib.func('long sysconf(int name)') as (name: number) => number,
    /** kill(2) with signal 0: does a process exist? */
    kill: lib.func('int kill(int pid, int sig)') as (pid: number, sig: number) => number,
    /**
     * pidfd_open(2) through syscall(2) (number 434 on every Linux
     * architecture, Linux 5.3+; glibc's own wrapper needs 2.36): a descriptor
     * that becomes readable when the process exits. -1 with errno on failure
     * (ENOSYS on older kernels, ESRCH when no such process).
     */
    pidfd_open: (
      (call: (...args: unknown[]) => number) => (pid: number) =>
        call(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0)
    )(lib.func('long syscall(long number, ...)') as (...args: unknown[]) => number),
    /** getpid(2). */
    getpid: lib.func('int getpid()') as () => number,
    /**
     * mmap(2) at a given address (with MAP_FIXED: atomically replaces what is mapped there).
     * @ipckit/shared-memory uses it to put private zero pages over a closed view, so stale
     * ArrayBuffers read zeros instead of faulting.
     */
    mmap_at: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as (
      addr: Pointer,
      length: number,
      prot: number,
      flags: number,
      fd: number,
      offset: number,
    ) => Pointer,

    // Named semaphores (sem_overview(7)); sem_t pointers stay opaque
    /** sem_open(3): `sem_open(name, oflag)` or, with O_CREAT, `sem_open(name, oflag, 'uint32_t', mode, 'uint32_t', value)`. */
    sem_open: lib.func('void *sem_open(const char *name, int oflag, ...)') as (name: string, oflag: number, ...modeAndValue: unknown[]) => Pointer,
    /** sem_close(3). */
    sem_close: lib.func('int sem_close(void *sem)') as (sem: Pointer) => number,
    /** sem_unlink(3). */
    sem_unlink: lib.func('int sem_unlink(const char *name)') as (name: string) => number,
    /** sem_post(3). */
    sem_post: lib.func('int sem_post(void *sem)') as (sem: Pointer) => number,
    /** sem_trywait(3): -1 with EAGAIN when the count is 0. */
    sem_trywait: lib.func('int sem_trywait(void *sem)') as (sem: Pointer) => number,
    /** sem_getvalue(3). */
    sem_getvalue: lib.func('int sem_getvalue(void *sem, _Out_ int *value)') as (sem: Pointer, value: number[]) => number,

    // Unix datagram sockets
    /** socket(2). */
    socket: lib.func('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number,
    /** bind(2) with a sockaddr_un. */
    bind: lib.func('int bind(int fd, const ipckit_sockaddr_un *addr, uint32_t len)') as (fd: number, addr: SockaddrUn, len: number) => number,
    /** connect(2) with a sockaddr_un. */
    connect: lib.func('int connect(int fd, const ipckit_sockaddr_un *addr, uint32_t len)') as (fd: number, addr: SockaddrUn, len: number) => number,
    /** listen(2). */
    listen: lib.func('int listen(int fd, int backlog)') as (fd: number, backlog: number) => number,
    /** accept4(2), without the peer's address. */
    accept4: lib.func('int accept4(int fd, void *addr, void *addrlen, int flags)') as (fd: number, addr: null, addrlen: null, flags: number) => number,
    /** send(2). */
    send: lib.func('intptr_t send(int fd, const uint8_t *buf, size_t len, int flags)') as (fd: number, buf: Uint8Array, len: number, flags: number) => number,
    /** sendto(2) with a sockaddr_un, on an unconnected datagram socket. */
    sendto: lib.func('intptr_t sendto(int fd, const uint8_t *buf, size_t len, int flags, const ipckit_sockaddr_un *addr, uint32_t addrlen)') as (
      fd: number,
      buf: Uint8Array,
      len: number,
      flags: number,
      addr: SockaddrUn,
      addrlen: number,
    ) => number,
    /** recv(2). */
    recv: lib.func('intptr_t recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)') as (fd: number, buf: Uint8Array, len: number, flags: number) => number,
    /** setsockopt(2) with an int value. */
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const int *value, uint32_t len)') as (
      fd: number,
      level: number,
      name: number,
      value: number[],
      len: number,
    ) => number,
    /** getsockopt(2) with an int value. */
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Inout_ int *value, _Inout_ uint32_t *len)') as (
      fd: number,
      level: number,
      name: number,
      value: number[],
      len: number[],
    ) => number,
    /** getsockopt(2) into a caller's buffer (SO_PEERCRED: a 12-byte struct ucred). */
    getsockopt_bytes: lib.func('getsockopt', 'int', ['int', 'int', 'int', 'void *', koffi.inout(koffi.pointer('uint32_t'))]) as (
      fd: number,
      level: number,
      name: number,
      value: Buffer,
      len: number[],
    ) => number,
    /** ioctl(2) with an int out-parameter (FIONREAD). */
    ioctl_int: lib.func('ioctl', 'int', ['int', 'unsigned long', koffi.out(koffi.pointer('int'))]) as (fd: number, request: number, out: number[]) => number,
    /** unlink(2). */
    unlink: lib.func('int unlink(const char *path)') as (path: string) => number,
  };
}

/** struct sockaddr_un as koffi takes it. */
export interface SockaddrUn {
  sun_family: number;
  sun_path: number[] | Uint8Array;
}

/** The bound libc functions. */
export type Libc = ReturnType<typeof bind>;

let bound: Libc | undefined;

/** libc's functions, loaded on first use. Only call this on POSIX systems. */
export function libc(): Libc {
  return (bound ??= bind());
}

/**
 * Builds the IpcError for a libc call that just failed, from errno as koffi
 * saved it right after the call. Call it before any other FFI call.
 */
export function posixError(syscall: string, path?: string, message?: string): IpcError {
  return errnoError(koffi.errno(), syscall, path, message);
}

/** The errno koffi saved after the last call (to tell EAGAIN from a failure). */
export function lastErrno(): number {
  return koffi.errno();
}

/** A sockaddr_un for `path` and its length; throws IpcError EINVAL when the path does not fit sun_path. */
export function sockaddrUn(path: string): { addr: SockaddrUn; length: number } {
  const bytes = Buffer.from(path);
  if (bytes.length >= SUN_PATH_BYTES) {
    throw new IpcError('EINVAL', `socket path ${path} is ${bytes.length} bytes; sun_path holds ${SUN_PATH_BYTES - 1}`, { path });
  }
  const sunPath = new Uint8Array(SUN_PATH_BYTES);
  sunPath.set(bytes);
  return { addr: { sun_family: AF_UNIX, sun_path: sunPath }, length: 2 + bytes.length + 1 };
}

/**
 * A sockaddr_un in Linux's abstract namespace (unix(7)): sun_path starts with
 * a NUL and `name` follows, with no file anywhere and nothing left behind when
 * the socket closes. Abstract names carry no permissions: any local process
 * can send to one, so use them only where a stranger's datagram is harmless.
 */
export function abstractSockaddrUn(name: string): { addr: SockaddrUn; length: number } {
  const bytes = Buffer.from(name);
  if (bytes.length + 1 > SUN_PATH_BYTES) {
    throw new IpcError('EINVAL', `abstract socket name ${name} is ${bytes.length} bytes; sun_path holds ${SUN_PATH_BYTES - 1}`);
  }
  const sunPath = new Uint8Array(SUN_PATH_BYTES);
  sunPath.set(bytes, 1);
  return { addr: { sun_family: AF_UNIX, sun_path: sunPath }, length: 2 + 1 + bytes.length };
}

/**
 * Who is at the other end of a connected Unix socket (SO_PEERCRED, unix(7)):
 * the pid, uid and gid the kernel recorded at connect(2). Throws IpcError
 * (with errno and the syscall) when the call fails.
 */
export function peerCredentials(fd: number): { pid: number; uid: number; gid: number } {
  const ucred = Buffer.alloc(12);
  if (libc().getsockopt_bytes(fd, SOL_SOCKET, SO_PEERCRED, ucred, [12]) !== 0) throw posixError('getsockopt');
  return { pid: ucred.readInt32LE(0), uid: ucred.readUInt32LE(4), gid: ucred.readUInt32LE(8) };
}

/** The system page size (mmap offsets must be multiples of it). */
export function pageSize(): number {
  return libc().sysconf(_SC_PAGESIZE);
}

/** True when the pointer is MAP_FAILED ((void *)-1) or NULL. */
export function isMapFailed(pointer: Pointer): boolean {
  const address = addressOf(pointer);
  return address === 0n || address === 0xffff_ffff_ffff_ffffn;
}

/** Readiness events of a watched descriptor. */
export interface FdEvents {
  readable: boolean;
  writable: boolean;
  disconnect: boolean;
}

/** A descriptor watched on Node's event loop; stop or close it before closing the descriptor. */
export interface FdWatch {
  /** (Re)starts watching for `events`, replacing the callback. */
  start(events: { readable?: boolean; writable?: boolean }, callback: (status: number, events: FdEvents) => void): void;
  /** Stops watching for now. */
  stop(): void;
  /** Stops for good (uv_close); the descriptor may be closed right after. */
  close(): void;
  /** The watch keeps the event loop alive (the default). */
  ref(): void;
  /** The watch no longer keeps the event loop alive on its own, like `timer.unref()`; it still calls back. */
  unref(): void;
}

/**
 * Watches `fd` for readiness on Node's own event loop (libuv's uv_poll, via
 * koffi.node.poll), so nothing blocks the loop. koffi calls back with
 * `(status, events)`: status is 0 or a negative libuv error. (koffi's
 * index.d.ts omits the status argument; its src/koffi/src/uv.cc passes it.)
 * Watches still open when the thread exits are closed on its 'exit' event:
 * koffi calls back without a callback scope, and a descriptor that becomes
 * ready while Node tears the environment down (a watched peer exiting just
 * then) would abort the process with a fatal napi_throw.
 */
export function watchFd(fd: number, events: { readable?: boolean; writable?: boolean }, callback: (status: number, events: FdEvents) => void): FdWatch {
  const poll = koffi.node.poll as unknown as (
    fd: number,
    options: { readable?: boolean; writable?: boolean },
    callback: (status: number, events: FdEvents) => void,
  ) => { start(o: object, cb: (status: number, events: FdEvents) => void): void; stop(): void; close(): void; ref(): void; unref(): void } | null;
  const handle = poll(fd, events, callback);
  if (!handle) throw new IpcError('EIO', `could not watch descriptor ${fd} on the event loop (koffi.node.poll)`, { syscall: 'uv_poll_start' });
  if (!closingAtExit) {
    closingAtExit = true;
    process.once('exit', closeOpenWatches);
  }
  const close = (): void => {
    openWatches.delete(close);
    handle.close();
  };
  openWatches.add(close);
  return {
    start: (e, cb) => handle.start(e, cb),
    stop: () => handle.stop(),
    close,
    ref: () => handle.ref(),
    unref: () => handle.unref(),
  };
}

/** The close of every watch not yet closed, for the thread's 'exit' event. */
const openWatches = new Set<() => void>();
let closingAtExit = false;

function closeOpenWatches(): void {
  for (const close of [...openWatches]) close();
}
