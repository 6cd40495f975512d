import { IpcError } from '../errors.js';

/**
 * Message framing for byte-stream transports (pipes, sockets, TCP): each
 * message is a u32 little-endian length, then that many bytes. The format is
 * written down in docs/framing.md so that C or C# programs can speak it.
 */

/** Bytes in a frame header. */
export const FRAME_HEADER_BYTES = 4;

/** The largest length a u32 header can carry. */
export const MAX_FRAME_BYTES = 0xffff_ffff;

/** Builds the 4-byte header for a message of `length` bytes. */
export function frameHeader(length: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(header.buffer).setUint32(0, length, true);
  return header;
}

/** Throws IpcError EMSGSIZE when `length` is over `max`. */
export function checkMessageSize(length: number, max: number): void {
  if (length > max) {
    throw new IpcError('EMSGSIZE', `message of ${length} bytes is over this channel's maximum of ${max} bytes`);
  }
}

/** The first allocation for a partial frame's body when a {@link FrameBudget} is in use; it doubles as bytes arrive. */
const FIRST_BODY_BYTES = 64 * 1024;

/**
 * Bytes that the decoders of several streams (every channel of one listener)
 * may hold for partial frames, together. A decoder with a budget allocates a
 * partial frame as its bytes arrive (not what its header announced) and takes
 * each allocation from the budget first; one that cannot get budget fails
 * with IpcError ENOMEM, so a peer that announces big frames and trickles
 * their bytes cannot make the process hold more than `limit` bytes.
 */
export class FrameBudget {
  #used = 0;

  constructor(
    /** The most bytes held at once. */
    readonly limit: number,
  ) {}

  /** Bytes held for partial frames now. */
  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` from the budget; false (nothing taken) when that would pass the limit. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  /** Gives back `bytes` taken before. */
  give(bytes: number): void {
    this.#used -= bytes;
  }
}

/**
 * Reassembles framed messages from stream chunks. A header announcing more
 * than `maxMessageBytes` throws IpcError EMSGSIZE before anything is allocated
 * for the body; the stream is then unusable (its framing can't be trusted).
 * With a {@link FrameBudget}, a partial frame that cannot get budget throws
 * IpcError ENOMEM (the stream is then unusable too).
 */
export class FrameDecoder {
  private header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  /** The announced length of the partial frame in `body` (`body` may be smaller while it grows). */
  private bodyLength = 0;
  private bodyFill = 0;
  /** Bytes of `budget` this decoder holds now (the size of `body`). */
  private reserved = 0;

  constructor(
    private readonly maxMessageBytes: number,
    /** Shared with other decoders: partial frames are allocated as they arrive and from it; none: allocated whole at the header. */
    private readonly budget?: FrameBudget,
  ) {}

  /** Bytes this decoder holds from its budget for a partial frame. */
  get buffered(): number {
    return this.reserved;
  }

  /** Drops a partial frame and gives its bytes back to the budget (the stream ended). */
  release(): void {
    this.body = undefined;
    this.budget?.give(this.reserved);
    this.reserved = 0;
  }

  /** Makes `body` hold at least `needed` bytes (at most the frame's length), from the budget; ENOMEM when it has none left. */
  private grow(needed: number): Uint8Array {
    const body = this.body as Uint8Array;
    if (needed <= body.length) return body;
    const size = Math.min(this.bodyLength, Math.max(needed, body.length * 2));
    if (this.budget && !this.budget.take(size - body.length)) {
      throw new IpcError(
        'ENOMEM',
        `no room for a partial ${this.bodyLength}-byte frame: this listener's channels hold ${this.budget.used} bytes of partial frames, its maxPartialFrameBytes is ${this.budget.limit}`,
      );
    }
    this.reserved += size - body.length;
    const grown = new Uint8Array(size);
    grown.set(body.subarray(0, this.bodyFill));
    this.body = grown;
    return grown;
  }

  /** True when no partial frame is buffered (a clean place for a stream to end). */
  get idle(): boolean {
    return this.headerFill === 0 && this.body === undefined;
  }

  /**
   * Feeds one chunk; calls `onMessage` for every message it completes. Each
   * message is a Uint8Array over an ArrayBuffer of its own (exactly its
   * bytes), never a view into `chunk`: the receiver may keep it, transfer its
   * buffer or write to it.
   */
  push(chunk: Uint8Array, onMessage: (message: Uint8Array) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < FRAME_HEADER_BYTES) return;
        const length = new DataView(this.header.buffer).getUint32(0, true);
        this.headerFill = 0;
        if (length > this.maxMessageBytes) {
          throw new IpcError('EMSGSIZE', `peer announced a ${length}-byte frame, over this channel's maximum of ${this.maxMessageBytes} bytes`);
        }
        if (length === 0) {
          onMessage(new Uint8Array(0));
          continue;
        }
        // A whole frame inside this chunk: hand out a copy with a buffer of its own. Not
        // chunk.slice(): on a socket's Buffer that is a view, whose .buffer holds the chunk's
        // other frames (and keeps the whole chunk alive). One memcpy of the message is the price.
        if (chunk.length - offset >= length) {
          onMessage(Uint8Array.prototype.slice.call(chunk, offset, offset + length));
          offset += length;
          continue;
        }
        this.bodyLength = length;
        this.bodyFill = 0;
        this.body = this.budget ? new Uint8Array(0) : new Uint8Array(length);
      }
      const take = Math.min(this.bodyLength - this.bodyFill, chunk.length - offset);
      // A header with none of its body yet costs nothing: budget is taken as the bytes arrive.
      if (take === 0 && this.budget) break;
      const body = this.budget ? this.grow(Math.max(this.bodyFill + take, Math.min(this.bodyLength, FIRST_BODY_BYTES))) : this.body;
      body.set(chunk.subarray(offset, offset + take), this.bodyFill);
      this.bodyFill += take;
      offset += take;
      if (this.bodyFill === this.bodyLength) {
        this.body = undefined;
        this.budget?.give(this.reserved);
        this.reserved = 0;
        onMessage(body);
      }
    }
  }
}
