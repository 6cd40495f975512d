/**
 * A read-only look into the ring a side consumes, for the first-message
 * deadline of a listener's channels (Rule 5 of @ipckit/core's transport.ts):
 * has the peer published a whole message that nobody has read yet? The
 * records are walked as docs/ring-protocol.md §3 lays them out, from the
 * published `tail` to `head`, without consuming anything or mapping a pool:
 * only record headers are read, and the producer is trusted with nothing.
 */
import { FRAGMENT, PAD_LENGTH, POOL_RECORD, RECORD_HEADER_BYTES, W, type RingReader } from './ring.js';

/**
 * Records looked at before giving up. A whole message is the first record
 * (a small message, or a pool record) or the last of the few fragments a
 * large one is cut into (each a quarter ring): past this many records,
 * what is there is not what an ipckit producer writes before a whole message.
 */
const MAX_RECORDS = 1024;

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * True when `rx` holds, between its published `tail` and `head`, a record
 * that completes a message: a whole record, a pool record (the message is
 * whole in the producer's pool), or the last fragment of a fragmented one
 * (its earlier fragments, if consumed already, are behind `tail`). False
 * for an empty ring, fragments whose last piece has not come, and anything
 * corrupt (the reader fails on that when it gets there).
 *
 * Records consumed but whose `tail` is not stored yet (the consumer stores
 * a whole record's `tail` late) are still between the stored `tail` and
 * `head`, unchanged: the producer may not overwrite them before it sees
 * that `tail`. So they are found too.
 */
export function wholeMessageWaiting(rx: RingReader): boolean {
  const capacity = rx.capacity;
  let at = Atomics.load(rx.h, W.tail) >>> 0;
  const head = Atomics.load(rx.h, W.head) >>> 0;
  let left = (head - at) >>> 0;
  if (left > capacity || (head & 7) !== 0 || (at & 7) !== 0) return false;
  const words = new Int32Array(rx.data.buffer, rx.data.byteOffset, capacity / 4);
  for (let records = 0; left > 0 && records < MAX_RECORDS; records++) {
    const pos = at & (capacity - 1);
    const length = words[pos >> 2]! >>> 0;
    let step: number;
    if (length === PAD_LENGTH) {
      step = capacity - pos;
    } else {
      if (length > capacity - pos - RECORD_HEADER_BYTES) return false;
      const word1 = words[(pos >> 2) + 1]! >>> 0;
      // FRAGMENT alone: a fragment with 0 bytes remaining, the last of its message.
      if (word1 === 0 || word1 === POOL_RECORD || word1 === FRAGMENT) return align8(RECORD_HEADER_BYTES + length) <= left;
      step = align8(RECORD_HEADER_BYTES + length);
    }
    if (step > left) return false;
    left -= step;
    at = (at + step) >>> 0;
  }
  return false;
}
