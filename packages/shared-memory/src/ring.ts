/**
 * The ring: a single-producer single-consumer byte ring in shared memory,
 * carrying variable-length records. docs/ring-protocol.md is the contract;
 * this file follows it word for word. Only Atomics touch the shared
 * positions, so the producer and consumer may be in different processes
 * (and written in different languages).
 */
import { IpcError } from '@ipckit/core';
import type { PoolReader } from './pool.js';

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
/** Fragment word of a pool record: its payload points to a whole message in the producer's pool (ring-protocol §6). */
export const POOL_RECORD = 0x40000000;
/** Payload bytes of a pool record: offset, message length, end, 0. */
export const POOL_RECORD_BYTES = 16;

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
  /** The producer's doorbell token while it sleeps on its process's doorbell (producerSleeping = 2). */
  producerToken: 21,
  /** Bit 0: the producer rings doorbells (wakes a consumer whose consumerSleeping is 2). */
  producerFlags: 22,
  /** The thread of the producer's doorbell while it sleeps on it. */
  producerBell: 23,
  // Consumer's cache line (bytes 128..191).
  tail: 32,
  consumerState: 33,
  consumerPid: 34,
  spaceBell: 35,
  consumerSleeping: 36,
  /** The consumer's doorbell token while it sleeps on its process's doorbell (consumerSleeping = 2). */
  consumerToken: 37,
  /** Bit 0: the consumer rings doorbells (wakes a producer whose producerSleeping is 2). */
  consumerFlags: 38,
  /** The thread of the consumer's doorbell while it sleeps on it. */
  consumerBell: 39,
  /** Pool bytes the consumer has released (ring-protocol §6). */
  poolTail: 40,
} as const;

/** `…Sleeping` values: awake, asleep on the ring's bell word (futex / named event), asleep on the process doorbell. */
export const AWAKE = 0;
export const ON_BELL = 1;
export const ON_DOORBELL = 2;
/** `…Flags` bit: this side rings doorbells, so its peer may sleep with ON_DOORBELL. */
export const RINGS_DOORBELLS = 1;
/** `consumerFlags` bit: the consumer reads pool records, so its producer may send them (ring-protocol §6). */
export const READS_POOL = 2;

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
  if (
    typeof capacity !== 'number' ||
    !Number.isInteger(capacity) ||
    capacity < MIN_RING_CAPACITY ||
    capacity > MAX_RING_CAPACITY ||
    (capacity & (capacity - 1)) !== 0
  ) {
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

/** EMSGSIZE for an array given to readInto that is too short: the caller's mistake, not the channel's (nothing was consumed). */
export class ShortArrayError extends IpcError {
  constructor(need: number, have: number) {
    super('EMSGSIZE', `the next message is ${need} bytes; the array given holds ${have}`);
  }

  /**
   * Only a ShortArrayError is one: IpcError's own `instanceof` holds for every
   * IpcError, and inherited here it made a corrupt ring's EIO look like a
   * short array, so receiveSync threw it without failing the channel.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && Object.prototype.isPrototypeOf.call(ShortArrayError.prototype, value);
  }
}

/**
 * Up to this many bytes, a message is copied 32 bits at a time by a loop
 * (about 10 ns for 64 bytes) instead of TypedArray#set (about 25 ns, and a
 * subarray allocation when reading): records' payloads are 8-byte aligned.
 */
const SMALL_COPY = 256;

/**
 * The caller's array seen as 32-bit words, made for an array used twice in a
 * row and kept while it is reused: a sender or receiver that reuses its array
 * (the fast way) pays for the view once. Arrays seen once get no view: reading
 * `.buffer` of a small array V8 keeps on its heap would copy it out (an
 * allocation dearer than the copy it saves).
 */
class WordCache {
  #array: Uint8Array | undefined;
  #words: Int32Array | undefined;
  #seen: Uint8Array | undefined;

  /** The words of `array`, or undefined (use TypedArray#set). */
  of(array: Uint8Array): Int32Array | undefined {
    if (array === this.#array) return this.#words;
    if (array !== this.#seen) {
      this.#seen = array;
      return undefined;
    }
    this.#array = array;
    this.#words = (array.byteOffset & 3) === 0 ? new Int32Array(array.buffer, array.byteOffset, array.length >> 2) : undefined;
    return this.#words;
  }
}

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
  /** The largest payload of one record: a longer message goes through the pool or in fragments. */
  readonly maxChunk: number;

  constructor(buffer: ArrayBuffer, byteOffset: number) {
    this.byteOffset = byteOffset;
    this.h = new Int32Array(buffer, byteOffset, RING_HEADER_BYTES / 4);
    if (Atomics.load(this.h, W.magic) !== RING_MAGIC) throw new IpcError('EIO', 'shared memory does not hold an ipckit ring (bad magic)');
    if (this.h[W.version] !== RING_VERSION)
      throw new IpcError('ENOTSUP', `ring version ${String(this.h[W.version])} is not supported (this is ${RING_VERSION})`);
    const capacity = checkCapacity(this.h[W.capacity]);
    if (buffer.byteLength < byteOffset + RING_HEADER_BYTES + capacity) throw new IpcError('EIO', 'the ring is larger than the mapping that holds it');
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.data = new Uint8Array(buffer, byteOffset + RING_HEADER_BYTES, capacity);
    this.words = new Int32Array(buffer, byteOffset + RING_HEADER_BYTES, capacity / 4);
    this.maxChunk = maxRecordPayload(capacity);
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
  readonly #source = new WordCache();

  constructor(buffer: ArrayBuffer, byteOffset: number) {
    super(buffer, byteOffset);
    this.#head = Atomics.load(this.h, W.head) >>> 0;
    this.#tail = Atomics.load(this.h, W.tail) >>> 0;
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
   * The hot path: writes `message` (at most {@link maxChunk} bytes) as one
   * whole record and publishes it with one atomic store, or returns false
   * (nothing written) when it does not fit now. Positions stay in locals; the
   * consumer's `tail` is loaded only when the cached one says the ring is full.
   */
  tryWriteWhole(message: Uint8Array): boolean {
    const length = message.length;
    const capacity = this.capacity;
    const need = (length + RECORD_HEADER_BYTES + 7) & ~7;
    let head = this.#head;
    let pos = head & this.mask;
    const contig = capacity - pos;
    const total = need > contig ? contig + need : need;
    if (capacity - ((head - this.#tail) >>> 0) < total) {
      this.#tail = Atomics.load(this.h, W.tail) >>> 0;
      if (capacity - ((head - this.#tail) >>> 0) < total) return false;
    }
    const words = this.words;
    if (need > contig) {
      words[pos >> 2] = PAD_LENGTH | 0;
      head = (head + contig) >>> 0;
      pos = 0;
    }
    words[pos >> 2] = length;
    words[(pos >> 2) + 1] = 0;
    const src = length <= SMALL_COPY ? this.#source.of(message) : undefined;
    if (src !== undefined) {
      const at = (pos >> 2) + 2;
      const n = length >> 2;
      for (let i = 0; i < n; i++) words[at + i] = src[i]!;
      for (let i = n << 2; i < length; i++) this.data[pos + RECORD_HEADER_BYTES + i] = message[i]!;
    } else if (length > 0) {
      this.data.set(message, pos + RECORD_HEADER_BYTES);
    }
    head = (head + need) >>> 0;
    this.#head = head;
    Atomics.store(this.h, W.head, head | 0);
    return true;
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

  /**
   * Writes and publishes a pool record pointing to a message of `length`
   * bytes at `offset` of the pool, which ends the pool at `end` (ring-protocol
   * §6); false (nothing written) when the ring has no room for it now.
   */
  writePoolRecord(offset: number, length: number, end: number): boolean {
    const need = RECORD_HEADER_BYTES + POOL_RECORD_BYTES;
    let pos = this.#head & this.mask;
    const contig = this.capacity - pos;
    if (!this.#free(need > contig ? contig + need : need)) return false;
    if (need > contig) {
      this.words[pos >> 2] = PAD_LENGTH | 0;
      this.#head = (this.#head + contig) >>> 0;
      pos = 0;
    }
    const at = pos >> 2;
    this.words[at] = POOL_RECORD_BYTES;
    this.words[at + 1] = POOL_RECORD | 0;
    this.words[at + 2] = offset | 0;
    this.words[at + 3] = length | 0;
    this.words[at + 4] = end | 0;
    this.words[at + 5] = 0;
    this.#head = (this.#head + need) >>> 0;
    this.publish();
    return true;
  }

  /** Publishes `head` (a release store: the record bytes are visible before it). */
  publish(): void {
    Atomics.store(this.h, W.head, this.#head | 0);
  }

  /**
   * Makes room for a whole record of up to `size` payload bytes (at most
   * {@link maxChunk}) to be written in place: returns the offset of its
   * payload in {@link data}, or -1 when it does not fit now. A pad record
   * the reservation needs is written, but nothing is published until
   * {@link commit}.
   */
  reserve(size: number): number {
    const need = align8(RECORD_HEADER_BYTES + size);
    let pos = this.#head & this.mask;
    const contig = this.capacity - pos;
    if (!this.#free(need > contig ? contig + need : need)) return -1;
    if (need > contig) {
      this.words[pos >> 2] = PAD_LENGTH | 0;
      this.#head = (this.#head + contig) >>> 0;
      pos = 0;
    }
    return pos + RECORD_HEADER_BYTES;
  }

  /** Publishes the reserved record with `length` bytes (at most what was reserved) of payload. */
  commit(length: number): void {
    const pos = this.#head & this.mask;
    this.words[pos >> 2] = length;
    this.words[(pos >> 2) + 1] = 0;
    this.#head = (this.#head + align8(RECORD_HEADER_BYTES + length)) >>> 0;
    this.publish();
  }

  /** Drops a reservation: a pad it wrote is published (harmless), its record is not. */
  cancel(): void {
    this.publish();
  }
}

/** A message {@link RingReader.peek} found: its bytes (in the ring or the pool), its record's length, and for a pool record the pool's end after it (else -1). */
export interface Peeked {
  bytes: Uint8Array;
  recordLength: number;
  poolEnd: number;
}

/** Messages from this size up are copied into memory that is not zero-filled first (every byte is written at once). */
const UNFILLED_FROM = 4096;

/** A copy of `bytes` in memory of its own. */
function copyOut(bytes: Uint8Array): Uint8Array {
  if (bytes.length < UNFILLED_FROM) return bytes.slice();
  // A Buffer of its own (allocUnsafeSlow: not from the shared pool) seen as a plain Uint8Array.
  const copy = new Uint8Array(Buffer.allocUnsafeSlow(bytes.length).buffer, 0, bytes.length);
  copy.set(bytes);
  return copy;
}

/** The consuming end: reads records and publishes `tail`. */
export class RingReader extends RingBase {
  #tail: number;
  #head: number;
  #partial: Uint8Array | undefined;
  #partialAt = 0;
  /** The caller's array a fragmented message is being assembled in (readInto). */
  #partialInto: Uint8Array | undefined;
  readonly #target = new WordCache();
  readonly maxMessageBytes: number;
  /** The producer's pool, for pool records (ring-protocol §6); without one, a pool record is corruption. */
  pool: PoolReader | undefined;
  /** The `tail` last stored in shared memory (whole records may be consumed before it is). */
  #published: number;
  /**
   * Store `tail` once this many consumed bytes are unpublished: a quarter
   * ring. That is enough: a record, pad included, never needs more than half
   * the ring, so a producer whose consumer has caught up always sees room;
   * one that sleeps for room is woken by the consumer's next read, which
   * stores `tail` first (see {@link publish}). Stored late, `tail` stays off
   * a round trip's critical path: the consumer's cache line is not written
   * (and pulled back from the producer) for every message.
   */
  readonly #publishEvery: number;

  constructor(buffer: ArrayBuffer, byteOffset: number, maxMessageBytes: number) {
    super(buffer, byteOffset);
    this.#tail = Atomics.load(this.h, W.tail) >>> 0;
    this.#head = this.#tail;
    this.#published = this.#tail;
    this.#publishEvery = this.capacity / 4;
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * Stores `tail` if records were consumed since it was last stored (true
   * when it did). docs/ring-protocol.md, "Consuming": a whole record's `tail`
   * may be stored late, but at least every quarter ring and before the
   * producer is woken; a fragment's at once.
   */
  publish(): boolean {
    if (this.#published === this.#tail) return false;
    this.#published = this.#tail;
    Atomics.store(this.h, W.tail, this.#tail | 0);
    return true;
  }

  /**
   * The hot path of a receive into the caller's array: copies the next whole
   * message into `into` and returns its length, or -1 when none is complete
   * yet (fragments of a large one may have been consumed). Throws EMSGSIZE,
   * consuming nothing, when the message is longer than `into`.
   */
  readInto(into: Uint8Array): number {
    for (;;) {
      if (this.#head === this.#tail && !this.readable()) return -1;
      const tail = this.#tail;
      const pos = tail & this.mask;
      const words = this.words;
      const length = words[pos >> 2]! >>> 0;
      if (length === PAD_LENGTH) {
        this.#tail = (tail + this.capacity - pos) >>> 0;
        continue;
      }
      const word1 = words[(pos >> 2) + 1]! >>> 0;
      if (word1 === POOL_RECORD && this.#partial === undefined) {
        const { bytes, end } = this.#poolMessage(pos, length);
        if (bytes.length > into.length) throw new ShortArrayError(bytes.length, into.length);
        into.set(bytes);
        this.pool!.release(end);
        this.#consume(length, true);
        return bytes.length;
      }
      if (word1 !== 0 || this.#partial !== undefined) return this.#fragmentInto(into);
      this.#checkRecord(pos, length);
      if (length > this.maxMessageBytes) throw this.#tooLarge(length);
      if (length > into.length) throw new ShortArrayError(length, into.length);
      const dst = length <= SMALL_COPY ? this.#target.of(into) : undefined;
      if (dst !== undefined) {
        const at = (pos >> 2) + 2;
        const n = length >> 2;
        for (let i = 0; i < n; i++) dst[i] = words[at + i]!;
        for (let i = n << 2; i < length; i++) into[i] = this.data[pos + RECORD_HEADER_BYTES + i]!;
      } else if (length > 0) {
        into.set(this.data.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length));
      }
      const next = (tail + ((length + RECORD_HEADER_BYTES + 7) & ~7)) >>> 0;
      this.#tail = next;
      if ((next - this.#published) >>> 0 >= this.#publishEvery) this.publish();
      return length;
    }
  }

  /** A fragmented message into the caller's array (the slow path of {@link readInto}). */
  #fragmentInto(into: Uint8Array): number {
    if (this.#partial === undefined) {
      const pos = this.#tail & this.mask;
      const total = (this.words[pos >> 2]! >>> 0) + ((this.words[(pos >> 2) + 1]! >>> 0) & 0x7fffffff);
      if (total > into.length) throw new ShortArrayError(total, into.length);
      this.#partialInto = into;
    } else if (this.#partialInto !== into) {
      // Started with another array (or by read()): carry what arrived so far over.
      if (this.#partial.length > into.length) throw new ShortArrayError(this.#partial.length, into.length);
      into.set(this.#partial.subarray(0, this.#partialAt));
      this.#partial = into.subarray(0, this.#partial.length);
      this.#partialInto = into;
    }
    const message = this.read(into);
    if (message === undefined) return -1;
    this.#partialInto = undefined;
    return message.length;
  }

  /** True when a record is waiting (an acquire load of `head`). */
  readable(): boolean {
    if (this.#head !== this.#tail) return true;
    const head = Atomics.load(this.h, W.head) >>> 0;
    // The producer is trusted with nothing: a head more than a ring ahead of
    // us, or not on a record boundary, would have us read what was never
    // written (or replay what was). docs/ring-protocol.md §3, "Consuming".
    if ((head - this.#tail) >>> 0 > this.capacity || (head & 7) !== 0) {
      throw new IpcError('EIO', `corrupt ring: head ${head} with tail ${this.#tail} in a ring of ${this.capacity} bytes`);
    }
    this.#head = head;
    return head !== this.#tail;
  }

  /** EMSGSIZE for a message over this reader's maximum: the channel fails (the peer broke the agreement). */
  #tooLarge(bytes: number): IpcError {
    return new IpcError('EMSGSIZE', `the peer sent ${bytes} bytes; the maximum is ${this.maxMessageBytes}`);
  }

  /** The position of the next record, past any pad; -1 when none is published. */
  #nextRecord(): number {
    for (;;) {
      if (!this.readable()) return -1;
      const pos = this.#tail & this.mask;
      if (this.words[pos >> 2]! >>> 0 !== PAD_LENGTH) return pos;
      this.#tail = (this.#tail + this.capacity - pos) >>> 0;
    }
  }

  /** Checks a record about to be read at `pos` against what the producer published. */
  #checkRecord(pos: number, length: number): void {
    const available = (this.#head - this.#tail) >>> 0;
    if (length > this.capacity - pos - RECORD_HEADER_BYTES || align8(RECORD_HEADER_BYTES + length) > available) {
      throw new IpcError('EIO', `corrupt ring: a record of ${length} bytes at ${pos}, with ${available} bytes published`);
    }
  }

  /** The message a pool record at `pos` points to, checked (ring-protocol §6 "Receiving a pool record"). */
  #poolMessage(pos: number, length: number): { bytes: Uint8Array; end: number } {
    this.#checkRecord(pos, length);
    const pool = this.pool;
    if (pool === undefined || length !== POOL_RECORD_BYTES) throw new IpcError('EIO', `corrupt ring: a pool record of ${length} bytes at ${pos}`);
    const at = (pos >> 2) + 2;
    const offset = this.words[at]! >>> 0;
    const messageLength = this.words[at + 1]! >>> 0;
    const end = this.words[at + 2]! >>> 0;
    if (messageLength > this.maxMessageBytes) throw this.#tooLarge(messageLength);
    return { bytes: pool.view(offset, messageLength, end), end };
  }

  /**
   * The next message if it is one whole record, to be read in place:
   * `offset` of its payload in {@link data} and its `length`; undefined when
   * none is waiting; `fragmented` when the next message came in pieces (it
   * cannot be read in place: read() it). Consumes nothing: {@link release}
   * does, once the caller is done with the bytes.
   */
  peek(): Peeked | 'fragmented' | undefined {
    const pos = this.#nextRecord();
    if (pos < 0) return undefined;
    const length = this.words[pos >> 2]! >>> 0;
    const word1 = this.words[(pos >> 2) + 1]! >>> 0;
    if (word1 === POOL_RECORD && this.#partial === undefined) {
      const { bytes, end } = this.#poolMessage(pos, length);
      return { bytes, recordLength: length, poolEnd: end };
    }
    if (word1 !== 0 || this.#partial !== undefined) return 'fragmented';
    this.#checkRecord(pos, length);
    if (length > this.maxMessageBytes) throw this.#tooLarge(length);
    const start = pos + RECORD_HEADER_BYTES;
    return { bytes: this.data.subarray(start, start + length), recordLength: length, poolEnd: -1 };
  }

  /** Consumes the record {@link peek} returned (its bytes, and a pool message's, may be overwritten from now on). */
  release(peeked: Peeked): void {
    if (peeked.poolEnd >= 0) {
      this.pool!.release(peeked.poolEnd);
      this.#consume(peeked.recordLength, true);
      return;
    }
    this.#consume(peeked.recordLength, false);
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
  read(into?: Uint8Array): Uint8Array | undefined {
    for (;;) {
      const pos = this.#nextRecord();
      if (pos < 0) return undefined;
      const length = this.words[pos >> 2]! >>> 0;
      const word1 = this.words[(pos >> 2) + 1]! >>> 0;
      this.#checkRecord(pos, length);
      const start = pos + RECORD_HEADER_BYTES;
      if (word1 === 0 && this.#partial === undefined) {
        if (length > this.maxMessageBytes) throw this.#tooLarge(length);
        const message = copyOut(this.data.subarray(start, start + length));
        this.#consume(length, false);
        return message;
      }
      if (word1 === POOL_RECORD && this.#partial === undefined) {
        const { bytes, end } = this.#poolMessage(pos, length);
        let message: Uint8Array;
        if (into !== undefined && into.length >= bytes.length) {
          message = into.subarray(0, bytes.length);
          message.set(bytes);
        } else {
          // copyOut copies: a second set() here had doubled the cost of every large message received.
          message = copyOut(bytes);
        }
        this.pool!.release(end);
        this.#consume(length, true);
        return message;
      }
      if ((word1 & FRAGMENT) === 0) throw new IpcError('EIO', 'corrupt ring: a whole message inside a fragmented one');
      const remaining = word1 & 0x7fffffff;
      if (this.#partial === undefined) {
        const total = length + remaining;
        if (total > this.maxMessageBytes) throw this.#tooLarge(total);
        // Every byte gets written below, so skip the zero fill of a large allocation.
        this.#partial = into !== undefined ? into.subarray(0, total) : Buffer.allocUnsafeSlow(total);
        this.#partialAt = 0;
      }
      const partial = this.#partial;
      if (this.#partialAt + length + remaining !== partial.length) throw new IpcError('EIO', 'corrupt ring: fragment sizes do not add up');
      partial.set(this.data.subarray(start, start + length), this.#partialAt);
      this.#partialAt += length;
      // A fragment's `tail` at once: the producer may be waiting for room for the next one.
      this.#consume(length, true);
      if (remaining === 0) {
        this.#partial = undefined;
        return partial;
      }
    }
  }

  #consume(length: number, now: boolean): void {
    this.#tail = (this.#tail + align8(RECORD_HEADER_BYTES + length)) >>> 0;
    if (now || (this.#tail - this.#published) >>> 0 >= this.#publishEvery) this.publish();
  }
}
