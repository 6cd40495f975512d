import { getSystemErrorName } from 'node:util';

/**
 * The errors this package throws: a plain Error with Node's SystemError
 * fields. `code` is portable (the POSIX-style names @ipckit/core's IpcError
 * uses); `errno` and `osCode` keep what the OS said; `syscall` names the call.
 */
export interface NativeError extends Error {
  code: string;
  errno?: number;
  osCode?: string;
  syscall?: string;
}

/** A bad argument, raised before any syscall. */
export function invalidArgument(message: string): NativeError {
  return Object.assign(new Error(`EINVAL: ${message}`), { code: 'EINVAL' });
}

/** Use of a closed waiter. */
export function closedError(): NativeError {
  return Object.assign(new Error('ECLOSED: the waiter is closed'), { code: 'ECLOSED' });
}

// GetLastError() codes the addon's Win32 calls can fail with, and the
// portable code for each (the same translation libuv's uv_translate_sys_error makes).
// https://learn.microsoft.com/windows/win32/debug/system-error-codes--0-499-
const WIN32_ERRORS: Readonly<Record<number, readonly [osCode: string, code: string]>> = {
  5: ['ERROR_ACCESS_DENIED', 'EACCES'],
  6: ['ERROR_INVALID_HANDLE', 'EBADF'],
  8: ['ERROR_NOT_ENOUGH_MEMORY', 'ENOMEM'],
  14: ['ERROR_OUTOFMEMORY', 'ENOMEM'],
  87: ['ERROR_INVALID_PARAMETER', 'EINVAL'],
  123: ['ERROR_INVALID_NAME', 'EINVAL'],
  206: ['ERROR_FILENAME_EXCED_RANGE', 'ENAMETOOLONG'],
  1450: ['ERROR_NO_SYSTEM_RESOURCES', 'ENOMEM'],
};

/**
 * Completes an error from the addon. Errors from a failed OS call carry only
 * `errno` and `syscall`; this adds `code` and `osCode` for the current OS.
 * Errors that already have a `code` (EINVAL, ECLOSED, EBUSY) pass through.
 */
export function fromNative(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as Partial<NativeError>;
  if (typeof e.code === 'string' || typeof e.errno !== 'number') return error;
  let osCode: string;
  let code: string;
  if (process.platform === 'win32') {
    const known = WIN32_ERRORS[e.errno];
    osCode = known?.[0] ?? `WIN32_ERROR_${e.errno}`;
    code = known?.[1] ?? 'EIO';
  } else {
    try {
      osCode = getSystemErrorName(-e.errno);
    } catch {
      osCode = `errno ${e.errno}`;
    }
    code = osCode;
  }
  e.code = code;
  e.osCode = osCode;
  e.message = `${code}: ${e.message ?? ''} (${osCode})`;
  return error;
}
