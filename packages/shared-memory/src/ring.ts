/**
 * The ring: a single-producer single-consumer byte ring in shared memory,
 * carrying variable-length records. docs/ring-protocol.md is the contract;
 * this file follows it word for word. Only Atomics touch the shared
 * positions, so the producer and consumer may be in different processes
 * (and written in different languages).
 */
import { IpcError } from '@ipckit/core';

/** 'RING' in memory order, read as a little-endian u32. */
export const RING_MAGIC = 0x474e4952;
export const RING_VERSION = 1;
/** Bytes before the data area. */
export const RING_HEADER_BYTES = 256;
/** Bytes of a record header: u32 length, u32 fragment word. */
export const RECORD_HEADER_BYTES = 8;
export const MIN_RING_CAPACITY = 4096;
export const MAX_RING_CAPACITY = 2 ** 30;
/** A record length meaning "padding to the end of the data area". */
export const PAD_LENGTH = 0xffffffff;
/** Fragment word bit: this record is one piece of a larger message. */
export const FRAGMENT = 0x80000000;

/** u32 word indexes into the header (byte offset / 4). */
export const W = {
  magic: 0,
  version: 1,
  capacity: 2,
  dataOffset: 3,
  // Producer's cache line (bytes 64..127).
  head: 16,
  producerState: 17,
  producerPid: 18,
  dataBell: 19,
  producerSleeping: 20,
  // Consumer's cache line (bytes 128..191).
  tail: 32,
  consumerState: 33,
  consumerPid: 34,
  spaceBell: 35,
  consumerSleeping: 36,
} as const;

/** Side states: not attached yet, open, closed. */
export const STATE_NONE = 0;
export const STATE_OPEN = 1;
export const STATE_CLOSED = 2;

/** Total bytes of a ring with `capacity` data bytes. */
export function ringBytes(capacity: number): number {
  return RING_HEADER_BYTES + capacity;
}

/** Checks a ring capacity: a power of two from 4 KiB to 1 GiB. */
export function checkCapacity(capacity: unknown): number {
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < MIN_RING_CAPACITY || capacity > MAX_RING_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new IpcError('EINVAL', `ring capacity must be a power of two from ${MIN_RING_CAPACITY} to ${MAX_RING_CAPACITY}, got ${String(capacity)}`);
  }
  return capacity;
}

/** Writes a fresh ring header at `byteOffset` of `buffer`; both sides start at 0. */
export function initRing(buffer: ArrayBuffer, byteOffset: number, capacity: number): void {
  const h = new Int32Array(buffer, byteOffset, RING_HEADER_BYTES / 4);
  h.fill(0);
  h[W.capacity] = capacity;
  h[W.dataOffset] = RING_HEADER_BYTES;
  h[W.version] = RING_VERSION;
  Atomics.store(h, W.magic, RING_MAGIC);
}

/** The largest record payload in a ring: a quarter of it, so a record always fits after at most one pad. */
export function maxRecordPayload(capacity: number): number {
  return capacity / 4 - RECORD_HEADER_BYTES;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** What both ends share: the header words and the data area. */
class RingBase {
  /** The header as 32-bit words (Atomics work on it). */
  readonly h: Int32Array;
  readonly data: Uint8Array;
  /** The data area as 32-bit words, for record headers (records are 8-byte aligned). */
  protected readonly words: Int32Array;
  readonly capacity: number;
  protected readonly mask: number;
  /** Byte offset of the header in the buffer (waiters need it). */
  readonly byteOffset: number;

  constructor(buffer: ArrayBuffer, byteOffset: number) {
    this.byteOffset = byteOffset;
    this.h = new Int32Array(buffer, byteOffset, RING_HEADER_BYTES / 4);
    if (Atomics.load(this.h, W.magic) !== RING_MAGIC) throw new IpcError('EIO', 'shared memory does not hold an ipckit ring (bad magic)');
    if (this.h[W.version] !== RING_VERSION) throw new IpcError('ENOTSUP', `ring version ${String(this.h[W.version])} is not supported (this is ${RING_VERSION})`);
    const capacity = checkCapacity(this.h[W.capacity]);
    if (buffer.byteLength < byteOffset + RING_HEADER_BYTES + capacity) throw new IpcError('EIO', 'the ring is larger than the mapping that holds it');
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.data = new Uint8Array(buffer, byteOffset + RING_HEADER_BYTES, capacity);
    this.words = new Int32Array(buffer, byteOffset + RING_HEADER_BYTES, capacity / 4);
  }

  /** Byte offset of a header word in the buffer. */
  wordOffset(word: number): number {
    return this.byteOffset + word * 4;
  }
}

/** The producing end: writes records and publishes `head`. */
export class RingWriter extends RingBase {
  #head: number;
  #tail: number;
  readonly maxChunk: number;

  constructor(buffer: ArrayBuffer, byteOffset: number) {
    super(buffer, byteOffset);
    this.#head = Atomics.load(this.h, W.head) >>> 0;
    this.#tail = Atomics.load(this.h, W.tail) >>> 0;
    this.maxChunk = maxRecordPayload(this.capacity);
  }

  /** Free bytes, refreshing the consumer's position only when needed. */
  #free(need: number): boolean {
    if (this.capacity - ((this.#head - this.#tail) >>> 0) >= need) return true;
    this.#tail = Atomics.load(this.h, W.tail) >>> 0;
    return this.capacity - ((this.#head - this.#tail) >>> 0) >= need;
  }

  /** True when a record of `payload` bytes fits now (pad included). */
  fits(payload: number): boolean {
    const need = align8(RECORD_HEADER_BYTES + payload);
    const contig = this.capacity - (this.#head & this.mask);
    return this.#free(need > contig ? contig + need : need);
  }

  /**
   * Writes as much of `message` from `offset` as fits, as one whole record
   * or as fragments, publishing each. Returns the new offset (=== length when
   * all of it is in the ring; a 0-byte message returns 1 once written).
   */
  write(message: Uint8Array, offset: number): number {
    const total = message.length;
    if (offset === 0 && total <= this.maxChunk) {
      if (!this.#record(message, 0, total, 0)) return 0;
      this.publish();
      return total === 0 ? 1 : total;
    }
    while (offset < total) {
      const chunk = Math.min(total - offset, this.maxChunk);
      const remaining = total - offset - chunk;
      if (!this.#record(message, offset, chunk, (FRAGMENT | remaining) >>> 0)) break;
      offset += chunk;
      this.publish();
    }
    return offset;
  }

  #record(src: Uint8Array, from: number, length: number, word1: number): boolean {
    const need = align8(RECORD_HEADER_BYTES + length);
    let pos = this.#head & this.mask;
    const contig = this.capacity - pos;
    if (!this.#free(need > contig ? contig + need : need)) return false;
    if (need > contig) {
      // Records never wrap: pad to the end and start again at 0.
      this.words[pos >> 2] = PAD_LENGTH | 0;
      this.#head = (this.#head + contig) >>> 0;
      pos = 0;
    }
    this.words[pos >> 2] = length;
    this.words[(pos >> 2) + 1] = word1 | 0;
    if (length > 0) this.data.set(length === src.length ? src : src.subarray(from, from + length), pos + RECORD_HEADER_BYTES);
    this.#head = (this.#head + need) >>> 0;
    return true;
  }

  /** Publishes `head` (a release store: the record bytes are visible before it). */
  publish(): void {
    Atomics.store(this.h, W.head, this.#head | 0);
  }
}

/** The consuming end: reads records and publishes `tail`. */
export class RingReader extends RingBase {
  #tail: number;
  #head: number;
  #partial: Uint8Array | undefined;
  #partialAt = 0;
  readonly maxMessageBytes: number;

  constructor(buffer: ArrayBuffer, byteOffset: number, maxMessageBytes: number) {
    super(buffer, byteOffset);
    this.#tail = Atomics.load(this.h, W.tail) >>> 0;
    this.#head = this.#tail;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** True when a record is waiting (an acquire load of `head`). */
  readable(): boolean {
    if (this.#head !== this.#tail) return true;
    this.#head = Atomics.load(this.h, W.head) >>> 0;
    return this.#head !== this.#tail;
  }

  /** True while a fragmented message is half read. */
  get midMessage(): boolean {
    return this.#partial !== undefined;
  }

  /**
   * Takes the next whole message, or undefined when the ring holds none yet.
   * Fragments are consumed (and `tail` published) as they are read, so the
   * producer can go on writing the rest of a large message.
   */
  read(): Uint8Array | undefined {
    for (;;) {
      if (!this.readable()) return undefined;
      const pos = this.#tail & this.mask;
      const length = this.words[pos >> 2]! >>> 0;
      if (length === PAD_LENGTH) {
        this.#tail = (this.#tail + this.capacity - pos) >>> 0;
        continue;
      }
      const word1 = this.words[(pos >> 2) + 1]! >>> 0;
      if (length > this.capacity - pos - RECORD_HEADER_BYTES) throw new IpcError('EIO', `corrupt ring: a record of ${length} bytes at ${pos}`);
      const start = pos + RECORD_HEADER_BYTES;
      if (word1 === 0 && this.#partial === undefined) {
        if (length > this.maxMessageBytes) throw new IpcError('EMSGSIZE', `the peer sent ${length} bytes; the maximum is ${this.maxMessageBytes}`);
        const message = this.data.slice(start, start + length);
        this.#consume(length);
        return message;
      }
      if ((word1 & FRAGMENT) === 0) throw new IpcError('EIO', 'corrupt ring: a whole message inside a fragmented one');
      const remaining = word1 & 0x7fffffff;
      if (this.#partial === undefined) {
        const total = length + remaining;
        if (total > this.maxMessageBytes) throw new IpcError('EMSGSIZE', `the peer sent ${total} bytes; the maximum is ${this.maxMessageBytes}`);
        // Every byte gets written below, so skip the zero fill of a large allocation.
        this.#partial = Buffer.allocUnsafeSlow(total);
        this.#partialAt = 0;
      }
      const partial = this.#partial;
      if (this.#partialAt + length + remaining !== partial.length) throw new IpcError('EIO', 'corrupt ring: fragment sizes do not add up');
      partial.set(this.data.subarray(start, start + length), this.#partialAt);
      this.#partialAt += length;
      this.#consume(length);
      if (remaining === 0) {
        this.#partial = undefined;
        return partial;
      }
    }
  }

  #consume(length: number): void {
    this.#tail = (this.#tail + align8(RECORD_HEADER_BYTES + length)) >>> 0;
    Atomics.store(this.h, W.tail, this.#tail | 0);
  }
}
