/**
 * Waiting on a 32-bit word of a region until another process changes it,
 * and waking those waiters (issue 18 §3). Region memory is an ordinary
 * ArrayBuffer over a mapping, not a SharedArrayBuffer, so `Atomics.wait`
 * on it throws ("not a shared typed array"), and it could only wake threads
 * of this process anyway. These go through @ipckit/native's wait word: a
 * futex on Linux (it works across processes on MAP_SHARED memory), a named
 * event on Windows.
 */
import { createHash } from 'node:crypto';
import { openWaiter, type WaitResult, type Waiter } from '@ipckit/native';
import { IpcError } from '@ipckit/core';

/** How a region wait ended, as `Atomics.wait` says it. */
export type RegionWaitResult = 'ok' | 'not-equal' | 'timed-out';

/** The memory of one 32-bit word: the view's ArrayBuffer, the word's byte offset in it, and its offset in the region. */
export interface WordAt {
  buffer: ArrayBuffer;
  byteOffset: number;
  /** Offset of the word from the start of the region (the same in every process). */
  regionOffset: number;
}

/** Checks a word offset inside a view of `length` bytes starting `viewOffset` bytes into its region; EINVAL otherwise. */
export function checkWordOffset(offset: unknown, length: number, viewOffset: number): number {
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset + 4 > length) {
    throw new IpcError('EINVAL', `offset must be an integer from 0 to ${length - 4} (a 32-bit word inside the view), not ${String(offset)}`);
  }
  if ((viewOffset + offset) % 4 !== 0) throw new IpcError('EINVAL', `offset ${offset} is not 4-byte aligned in the region (the word's address must be)`);
  return offset;
}

/** The value a wait compares with: any 32-bit integer, signed or not (as Int32Array or Uint32Array reads it). */
export function checkWordValue(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x8000_0000 || value > 0xffff_ffff) {
    throw new IpcError('EINVAL', `value must be a 32-bit integer (from -2^31 to 2^32-1), not ${String(value)}`);
  }
  return value >>> 0;
}

/** A wait's timeout in ms: a number >= 0, or Infinity / undefined for none. */
export function checkWaitTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new IpcError('EINVAL', `timeoutMs must be a number >= 0 or Infinity, not ${typeof timeoutMs === 'number' ? timeoutMs : typeof timeoutMs}`);
  }
  return timeoutMs;
}

/** A count of waiters to wake: a positive integer or Infinity (all). */
export function checkWakeCount(count: unknown): number {
  if (count === Infinity) return count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new IpcError('EINVAL', `count must be a positive integer or Infinity, not ${String(count)}`);
  }
  return count;
}

/**
 * The name every process derives for the same word of the same region
 * (Windows names its event after it; Linux only checks it): the region's
 * OS name or path, hashed to stay short and free of separators, and the
 * word's offset in the region.
 */
function wordName(regionPath: string, regionOffset: number): string {
  return `rw-${createHash('sha256').update(regionPath).digest('hex').slice(0, 32)}-${regionOffset}`;
}

/** A waiter on one word; close it before the memory is unmapped. */
export function openWord(word: WordAt, regionPath: string): Waiter {
  return openWaiter(word.buffer, word.byteOffset, wordName(regionPath, word.regionOffset));
}

/** The native result as `Atomics.wait` names it; `closed` (the view closed meanwhile) is ECLOSED. */
export function waitResult(result: WaitResult): RegionWaitResult {
  if (result === 'closed') throw new IpcError('ECLOSED', 'the view was closed while waiting');
  return result === 'woken' ? 'ok' : result;
}
