/**
 * The portable error codes every ipckit transport reports. They borrow POSIX
 * names so that one `switch` works for every transport on every OS; the OS's
 * own error number and the failing syscall travel alongside in {@link IpcError}.
 */
export type IpcErrorCode =
  /** Nobody serves that name (no listener, no region, no slot). */
  | 'ENOENT'
  /** The name is already served or already exists. */
  | 'EADDRINUSE'
  /** The message is larger than the channel's maximum. */
  | 'EMSGSIZE'
  /** A bad argument: a malformed name, size, offset or option. Raised before any syscall. */
  | 'EINVAL'
  /** The peer went away while the channel was open. */
  | 'ECONNRESET'
  /** The peer closed its side; nothing more can be sent to it. */
  | 'EPIPE'
  /** The operation did not finish in the time allowed. */
  | 'ETIMEDOUT'
  /** The caller aborted the operation (its AbortSignal); `cause` is the signal's reason. */
  | 'ECANCELED'
  /** The OS refused access (permissions, an unsafe shared directory). */
  | 'EACCES'
  /** This object was closed by its owner; it cannot be used any more. */
  | 'ECLOSED'
  /** The operation is not available on this transport or OS. */
  | 'ENOTSUP'
  /** Out of memory or other resources (threads, kernel buffers, a limit of ipckit's own such as a pool or `maxSubscribers`). */
  | 'ENOMEM'
  /** This process has as many file descriptors (Windows: handles) open as it may: its own limit (`ulimit -n`). */
  | 'EMFILE'
  /** The whole system is out of file descriptors (its table is full), whichever process holds them. */
  | 'ENFILE'
  /** No space left on the file system or device that backs the object (a full /dev/shm, a full disk). */
  | 'ENOSPC'
  /** A received message is not what the protocol expects: it does not decode (a codec), or is no valid request or reply. */
  | 'EBADMSG'
  /** The peer's request handler failed; the message is the peer's, and `cause` holds its code and message. */
  | 'EREMOTE'
  /** Any other OS failure; `errno` and `syscall` say which. */
  | 'EIO';

/** Extra details an {@link IpcError} may carry. */
export interface IpcErrorDetails {
  /** The OS error number: errno on POSIX, GetLastError() on Windows. */
  errno?: number;
  /** The OS's own symbolic name, e.g. `ECONNREFUSED` or `ERROR_PIPE_BUSY`. */
  osCode?: string;
  /** The syscall or API that failed, e.g. `shm_open` or `CreateFileMappingW`. */
  syscall?: string;
  /** The OS path or object name involved. */
  path?: string;
  /** The underlying error, if this one wraps another. */
  cause?: unknown;
}

/** Marks IpcErrors across copies of this module (two installed versions, test runners' module graphs). */
const BRAND = Symbol.for('ipckit.IpcError');

/**
 * The one error type of ipckit. `code` is portable; `errno`, `osCode` and
 * `syscall` keep what the OS said, like Node's SystemError.
 */
export class IpcError extends Error {
  override readonly name = 'IpcError';
  readonly code: IpcErrorCode;
  readonly errno: number | undefined;
  readonly osCode: string | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;

  constructor(code: IpcErrorCode, message: string, details: IpcErrorDetails = {}) {
    super(`${code}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errno = details.errno;
    this.osCode = details.osCode;
    this.syscall = details.syscall;
    this.path = details.path;
  }

  /** `instanceof IpcError` holds for IpcErrors from any copy of @ipckit/core. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

Object.defineProperty(IpcError.prototype, BRAND, { value: true });

/** True when `value` is an {@link IpcError}, optionally with the given code. */
export function isIpcError(value: unknown, code?: IpcErrorCode): value is IpcError {
  return value instanceof IpcError && (code === undefined || value.code === code);
}

/**
 * How Node's (libuv's) error codes map onto portable codes. libuv already
 * turns Win32 errors into these names, so this one table serves both OSes.
 */
const NODE_CODE_MAP: Readonly<Record<string, IpcErrorCode>> = {
  ENOENT: 'ENOENT',
  // Nobody accepts on that address: for a caller this is "nobody serves that name".
  ECONNREFUSED: 'ENOENT',
  EADDRINUSE: 'EADDRINUSE',
  EEXIST: 'EADDRINUSE',
  EMSGSIZE: 'EMSGSIZE',
  EINVAL: 'EINVAL',
  ENAMETOOLONG: 'EINVAL',
  ECONNRESET: 'ECONNRESET',
  ECONNABORTED: 'ECONNRESET',
  EPIPE: 'EPIPE',
  ERR_STREAM_DESTROYED: 'ECLOSED',
  ERR_STREAM_WRITE_AFTER_END: 'EPIPE',
  ETIMEDOUT: 'ETIMEDOUT',
  ECANCELED: 'ECANCELED',
  ABORT_ERR: 'ECANCELED',
  EACCES: 'EACCES',
  EPERM: 'EACCES',
  ENOMEM: 'ENOMEM',
  ENOBUFS: 'ENOMEM',
  EMFILE: 'EMFILE',
  ENFILE: 'ENFILE',
  ENOSPC: 'ENOSPC',
  ENOTSUP: 'ENOTSUP',
  EOPNOTSUPP: 'ENOTSUP',
};

/** The portable code for a Node/libuv error code such as `ECONNREFUSED`. */
export function portableCode(nodeCode: string | undefined): IpcErrorCode {
  return (nodeCode !== undefined && NODE_CODE_MAP[nodeCode]) || 'EIO';
}

/**
 * Wraps an error thrown by a Node API (a SystemError from node:net, node:fs, ...)
 * in an IpcError, keeping its errno, code and syscall. IpcErrors pass through.
 */
export function fromNodeError(error: unknown, context?: { path?: string; message?: string }): IpcError {
  if (error instanceof IpcError) return error;
  const e = (error ?? {}) as { code?: unknown; errno?: unknown; syscall?: unknown; path?: unknown; message?: unknown };
  const osCode = typeof e.code === 'string' ? e.code : undefined;
  const path = context?.path ?? (typeof e.path === 'string' ? e.path : undefined);
  const message = context?.message ?? (typeof e.message === 'string' ? e.message : String(error));
  return new IpcError(portableCode(osCode), message, {
    errno: typeof e.errno === 'number' ? e.errno : undefined,
    osCode,
    syscall: typeof e.syscall === 'string' ? e.syscall : undefined,
    path,
    cause: error,
  });
}

/**
 * The same failure told with another portable code and message: the OS's
 * `errno`, `osCode`, `syscall` and `path` are kept, and the original error
 * becomes the `cause`. For transports that know better than the generic
 * mapping what a failure means (a mailslot's ERROR_INVALID_PARAMETER is
 * EMSGSIZE; a bind's EADDRINUSE is "already served").
 */
export function recode(error: IpcError, code: IpcErrorCode, message: string, path?: string): IpcError {
  return new IpcError(code, message, {
    errno: error.errno,
    osCode: error.osCode,
    syscall: error.syscall,
    path: path ?? error.path,
    cause: error,
  });
}
