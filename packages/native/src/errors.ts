import { IpcError, type IpcErrorCode } from '@ipckit/core';
import { ERRNO, errnoName, systemError } from '@ipckit/sys';

/** A bad argument, raised before any syscall. */
export function invalidArgument(message: string): IpcError {
  return new IpcError('EINVAL', message);
}

/** A bad argument value: `${rule}, got ${value}`. */
export function invalidValue(rule: string, value: unknown): IpcError {
  return invalidArgument(`${rule}, got ${String(value)}`);
}

/** Use of a closed waiter or sync thread. */
export function closedError(what = 'waiter'): IpcError {
  return new IpcError('ECLOSED', `the ${what} is closed`);
}

/** The codes the addon raises itself, before or instead of an OS call, as portable codes. */
const ADDON_CODES: Readonly<Record<string, IpcErrorCode>> = {
  EINVAL: 'EINVAL',
  ECLOSED: 'ECLOSED',
  // A second wait() while one is pending is a misuse of the waiter, not an OS condition.
  EBUSY: 'EINVAL',
};

/**
 * What the addon threw, as an IpcError. A failed OS call arrives with only
 * the OS's number (`errno`: GetLastError() on Windows, errno elsewhere) and
 * `syscall`; @ipckit/sys names it and gives its portable code.
 */
export function fromNative(error: unknown): IpcError {
  if (error instanceof IpcError) return error;
  const e = (error ?? {}) as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown };
  const message = String(e.message ?? error);
  if (typeof e.errno === 'number')
    return systemError(e.errno, typeof e.syscall === 'string' ? e.syscall : 'unknown', undefined, message.replace(/ failed with OS error \d+$/, ' failed'));
  if (e.code === 'ETHREAD') return threadError(error, message);
  const code = typeof e.code === 'string' ? ADDON_CODES[e.code] : undefined;
  return new IpcError(code ?? 'EIO', message, { cause: error });
}

/**
 * No OS thread could be started for a wait (the addon's code ETHREAD): the
 * process or its user is at its thread limit (RLIMIT_NPROC, a cgroup's
 * pids.max). IpcError ENOMEM, with the C library's error number (EAGAIN) as
 * `errno`/`osCode`: out of a resource, not a bug, and the other waits go on.
 */
function threadError(error: unknown, message: string): IpcError {
  const errno = (error as { threadErrno?: unknown }).threadErrno;
  const number = typeof errno === 'number' ? errno : ERRNO.EAGAIN;
  // std::thread reports the C library's errno on every target (MinGW's too), not a Win32 code.
  const osCode = number === ERRNO.EAGAIN ? 'EAGAIN' : errnoName(number);
  return new IpcError('ENOMEM', `${message} (out of threads: RLIMIT_NPROC or the cgroup's pids.max)`, {
    errno: number,
    osCode,
    syscall: 'pthread_create',
    cause: error,
  });
}
