/**
 * The data region of an `shm://` topic (docs/topics-shm.md §4): the header
 * the publisher alone writes (`head`, `floor`, the sizes), the descriptor
 * ring, and the payload pool in which each message is written once and read
 * in place by every subscriber. Subscribers map this region read-only
 * ({@link ReadOnlyRegion}: PROT_READ / FILE_MAP_READ), so none of them can
 * change what the others read.
 */
import { detach } from '@ipckit/native';
import { IpcError } from '@ipckit/core';
import type { Mapping, OsHandle, ShmBackend } from './backend.js';
import { seqDiff } from './topic-control.js';
import { MAX_POOL_CAPACITY, MIN_POOL_CAPACITY, align8 } from './pool.js';

/** 'TOPD' as a little-endian u32, stored last. */
export const DATA_MAGIC = 0x44504f54;
export const DATA_VERSION = 1;
/** Bytes of the data header; the descriptors follow. */
export const DATA_HEADER_BYTES = 128;
/** Bytes of one descriptor: seq, length, offset, 0 (u32 each). */
export const DESCRIPTOR_BYTES = 16;
/** The pool starts on this boundary. */
const POOL_ALIGN = 4096;
// The same bounds as a channel's payload pool (pool.ts, docs/ring-protocol.md §6): one placement rule for both.
export { MIN_POOL_CAPACITY, MAX_POOL_CAPACITY } from './pool.js';
/** The largest `maxMessageBytes` a topic takes: half the largest pool. */
export const MAX_TOPIC_MESSAGE_BYTES = MAX_POOL_CAPACITY / 2;
/** A publisher's `maxMessageBytes` unless it asks for another: 1 MiB (an 8 MiB pool with the default capacity). */
export const DEFAULT_TOPIC_MESSAGE_BYTES = 1024 * 1024;

/** Header words (byte offset / 4). */
export const D = {
  magic: 0,
  version: 1,
  slots: 2,
  poolCapacity: 3,
  maxMessageBytes: 4,
  policy: 5,
  history: 6,
  capacity: 7,
  head: 16,
  floor: 17,
  state: 18,
} as const;

/** What the data header describes. */
export interface DataShape {
  /** Descriptors in the ring: a power of two, at least `capacity`. */
  slots: number;
  /** Bytes of the pool: a power of two, at least twice `maxMessageBytes`. */
  poolCapacity: number;
  maxMessageBytes: number;
  /** 0 block, 1 drop-oldest, 2 disconnect. */
  policy: number;
  history: number;
  capacity: number;
}

const pow2AtLeast = (n: number, min: number): number => {
  let v = min;
  while (v < n) v *= 2;
  return v;
};

/**
 * The pool holds `capacity` messages of `maxMessageBytes` when that is at
 * most this many bytes; past it, as many as fit in it (and always two).
 */
export const POOL_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * A topic's pool: a power of two, at least twice `maxMessageBytes`, grown
 * towards `capacity` messages of that size up to POOL_IN_FLIGHT_BYTES, so
 * that a publisher of large messages is not held to one or two in flight.
 */
export function poolCapacityFor(capacity: number, maxMessageBytes: number): number {
  const inFlight = Math.min(capacity * align8(maxMessageBytes), POOL_IN_FLIGHT_BYTES);
  return Math.min(MAX_POOL_CAPACITY, pow2AtLeast(Math.max(2 * maxMessageBytes, inFlight), MIN_POOL_CAPACITY));
}

/** The shape of a topic's data region for these settings. */
export function dataShape(capacity: number, history: number, maxMessageBytes: number, policy: number): DataShape {
  return {
    slots: pow2AtLeast(capacity, 1),
    poolCapacity: poolCapacityFor(capacity, maxMessageBytes),
    maxMessageBytes,
    policy,
    history,
    capacity,
  };
}

/** Where the pool starts in a data region whose ring has `slots` descriptors. */
export function poolOffset(slots: number): number {
  return Math.ceil((DATA_HEADER_BYTES + slots * DESCRIPTOR_BYTES) / POOL_ALIGN) * POOL_ALIGN;
}

/** Bytes of the whole data region. */
export function dataBytes(shape: DataShape): number {
  return poolOffset(shape.slots) + shape.poolCapacity;
}

/** Fills the header of a fresh (zeroed) data region, magic last. */
export function initData(words: Int32Array, shape: DataShape): void {
  words[D.version] = DATA_VERSION;
  words[D.slots] = shape.slots;
  words[D.poolCapacity] = shape.poolCapacity;
  words[D.maxMessageBytes] = shape.maxMessageBytes;
  words[D.policy] = shape.policy;
  words[D.history] = shape.history;
  words[D.capacity] = shape.capacity;
  Atomics.store(words, D.state, 1);
  Atomics.store(words, D.magic, DATA_MAGIC);
}

/**
 * Reads and checks a data header (EIO when it is not one a subscriber can
 * use: wrong magic or version, sizes out of range or beyond `size`, the
 * region's length).
 */
export function readShape(words: Int32Array, size: number, what: string): DataShape {
  const u = (i: number): number => Atomics.load(words, i) >>> 0;
  if (u(D.magic) !== DATA_MAGIC || u(D.version) !== DATA_VERSION)
    throw new IpcError('EIO', `${what} is not an ipckit topic data region of version ${DATA_VERSION}`);
  const shape: DataShape = {
    slots: u(D.slots),
    poolCapacity: u(D.poolCapacity),
    maxMessageBytes: u(D.maxMessageBytes),
    policy: u(D.policy),
    history: u(D.history),
    capacity: u(D.capacity),
  };
  const pow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
  if (
    !pow2(shape.slots) ||
    shape.slots > 2 ** 17 ||
    !pow2(shape.poolCapacity) ||
    shape.poolCapacity > MAX_POOL_CAPACITY ||
    shape.maxMessageBytes * 2 > shape.poolCapacity ||
    shape.policy > 2 ||
    shape.capacity < 1 ||
    shape.capacity > shape.slots ||
    dataBytes(shape) > size
  ) {
    throw new IpcError('EIO', `${what} has a data header out of range`);
  }
  return shape;
}

/** Where a message goes in the pool, and what it overwrites. */
export interface Placement {
  /** Byte offset in the pool. */
  offset: number;
  /** Its first and one-past-last positions, counted since the pool was made (not wrapped). */
  start: number;
  end: number;
  /** One past the newest older message whose bytes it overwrites (at least `floor`). */
  overwritesTo: number;
}

/**
 * Placement of payloads in the pool as docs/ring-protocol.md §6 places them:
 * contiguous, 8-byte aligned, skipping to offset 0 where a message does not
 * fit before the end. Positions count bytes since the pool was made, so
 * "which older messages does this one overwrite" is a comparison. (Kept here
 * until the channel pool, src/pool.ts, offers the same placement to share.)
 */
export class PoolPlacer {
  #pos = 0;
  /** Where each message in the ring starts, by `seq & (slots - 1)`. */
  readonly #starts: Float64Array;
  readonly #mask: number;

  constructor(
    readonly capacity: number,
    slots: number,
  ) {
    this.#starts = new Float64Array(slots);
    this.#mask = slots - 1;
  }

  /** Where message `seq` of `length` bytes would go; `floor` is the oldest message still readable. */
  place(seq: number, length: number, floor: number): Placement {
    let start = this.#pos;
    const phys = start % this.capacity;
    if (phys + length > this.capacity) start += this.capacity - phys;
    const end = start + align8(length);
    const limit = end - this.capacity;
    let overwritesTo = floor;
    while (overwritesTo < seq && (this.#starts[overwritesTo & this.#mask] as number) < limit) overwritesTo++;
    return { offset: start % this.capacity, start, end, overwritesTo };
  }

  /** Message `seq` went where `placement` said. */
  commit(seq: number, placement: Placement): void {
    this.#starts[seq & this.#mask] = placement.start;
    this.#pos = placement.end;
  }
}

/** The publisher's writes into a data region it made (read-write). */
export class DataWriter {
  readonly words: Int32Array;
  readonly #descriptors: Int32Array;
  readonly #pool: Uint8Array;
  readonly #mask: number;

  constructor(
    bytes: Uint8Array,
    readonly shape: DataShape,
  ) {
    const buffer = bytes.buffer as ArrayBuffer;
    this.words = new Int32Array(buffer, bytes.byteOffset, DATA_HEADER_BYTES / 4);
    this.#descriptors = new Int32Array(buffer, bytes.byteOffset + DATA_HEADER_BYTES, (shape.slots * DESCRIPTOR_BYTES) / 4);
    this.#pool = new Uint8Array(buffer, bytes.byteOffset + poolOffset(shape.slots), shape.poolCapacity);
    this.#mask = shape.slots - 1;
  }

  /** Writes message `seq` at `offset` of the pool and its descriptor (not yet published: see {@link publish}). */
  write(seq: number, message: Uint8Array, offset: number): void {
    this.#pool.set(message, offset);
    const d = (seq & this.#mask) * 4;
    Atomics.store(this.#descriptors, d, seq | 0);
    Atomics.store(this.#descriptors, d + 1, message.length);
    Atomics.store(this.#descriptors, d + 2, offset);
  }

  /** Stores `head` (the release store of a publish). */
  publish(head: number): void {
    Atomics.store(this.words, D.head, head | 0);
  }

  /** Stores `floor`: messages before it may be overwritten from now on. */
  setFloor(floor: number): void {
    Atomics.store(this.words, D.floor, floor | 0);
  }

  /** The publisher's last word in the data region, after the last `head`. */
  markClosed(): void {
    Atomics.store(this.words, D.state, 2);
  }
}

/** What a subscriber reads from the data region (mapped read-only). */
export class DataReader {
  readonly words: Int32Array;
  readonly #descriptors: Int32Array;
  /** The pool, read-only memory: a write through it is a SIGSEGV / access violation. */
  readonly pool: Uint8Array;
  readonly #mask: number;

  constructor(
    buffer: ArrayBuffer,
    readonly shape: DataShape,
  ) {
    this.words = new Int32Array(buffer, 0, DATA_HEADER_BYTES / 4);
    this.#descriptors = new Int32Array(buffer, DATA_HEADER_BYTES, (shape.slots * DESCRIPTOR_BYTES) / 4);
    this.pool = new Uint8Array(buffer, poolOffset(shape.slots), shape.poolCapacity);
    this.#mask = shape.slots - 1;
  }

  get head(): number {
    return Atomics.load(this.words, D.head);
  }

  get floor(): number {
    return Atomics.load(this.words, D.floor);
  }

  get closed(): boolean {
    return Atomics.load(this.words, D.state) === 2;
  }

  /**
   * The descriptor of message `seq` (mod 2^32), checked (EIO): its `seq`
   * matches, its length is within `maxMessageBytes`, and it lies in the pool.
   */
  descriptor(seq: number, maxMessageBytes: number): { offset: number; length: number } {
    const d = (seq & this.#mask) * 4;
    const got = Atomics.load(this.#descriptors, d);
    const length = Atomics.load(this.#descriptors, d + 1) >>> 0;
    const offset = Atomics.load(this.#descriptors, d + 2) >>> 0;
    if (seqDiff(got, seq) !== 0 || length > maxMessageBytes || offset + length > this.shape.poolCapacity) {
      throw new IpcError('EIO', `the topic's descriptor of message ${seq >>> 0} is broken (seq ${got >>> 0}, length ${length}, offset ${offset})`);
    }
    return { offset, length };
  }
}

/**
 * A region mapped read-only whose memory the subscriber reads in place.
 * (SharedRegion never hands out a read-only view's memory; a topic
 * subscriber must, to read in place, so it maps through the same backend
 * calls itself and unmaps as SharedView.close does.)
 */
export class ReadOnlyRegion {
  #mapping: Mapping | undefined;
  readonly #handle: OsHandle;
  readonly buffer: ArrayBuffer;

  private constructor(
    readonly backend: ShmBackend,
    readonly path: string,
    handle: OsHandle,
    readonly size: number,
    mapping: Mapping,
  ) {
    this.#handle = handle;
    this.#mapping = mapping;
    this.buffer = mapping.buffer;
  }

  /** Opens and maps `path` read-only (ENOENT, EACCES as backend.open). */
  static open(backend: ShmBackend, path: string): ReadOnlyRegion {
    const opened = backend.open(path, true, { allowOtherOwner: false });
    try {
      const mapped = backend.mapAligned(opened.handle, 0, opened.size, true, path);
      return new ReadOnlyRegion(backend, path, opened.handle, opened.size, { ...mapped, mapLength: opened.size, delta: 0 });
    } catch (error) {
      backend.closeHandle(opened.handle);
      throw error;
    }
  }

  get closed(): boolean {
    return this.#mapping === undefined;
  }

  /** Unmaps (detaching the ArrayBuffer first, so nothing reads unmapped memory) and closes the handle. Idempotent. */
  close(): void {
    const mapping = this.#mapping;
    if (!mapping) return;
    this.#mapping = undefined;
    if (detach(mapping.buffer)) this.backend.unmap(mapping);
    else placeholders.register(mapping.buffer, this.backend.retire(mapping));
    this.backend.closeHandle(this.#handle);
  }
}

/** Frees placeholders once the ArrayBuffers over them are garbage (the fallback of close()). */
const placeholders = new FinalizationRegistry<() => void>((free) => free());
