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

/**
 * Reassembles framed messages from stream chunks. A header announcing more
 * than `maxMessageBytes` throws IpcError EMSGSIZE before anything is allocated
 * for the body; the stream is then unusable (its framing can't be trusted).
 */
export class FrameDecoder {
  private header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;

  constructor(private readonly maxMessageBytes: number) {}

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
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
      }
      const body = this.body;
      const take = Math.min(body.length - this.bodyFill, chunk.length - offset);
      body.set(chunk.subarray(offset, offset + take), this.bodyFill);
      this.bodyFill += take;
      offset += take;
      if (this.bodyFill === body.length) {
        this.body = undefined;
        onMessage(body);
      }
    }
  }
}
