/**
 * The rules for names of named kernel objects: file mappings, mutexes,
 * semaphores and events on Windows (one namespace for all of them), and
 * shm_open / sem_open names on POSIX. Checked before any system call, so a
 * bad name is IpcError EINVAL and nothing is created.
 */
import { IpcError } from '@ipckit/core';

/** Object names are limited to MAX_PATH (260) UTF-16 units on Windows. */
const WIN32_NAME_CHARS = 260;
/** NAME_MAX: a shm_open or sem_open object is a file in /dev/shm on Linux. */
const POSIX_NAME_BYTES = 255;

function checkCommon(name: unknown, label: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new IpcError('EINVAL', `${label} must be a non-empty string`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new IpcError('EINVAL', `${label} ${JSON.stringify(name)} holds a NUL or control character`);
  return name;
}

/**
 * A Windows kernel object name, as given: `name`, `Local\name` (this session,
 * the default) or `Global\name` (every session). Only that prefix may hold a
 * backslash; at most 260 characters.
 */
export function win32ObjectName(name: unknown, label = 'object name'): string {
  const checked = checkCommon(name, label);
  const bare = checked.replace(/^(Local|Global)\\/, '');
  if (bare.length === 0 || bare.includes('\\')) {
    throw new IpcError('EINVAL', `${label} ${JSON.stringify(checked)}: only a Local\\ or Global\\ prefix may hold a backslash`);
  }
  if (checked.length > WIN32_NAME_CHARS) throw new IpcError('EINVAL', `${label} is ${checked.length} characters; the limit is ${WIN32_NAME_CHARS}`);
  return checked;
}

/**
 * A POSIX shm_open / sem_open name: `/name` (a leading slash is added when
 * missing), no other slash, not `.` or `..`, at most NAME_MAX bytes less
 * `reserveBytes` (room for a suffix the caller appends, e.g. an ownership
 * record's, or `sem.` that sem_open prepends).
 */
export function posixObjectName(name: unknown, label = 'object name', reserveBytes = 0): string {
  const checked = checkCommon(name, label);
  const bare = checked.startsWith('/') ? checked.slice(1) : checked;
  if (bare.length === 0 || bare === '.' || bare === '..') throw new IpcError('EINVAL', `${label} ${JSON.stringify(checked)} is not a valid POSIX object name`);
  if (bare.includes('/')) throw new IpcError('EINVAL', `${label} ${JSON.stringify(checked)} holds a slash after the leading one`);
  const bytes = Buffer.byteLength(bare);
  const max = POSIX_NAME_BYTES - reserveBytes;
  if (bytes > max) throw new IpcError('EINVAL', `${label} is ${bytes} bytes; the limit here is ${max}`);
  return `/${bare}`;
}
