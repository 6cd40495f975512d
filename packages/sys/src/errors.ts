/**
 * OS error numbers: their names, their portable codes, and IpcErrors built
 * from them. errno on POSIX, GetLastError() codes on Windows.
 */
import { constants } from 'node:os';
import { IpcError, type IpcErrorCode } from '@ipckit/core';
import { BACKEND } from './platform.js';

/** errno values of this OS, by name (numbers differ between Linux and macOS): Node's own table. */
export const ERRNO: Readonly<typeof constants.errno> = constants.errno;

/** errno number → name, from the running OS's own table. */
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
  ENOSPC: 'ENOSPC',
  EMFILE: 'EMFILE',
  ENFILE: 'ENFILE',
  ENOTSUP: 'ENOTSUP',
  EOPNOTSUPP: 'ENOTSUP',
  ENOSYS: 'ENOTSUP',
};

/** The portable code for a POSIX errno. */
export function portableErrnoCode(errno: number): IpcErrorCode {
  return ERRNO_PORTABLE[errnoName(errno)] ?? 'EIO';
}

// Win32 error codes ipckit names.
// https://learn.microsoft.com/windows/win32/debug/system-error-codes--0-499-
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_PATH_NOT_FOUND = 3;
export const ERROR_TOO_MANY_OPEN_FILES = 4;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_HANDLE = 6;
export const ERROR_NOT_ENOUGH_MEMORY = 8;
export const ERROR_OUTOFMEMORY = 14;
export const ERROR_SHARING_VIOLATION = 32;
export const ERROR_HANDLE_EOF = 38;
export const ERROR_HANDLE_DISK_FULL = 39;
export const ERROR_FILE_EXISTS = 80;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_BROKEN_PIPE = 109;
export const ERROR_BUFFER_OVERFLOW = 111;
export const ERROR_DISK_FULL = 112;
export const ERROR_SEM_TIMEOUT = 121;
export const ERROR_INSUFFICIENT_BUFFER = 122;
export const ERROR_INVALID_NAME = 123;
export const ERROR_BAD_PATHNAME = 161;
export const ERROR_ALREADY_EXISTS = 183;
export const ERROR_FILENAME_EXCED_RANGE = 206;
export const ERROR_PIPE_BUSY = 231;
export const ERROR_NO_DATA = 232;
export const ERROR_PIPE_NOT_CONNECTED = 233;
export const ERROR_MORE_DATA = 234;
export const WAIT_TIMEOUT = 258;
export const ERROR_INVALID_ADDRESS = 487;
export const ERROR_NOT_OWNER = 288;
export const ERROR_USER_MAPPED_FILE = 1224;
export const ERROR_PRIVILEGE_NOT_HELD = 1314;
export const ERROR_NO_SYSTEM_RESOURCES = 1450;
export const ERROR_TIMEOUT = 1460;
export const ERROR_TOO_MANY_POSTS = 298;

/** Each named Win32 code with its name and portable code. */
const WIN32_ERRORS: ReadonlyMap<number, readonly [string, IpcErrorCode]> = new Map<number, readonly [string, IpcErrorCode]>([
  [ERROR_FILE_NOT_FOUND, ['ERROR_FILE_NOT_FOUND', 'ENOENT']],
  [ERROR_PATH_NOT_FOUND, ['ERROR_PATH_NOT_FOUND', 'ENOENT']],
  [ERROR_TOO_MANY_OPEN_FILES, ['ERROR_TOO_MANY_OPEN_FILES', 'EMFILE']],
  [ERROR_ACCESS_DENIED, ['ERROR_ACCESS_DENIED', 'EACCES']],
  [ERROR_INVALID_HANDLE, ['ERROR_INVALID_HANDLE', 'EINVAL']],
  [ERROR_NOT_ENOUGH_MEMORY, ['ERROR_NOT_ENOUGH_MEMORY', 'ENOMEM']],
  [ERROR_OUTOFMEMORY, ['ERROR_OUTOFMEMORY', 'ENOMEM']],
  [ERROR_SHARING_VIOLATION, ['ERROR_SHARING_VIOLATION', 'EACCES']],
  [ERROR_HANDLE_EOF, ['ERROR_HANDLE_EOF', 'EPIPE']],
  [ERROR_HANDLE_DISK_FULL, ['ERROR_HANDLE_DISK_FULL', 'ENOSPC']],
  [ERROR_FILE_EXISTS, ['ERROR_FILE_EXISTS', 'EADDRINUSE']],
  [ERROR_INVALID_PARAMETER, ['ERROR_INVALID_PARAMETER', 'EINVAL']],
  [ERROR_BROKEN_PIPE, ['ERROR_BROKEN_PIPE', 'EPIPE']],
  [ERROR_BUFFER_OVERFLOW, ['ERROR_BUFFER_OVERFLOW', 'EMSGSIZE']],
  [ERROR_DISK_FULL, ['ERROR_DISK_FULL', 'ENOSPC']],
  [ERROR_SEM_TIMEOUT, ['ERROR_SEM_TIMEOUT', 'ETIMEDOUT']],
  [ERROR_INSUFFICIENT_BUFFER, ['ERROR_INSUFFICIENT_BUFFER', 'EMSGSIZE']],
  [ERROR_INVALID_NAME, ['ERROR_INVALID_NAME', 'EINVAL']],
  [ERROR_BAD_PATHNAME, ['ERROR_BAD_PATHNAME', 'EINVAL']],
  [ERROR_ALREADY_EXISTS, ['ERROR_ALREADY_EXISTS', 'EADDRINUSE']],
  [ERROR_FILENAME_EXCED_RANGE, ['ERROR_FILENAME_EXCED_RANGE', 'EINVAL']],
  [ERROR_PIPE_BUSY, ['ERROR_PIPE_BUSY', 'EADDRINUSE']],
  [ERROR_NO_DATA, ['ERROR_NO_DATA', 'EPIPE']],
  [ERROR_PIPE_NOT_CONNECTED, ['ERROR_PIPE_NOT_CONNECTED', 'EPIPE']],
  [ERROR_MORE_DATA, ['ERROR_MORE_DATA', 'EMSGSIZE']],
  [WAIT_TIMEOUT, ['WAIT_TIMEOUT', 'ETIMEDOUT']],
  [ERROR_NOT_OWNER, ['ERROR_NOT_OWNER', 'EACCES']],
  [ERROR_TOO_MANY_POSTS, ['ERROR_TOO_MANY_POSTS', 'EINVAL']],
  [ERROR_INVALID_ADDRESS, ['ERROR_INVALID_ADDRESS', 'EINVAL']],
  [ERROR_USER_MAPPED_FILE, ['ERROR_USER_MAPPED_FILE', 'EACCES']],
  [ERROR_PRIVILEGE_NOT_HELD, ['ERROR_PRIVILEGE_NOT_HELD', 'EACCES']],
  [ERROR_NO_SYSTEM_RESOURCES, ['ERROR_NO_SYSTEM_RESOURCES', 'ENOMEM']],
  [ERROR_TIMEOUT, ['ERROR_TIMEOUT', 'ETIMEDOUT']],
]);

/** The symbolic name of a Win32 error code, e.g. 183 → `ERROR_ALREADY_EXISTS`. */
export function win32ErrorName(code: number): string {
  return WIN32_ERRORS.get(code)?.[0] ?? `Win32 error ${code}`;
}

/** The portable code for a Win32 error code. */
export function win32Code(code: number): IpcErrorCode {
  return WIN32_ERRORS.get(code)?.[1] ?? 'EIO';
}

function built(code: IpcErrorCode, osCode: string, errno: number, syscall: string, path: string | undefined, message: string | undefined): IpcError {
  return new IpcError(code, `${message ?? `${syscall} failed`}${path ? ` (${path})` : ''}: ${osCode}`, {
    errno,
    osCode,
    syscall,
    ...(path === undefined ? {} : { path }),
  });
}

/** The IpcError for a POSIX call that failed with `errno`. */
export function errnoError(errno: number, syscall: string, path?: string, message?: string): IpcError {
  return built(portableErrnoCode(errno), errnoName(errno), errno, syscall, path, message);
}

/** The IpcError for a Win32 call that failed with GetLastError() = `code`. */
export function win32CodeError(code: number, syscall: string, path?: string, message?: string): IpcError {
  return built(win32Code(code), win32ErrorName(code), code, syscall, path, message);
}

/**
 * The IpcError for an OS call that failed with `code`, read as this OS
 * numbers its errors: a GetLastError() code on Windows, errno elsewhere.
 * For errors reported by native code (@ipckit/native) that carries the raw number.
 */
export function systemError(code: number, syscall: string, path?: string, message?: string): IpcError {
  return BACKEND === 'win32' ? win32CodeError(code, syscall, path, message) : errnoError(code, syscall, path, message);
}
