import { IpcError } from '../errors.js';
import {
  DEFAULT_BACKLOG,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_MAX_PARTIAL_FRAME_BYTES,
  type CloseOptions,
} from '../transport.js';
import { MAX_FRAME_BYTES } from './framing.js';
import { MAX_TIMER_MS } from './timers.js';

/** Rules a transport applies to the names it serves, on top of the common ones. */
export interface NameRules {
  /** The longest name accepted, in UTF-8 bytes. */
  maxBytes: number;
  /** What the name is called in messages, e.g. "pipe name". */
  label?: string;
}

const encoder = new TextEncoder();

/**
 * Checks a transport name before any syscall and throws IpcError EINVAL when
 * it is unsafe: empty, too long, holding NUL or other control characters,
 * holding a path separator (`/` or `\`), or being `.` or `..`. Names therefore
 * never escape the directory or namespace a transport puts them in.
 */
export function validateName(name: unknown, rules: NameRules): string {
  const label = rules.label ?? 'name';
  if (typeof name !== 'string') {
    throw new IpcError('EINVAL', `${label} must be a string, got ${typeof name}`);
  }
  if (name.length === 0) {
    throw new IpcError('EINVAL', `${label} is empty`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new IpcError('EINVAL', `${label} ${JSON.stringify(name)} holds a NUL or control character`);
  }
  if (name.includes('/') || name.includes('\\')) {
    throw new IpcError('EINVAL', `${label} ${JSON.stringify(name)} holds a path separator`);
  }
  if (name === '.' || name === '..') {
    throw new IpcError('EINVAL', `${label} ${JSON.stringify(name)} is a relative path component`);
  }
  const bytes = encoder.encode(name).length;
  if (bytes > rules.maxBytes) {
    throw new IpcError('EINVAL', `${label} is ${bytes} bytes long; the limit here is ${rules.maxBytes}`);
  }
  return name;
}

/**
 * Checks a size or count option: a safe non-negative integer within bounds.
 * Throws IpcError EINVAL otherwise.
 */
export function validateInteger(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new IpcError('EINVAL', `${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Checks a `signal` option before any syscall: IpcError EINVAL when it is not
 * an AbortSignal, ECANCELED when it is already aborted (nothing is created or
 * started; `cause` is the signal's reason).
 */
export function validateSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new IpcError('EINVAL', `signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  }
  if (signal.aborted) throw new IpcError('ECANCELED', 'the operation was aborted before it started', { cause: signal.reason });
  return signal;
}

/**
 * The `maxMessageBytes` option checked (EINVAL when it is not an integer from
 * 0 to `limit`), or `fallback` when it is not given.
 */
export function maxMessageBytesOption(options: { maxMessageBytes?: number } | undefined, fallback: number, limit = MAX_FRAME_BYTES): number {
  const max = options?.maxMessageBytes;
  return max === undefined ? fallback : validateInteger(max, 'maxMessageBytes', 0, limit);
}

/**
 * A `timeoutMs` option checked (EINVAL unless an integer from 1 ms to
 * 2^31 - 1 ms), or `fallback` when it is not given.
 */
export function timeoutOption(timeoutMs: unknown, fallback?: number): number | undefined {
  return timeoutMs === undefined ? fallback : validateInteger(timeoutMs, 'timeoutMs', 1, MAX_TIMER_MS);
}

/**
 * The `timeoutMs` of close() (Rule 2 of the Channel contract) checked: an
 * integer from 0 (give pending sends no time) to 2^31 - 1 ms, EINVAL
 * otherwise; DEFAULT_CLOSE_TIMEOUT_MS when not given.
 */
export function closeTimeoutOption(options: CloseOptions | null | undefined): number {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new IpcError('EINVAL', `close options must be an object, got ${typeof options}`);
  }
  const timeoutMs = options?.timeoutMs;
  return timeoutMs === undefined ? DEFAULT_CLOSE_TIMEOUT_MS : validateInteger(timeoutMs, 'timeoutMs', 0, MAX_TIMER_MS);
}

/** The largest `backlog` accepted. */
export const MAX_BACKLOG = 65_536;

/** The `backlog` listen option checked (EINVAL unless an integer from 1 to 65,536), or DEFAULT_BACKLOG. */
export function backlogOption(options: { backlog?: number } | undefined): number {
  const backlog = options?.backlog;
  return backlog === undefined ? DEFAULT_BACKLOG : validateInteger(backlog, 'backlog', 1, MAX_BACKLOG);
}

/** The flood limits of a stream listener (Rule 5), checked. */
export interface StreamLimitOptions {
  maxPartialFrameBytes: number;
  firstMessageTimeoutMs: number;
}

/**
 * Checks `maxPartialFrameBytes` (1 to 2^53 - 1) and `firstMessageTimeoutMs`
 * (0 to 2^31 - 1) of listen options, EINVAL otherwise; the defaults when not given.
 */
export function streamLimitOptions(options: { maxPartialFrameBytes?: number; firstMessageTimeoutMs?: number } | undefined): StreamLimitOptions {
  const bytes = options?.maxPartialFrameBytes;
  const ms = options?.firstMessageTimeoutMs;
  return {
    maxPartialFrameBytes: bytes === undefined ? DEFAULT_MAX_PARTIAL_FRAME_BYTES : validateInteger(bytes, 'maxPartialFrameBytes', 1, Number.MAX_SAFE_INTEGER),
    firstMessageTimeoutMs: ms === undefined ? DEFAULT_FIRST_MESSAGE_TIMEOUT_MS : validateInteger(ms, 'firstMessageTimeoutMs', 0, MAX_TIMER_MS),
  };
}
