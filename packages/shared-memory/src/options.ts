/**
 * The options of `shm://` listen and connect, their defaults, and their
 * checks: shared by listener.ts, connect.ts and transport.ts (which reports
 * the defaults in its capabilities), so each is written once.
 */
import { DEFAULT_CONNECT_TIMEOUT_MS, type ConnectOptions, type ListenOptions } from '@ipckit/core';
import { checkWait, streamLimitOptions, validateInteger } from '@ipckit/core/kit';
import type { WaitOptions } from './channel.js';
import { checkCapacity } from './ring.js';

/** Default largest message: 16 MiB (larger ones travel in fragments). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The largest maximum a channel accepts (the fragment word has 31 bits). */
export const MAX_MESSAGE_BYTES_LIMIT = 0x7fffffff;
/** Default data bytes of each ring: 1 MiB. */
export const DEFAULT_RING_BYTES = 1024 * 1024;

/** Options of {@link transport.listen} for shared memory. */
export interface ShmListenOptions extends ListenOptions, WaitOptions {
  /**
   * Slots of the control region: how many clients can be in the middle of
   * connecting at once (1 to 4,096; default 64). Not a limit on channels: a
   * slot is freed as soon as its client is accepted, and a client that finds
   * every slot taken retries until its connect timeout. More slots make the
   * control region larger (64 + 128 bytes each) and each accept scan longer.
   */
  slots?: number;
}

/** Options of {@link transport.connect} for shared memory. */
export interface ShmConnectOptions extends ConnectOptions, WaitOptions {
  /** Data bytes of each of the two rings: a power of two, 4 KiB to 1 GiB. Default 1 MiB. */
  ringBytes?: number;
}

/** The largest message a channel made with these options receives (EINVAL when out of range). */
export function maxMessageBytesOf(options: { maxMessageBytes?: number }): number {
  const max = options.maxMessageBytes;
  return max === undefined ? DEFAULT_MAX_MESSAGE_BYTES : validateInteger(max, 'maxMessageBytes', 0, MAX_MESSAGE_BYTES_LIMIT);
}

/**
 * The `firstMessageTimeoutMs` of listen's options (Rule 5): an integer from
 * 0 (never) to 2^31 - 1 ms, EINVAL otherwise; @ipckit/core's
 * DEFAULT_FIRST_MESSAGE_TIMEOUT_MS (60 s) when not given. Checked as the
 * stream transports check it, `maxPartialFrameBytes` with it: shm:// has no
 * use for that one (a message waits in the ring or the pool, not in a
 * buffer per connection), but a bad value is EINVAL on every transport.
 */
export function firstMessageTimeoutOf(options: ListenOptions): number {
  return streamLimitOptions(options).firstMessageTimeoutMs;
}

/** Connect's options, checked (EINVAL) before anything is opened. */
export interface ConnectSettings {
  maxMessageBytes: number;
  /** Data bytes of each ring. */
  capacity: number;
  /** How long connect waits for a free slot and an answer (default: @ipckit/core's DEFAULT_CONNECT_TIMEOUT_MS). */
  timeoutMs: number;
  /** Aborting gives up (ECANCELED). */
  signal: AbortSignal | undefined;
}

/** Checks connect's options and fills in the defaults. */
export function connectSettings(options: ShmConnectOptions): ConnectSettings {
  const wait = checkWait(options, DEFAULT_CONNECT_TIMEOUT_MS);
  return {
    maxMessageBytes: maxMessageBytesOf(options),
    capacity: checkCapacity(options.ringBytes ?? DEFAULT_RING_BYTES),
    timeoutMs: wait.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    signal: wait.signal,
  };
}
