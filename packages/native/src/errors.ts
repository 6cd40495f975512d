import { errnoName, portableErrnoCode, win32Code, win32ErrorName } from '@ipckit/sys';
import { WIN32 } from './loader.js';

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

/**
 * Completes an error from the addon. Errors from a failed OS call carry only
 * `errno` and `syscall`; this adds `code` and `osCode` for the current OS.
 * Errors that already have a `code` (EINVAL, ECLOSED, EBUSY) pass through.
 */
export function fromNative(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as Partial<NativeError>;
  if (typeof e.code === 'string' || typeof e.errno !== 'number') return error;
  // The addon reports GetLastError() on Windows and errno elsewhere; @ipckit/sys names both.
  const osCode = WIN32 ? win32ErrorName(e.errno) : errnoName(e.errno);
  const code = WIN32 ? win32Code(e.errno) : portableErrnoCode(e.errno);
  e.code = code;
  e.osCode = osCode;
  e.message = `${code}: ${e.message ?? ''} (${osCode})`;
  return error;
}
