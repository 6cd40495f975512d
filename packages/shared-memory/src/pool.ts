/**
 * The payload pool of a ring (docs/ring-protocol.md §6): a large shared area
 * the producer fills in send order with whole messages, each pointed to by a
 * 16-byte pool record in the ring, and that the consumer gives back in the
 * order it reads them by storing `poolTail` in the ring's header. A message
 * larger than a ring record then costs one copy in and one copy out, with no
 * turns taken per piece. The producer makes its pool the first time it needs
 * one; the consumer maps it the first time it meets a pool record.
 */
import { IpcError } from '@ipckit/core';
import type { ShmBackend } from './backend.js';
import { SharedRegion, createRegionAt, openRegionAt } from './region.js';
import { READS_POOL, W } from './ring.js';

/** 'POOL' in memory order, read as a little-endian u32. */
export const POOL_MAGIC = 0x4c4f4f50;
export const POOL_VERSION = 1;
/** Bytes before the pool's data area: a page, so the data is page-aligned. */
export const POOL_HEADER_BYTES = 4096;
export const MIN_POOL_CAPACITY = 2 ** 16;
export const MAX_POOL_CAPACITY = 2 ** 30;
/** Header words (byte offset / 4). */
const P = { magic: 0, version: 1, capacity: 2, dataOffset: 3, producerPid: 4 } as const;

/** `n` rounded up to a multiple of 8 (n below 2^31). */
export const align8 = (n: number): number => (n + 7) & ~7;

/** The OS-independent name of ring `ring`'s pool in the pair region `pairName` (ring-protocol §6). */
export function poolName(pairName: string, ring: 0 | 1): string {
  return `${pairName}.${ring}pool`;
}

/** The pool capacity for a channel whose largest message is `maxMessageBytes`: twice that, as a power of two, within the limits. */
export function poolCapacityFor(maxMessageBytes: number): number {
  let capacity = MIN_POOL_CAPACITY;
  while (capacity < 2 * maxMessageBytes && capacity < MAX_POOL_CAPACITY) capacity *= 2;
  return capacity;
}

/** Where the pool of one ring lives: the backend and the OS name both sides derive. */
export interface PoolPlace {
  backend: ShmBackend;
  /** The pool's OS name (backend.osName of {@link poolName}). */
  path: string;
}

/** Where a message went in the pool: what its pool record says. */
export interface PoolEntry {
  offset: number;
  end: number;
}

/** The producer's side of a pool: made on first use, written in send order. */
export class PoolWriter {
  /** The ring header this pool belongs to: `poolTail` and the consumer's flags are in it. */
  readonly #h: Int32Array;
  readonly #place: PoolPlace;
  readonly #capacity: number;
  #region: SharedRegion | undefined;
  #data: Uint8Array | undefined;
  /** The pool could not be made (the name taken, no memory): messages go in fragments. */
  #failed = false;
  #head = 0;
  #tail = 0;

  constructor(h: Int32Array, place: PoolPlace, maxMessageBytes: number) {
    this.#h = h;
    this.#place = place;
    this.#capacity = poolCapacityFor(maxMessageBytes);
  }

  /** True when a message of `length` bytes is to go through the pool: the consumer reads pool records, and it fits half the pool. */
  takes(length: number): boolean {
    return !this.#failed && length <= this.#capacity / 2 && (Atomics.load(this.#h, W.consumerFlags) & READS_POOL) !== 0;
  }

  /** Where a message of `length` bytes would start, and the room it needs (a skip to offset 0 included). */
  #placeFor(length: number): { offset: number; need: number } {
    const pos = this.#head & (this.#capacity - 1);
    // Empty: start again at 0, on pages both sides touched lately (still in the cache), when the
    // skip leaves room for the message after this one too. The skip counts as used until the
    // consumer passes it, so a skip that took the rest of the pool would let one message be in
    // flight: the producer would wait for each message to be read before writing the next
    // (issue 20 §2).
    if (this.#head === this.#tail && pos >= 2 * align8(length)) {
      return { offset: 0, need: this.#capacity - pos + align8(length) };
    }
    if (length > this.#capacity - pos) return { offset: 0, need: this.#capacity - pos + align8(length) };
    return { offset: pos, need: align8(length) };
  }

  /**
   * True when a message of `length` bytes fits now. `poolTail` is loaded
   * every time (one load per large message): a consumer that has caught up
   * may let the message start again at offset 0 (see #placeFor).
   */
  fits(length: number): boolean {
    const used = (): number => (this.#head - this.#tail) >>> 0;
    this.#tail = Atomics.load(this.#h, W.poolTail) >>> 0;
    // A tail that makes no sense (ahead of head, more than the pool behind) leaves no room: never write out of place.
    if (used() > this.#capacity) return false;
    return this.#capacity - used() >= this.#placeFor(length).need;
  }

  /**
   * Copies `message` into the pool if it fits now (call {@link fits} first
   * for the wait); undefined when the pool cannot be made (then send in
   * fragments). Nothing is published: the caller writes the pool record.
   */
  write(message: Uint8Array): PoolEntry | undefined {
    const data = this.#data ?? this.#open();
    if (data === undefined) return undefined;
    if (!this.fits(message.length)) throw new IpcError('EIO', 'internal: a pool write without room');
    const { offset, need } = this.#placeFor(message.length);
    data.set(message, offset);
    this.#head = (this.#head + need) >>> 0;
    return { offset, end: this.#head };
  }

  #open(): Uint8Array | undefined {
    if (this.#failed) return undefined;
    const { backend, path } = this.#place;
    try {
      const region = createRegionAt(backend, path, POOL_HEADER_BYTES + this.#capacity);
      const h = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, POOL_HEADER_BYTES / 4);
      h[P.version] = POOL_VERSION;
      h[P.capacity] = this.#capacity;
      h[P.dataOffset] = POOL_HEADER_BYTES;
      h[P.producerPid] = backend.pid();
      Atomics.store(h, P.magic, POOL_MAGIC);
      this.#region = region;
      this.#data = region.bytes.subarray(POOL_HEADER_BYTES, POOL_HEADER_BYTES + this.#capacity);
      return this.#data;
    } catch {
      // ring-protocol §6: a pool that cannot be made means fragments, as without one.
      this.#failed = true;
      return undefined;
    }
  }

  /** True when the consumer has not released every byte written to the pool yet (it may still have to open it). */
  get outstanding(): boolean {
    if (this.#region === undefined) return false;
    return (this.#head - (Atomics.load(this.#h, W.poolTail) >>> 0)) >>> 0 !== 0;
  }

  /**
   * Unmaps the pool and (POSIX) removes its name, if the consumer has not
   * already; with `keepName`, leaves the name for the consumer, which still
   * has pool records to read and unlinks it when it maps the pool or closes
   * (ring-protocol §6).
   */
  close(keepName = false): void {
    if (keepName) this.#region?.closeKeepingName();
    else this.#region?.close();
    this.#region = undefined;
    this.#data = undefined;
    this.#failed = true;
  }
}

/** The consumer's side of a pool: mapped on the first pool record, released in read order. */
export class PoolReader {
  readonly #h: Int32Array;
  readonly #place: PoolPlace;
  #region: SharedRegion | undefined;
  #data: Uint8Array | undefined;
  #capacity = 0;
  /** `poolTail` as last stored. */
  #tail = 0;

  constructor(h: Int32Array, place: PoolPlace) {
    this.#h = h;
    this.#place = place;
  }

  /**
   * The bytes of the message a pool record points to (a view of the pool,
   * read-only memory: do not write), after checking the record against the
   * pool (EIO when it makes no sense). Releases nothing: {@link release} does.
   */
  view(offset: number, length: number, end: number): Uint8Array {
    const data = this.#data ?? this.#open();
    const capacity = this.#capacity;
    const ahead = (end - this.#tail) >>> 0;
    if (offset + length > capacity || ahead > capacity || ahead < length) {
      throw new IpcError(
        'EIO',
        `corrupt pool record: ${length} bytes at ${offset}, ending at ${end}, with the pool released to ${this.#tail} (capacity ${capacity})`,
      );
    }
    return data.subarray(offset, offset + length);
  }

  /** Gives the pool bytes up to `end` back to the producer (stores `poolTail`). */
  release(end: number): void {
    this.#tail = end >>> 0;
    Atomics.store(this.#h, W.poolTail, end | 0);
  }

  #open(): Uint8Array {
    const { backend, path } = this.#place;
    let region: SharedRegion;
    try {
      // Read-write although nothing is written: a view of read-only memory handed out in place
      // (receiveInPlace) would crash the process on a stray write, instead of changing bytes of ours.
      region = openRegionAt(backend, path, path, false);
    } catch (error) {
      throw new IpcError('EIO', `the peer sent a pool record, but its pool ${path} does not open`, { cause: error });
    }
    const h = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, Math.min(POOL_HEADER_BYTES, region.size) / 4);
    const capacity = h[P.capacity]! >>> 0;
    const bad =
      region.size < POOL_HEADER_BYTES ||
      Atomics.load(h, P.magic) !== POOL_MAGIC ||
      h[P.version] !== POOL_VERSION ||
      h[P.dataOffset] !== POOL_HEADER_BYTES ||
      capacity < MIN_POOL_CAPACITY ||
      capacity > MAX_POOL_CAPACITY ||
      (capacity & (capacity - 1)) !== 0 ||
      POOL_HEADER_BYTES + capacity > region.size;
    if (bad) {
      region.close();
      throw new IpcError('EIO', `${path} is not a ring's pool (bad header)`);
    }
    // Both sides hold it now: the name is not needed any more (POSIX; a no-op on Windows).
    backend.unlink(path);
    this.#region = region;
    this.#capacity = capacity;
    this.#data = region.bytes.subarray(POOL_HEADER_BYTES, POOL_HEADER_BYTES + capacity);
    return this.#data;
  }

  /** Unmaps the pool; (POSIX) removes its name when it was never mapped here (a producer that closed may have left it for us). */
  close(): void {
    if (this.#region === undefined) this.#place.backend.unlink(this.#place.path);
    this.#region?.close();
    this.#region = undefined;
    this.#data = undefined;
  }
}
