import { constants } from 'node:os';
import type { IpcErrorCode } from '@ipckit/core';

/** errno number → name, from the running OS's own table (numbers differ between Linux and macOS). */
const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** The symbolic name of a POSIX errno on this OS, e.g. 2 → `ENOENT`. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

const ERRNO_PORTABLE: Readonly<Record<string, IpcErrorCode>> = {
  ENOENT: 'ENOENT',
  ECONNREFUSED: 'ENOENT',
  EEXIST: 'EADDRINUSE',
  EADDRINUSE: 'EADDRINUSE',
  EMSGSIZE: 'EMSGSIZE',
  EINVAL: 'EINVAL',
  ENAMETOOLONG: 'EINVAL',
  EBADF: 'EINVAL',
  ECONNRESET: 'ECONNRESET',
  EPIPE: 'EPIPE',
  ETIMEDOUT: 'ETIMEDOUT',
  EACCES: 'EACCES',
  EPERM: 'EACCES',
  ENOMEM: 'ENOMEM',
  ENOBUFS: 'ENOMEM',
  ENOSPC: 'ENOMEM',
  EMFILE: 'ENOMEM',
  ENFILE: 'ENOMEM',
  ENOTSUP: 'ENOTSUP',
  EOPNOTSUPP: 'ENOTSUP',
  ENOSYS: 'ENOTSUP',
};

/** The portable code for a POSIX errno. */
export function portableErrnoCode(errno: number): IpcErrorCode {
  return ERRNO_PORTABLE[errnoName(errno)] ?? 'EIO';
}

/**
 * Win32 error codes ipckit meets, with their names and portable codes.
 * https://learn.microsoft.com/windows/win32/debug/system-error-codes--0-499-
 */
const WIN32_ERRORS: ReadonlyMap<number, readonly [string, IpcErrorCode]> = new Map([
  [2, ['ERROR_FILE_NOT_FOUND', 'ENOENT']],
  [3, ['ERROR_PATH_NOT_FOUND', 'ENOENT']],
  [5, ['ERROR_ACCESS_DENIED', 'EACCES']],
  [6, ['ERROR_INVALID_HANDLE', 'EINVAL']],
  [8, ['ERROR_NOT_ENOUGH_MEMORY', 'ENOMEM']],
  [14, ['ERROR_OUTOFMEMORY', 'ENOMEM']],
  [32, ['ERROR_SHARING_VIOLATION', 'EACCES']],
  [38, ['ERROR_HANDLE_EOF', 'EPIPE']],
  [80, ['ERROR_FILE_EXISTS', 'EADDRINUSE']],
  [87, ['ERROR_INVALID_PARAMETER', 'EINVAL']],
  [109, ['ERROR_BROKEN_PIPE', 'EPIPE']],
  [111, ['ERROR_BUFFER_OVERFLOW', 'EMSGSIZE']],
  [112, ['ERROR_DISK_FULL', 'ENOMEM']],
  [121, ['ERROR_SEM_TIMEOUT', 'ETIMEDOUT']],
  [122, ['ERROR_INSUFFICIENT_BUFFER', 'EMSGSIZE']],
  [123, ['ERROR_INVALID_NAME', 'EINVAL']],
  [161, ['ERROR_BAD_PATHNAME', 'EINVAL']],
  [183, ['ERROR_ALREADY_EXISTS', 'EADDRINUSE']],
  [206, ['ERROR_FILENAME_EXCED_RANGE', 'EINVAL']],
  [231, ['ERROR_PIPE_BUSY', 'EADDRINUSE']],
  [232, ['ERROR_NO_DATA', 'EPIPE']],
  [233, ['ERROR_PIPE_NOT_CONNECTED', 'EPIPE']],
  [234, ['ERROR_MORE_DATA', 'EMSGSIZE']],
  [258, ['WAIT_TIMEOUT', 'ETIMEDOUT']],
  [487, ['ERROR_INVALID_ADDRESS', 'EINVAL']],
  [1224, ['ERROR_USER_MAPPED_FILE', 'EACCES']],
  [1314, ['ERROR_PRIVILEGE_NOT_HELD', 'EACCES']],
  [1450, ['ERROR_NO_SYSTEM_RESOURCES', 'ENOMEM']],
  [1460, ['ERROR_TIMEOUT', 'ETIMEDOUT']],
]);

/** The symbolic name of a Win32 error code, e.g. 183 → `ERROR_ALREADY_EXISTS`. */
export function win32ErrorName(code: number): string {
  return WIN32_ERRORS.get(code)?.[0] ?? `Win32 error ${code}`;
}

/** The portable code for a Win32 error code. */
export function win32Code(code: number): IpcErrorCode {
  return WIN32_ERRORS.get(code)?.[1] ?? 'EIO';
}
