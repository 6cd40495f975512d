/** The errors and option checks that every method of a shm:// channel shares. */
import { IpcError } from '@ipckit/core';

/** Errors from ring reads are IpcErrors; anything else (a bug) is reported as EIO. */
export function errorFrom(error: unknown): IpcError {
  return error instanceof IpcError ? error : new IpcError('EIO', String(error), { cause: error });
}

/** EINVAL: a receive while a message read in place is still held. */
export function heldError(): IpcError {
  return new IpcError('EINVAL', 'a message read in place is not released yet: release() it before the next receive');
}

/** EINVAL for a `timeoutMs` that is not a number >= 0 or Infinity. */
export function badTimeout(value: unknown): IpcError {
  return new IpcError('EINVAL', `timeoutMs must be a number >= 0 or Infinity, got ${typeof value === 'number' ? value : typeof value}`);
}

/** Checks a `timeoutMs` (a number >= 0 or Infinity); EINVAL otherwise. */
export function checkTimeout(value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0)) throw badTimeout(value);
  return value;
}
