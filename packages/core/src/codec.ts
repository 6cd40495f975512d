import { deserialize, serialize } from 'node:v8';
import { IpcError } from './errors.js';
import type { Channel, CloseOptions, ReceiveOptions, SendOptions } from './transport.js';

/**
 * Turns values into message bytes and back. A codec is any object with these
 * two methods: {@link json} and {@link structured} are ipckit's; a C or C#
 * peer speaks JSON with no extra library.
 */
export interface Codec<T = unknown> {
  /** A short name for messages, e.g. `json`. */
  readonly name: string;
  /** The bytes of `value`; throws IpcError EINVAL for a value the codec cannot carry. */
  encode(value: T): Uint8Array;
  /** The value in `bytes`; throws IpcError EBADMSG for bytes that do not decode. */
  decode(bytes: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON as UTF-8: what any language reads. `undefined`, functions and symbols
 * at the top level are refused (EINVAL), as are BigInts and cycles; inside
 * objects JSON.stringify's own rules apply (undefined properties are left out).
 * Decoding never runs code. The safe default for peers you do not control.
 */
export function json<T = unknown>(): Codec<T> {
  return {
    name: 'json',
    encode(value: T): Uint8Array {
      // JSON.stringify gives undefined for undefined, a function or a symbol, whatever lib.d.ts says.
      let text: unknown;
      try {
        text = JSON.stringify(value);
      } catch (error) {
        throw new IpcError('EINVAL', `the value cannot be encoded as JSON: ${String(error)}`, { cause: error });
      }
      if (typeof text !== 'string') throw new IpcError('EINVAL', `a ${typeof value} cannot be encoded as JSON`);
      return encoder.encode(text);
    },
    decode(bytes: Uint8Array): T {
      try {
        return JSON.parse(decoder.decode(bytes)) as T;
      } catch (error) {
        throw new IpcError('EBADMSG', `a received message is not UTF-8 JSON: ${String(error)}`, { cause: error });
      }
    },
  };
}

/**
 * The structured clone algorithm through `v8.serialize`: Maps, Sets, Dates,
 * typed arrays, BigInts, cycles and `undefined` survive, which JSON loses.
 * Functions, symbols and class identity do not (EINVAL for a value that
 * cannot be cloned). Decoding builds only plain data, never runs code, but
 * the format is V8's and versioned: both ends must be Node (or Deno, Bun).
 *
 * **Trusted peers only** (docs/security.md): `v8.deserialize` was written for
 * data a program wrote itself, not to parse hostile bytes, and a small message
 * can expand into a large object graph. Use {@link json} (or your own
 * validating codec) on a channel any other local user or program can connect to.
 */
export function structured<T = unknown>(): Codec<T> {
  return {
    name: 'structured',
    encode(value: T): Uint8Array {
      try {
        return serialize(value);
      } catch (error) {
        throw new IpcError('EINVAL', `the value cannot be cloned: ${String(error)}`, { cause: error });
      }
    },
    decode(bytes: Uint8Array): T {
      try {
        return deserialize(bytes) as T;
      } catch (error) {
        throw new IpcError('EBADMSG', `a received message is not a serialized value: ${String(error)}`, { cause: error });
      }
    },
  };
}

/**
 * @internal The checks every codec wrapper shares (channels and topics):
 * EINVAL for something that is not a codec.
 */
export function checkCodec(codec: unknown): void {
  const given = codec as Partial<Codec> | null | undefined;
  if (typeof given?.encode !== 'function' || typeof given.decode !== 'function') {
    throw new IpcError('EINVAL', 'a codec needs encode() and decode()');
  }
}

/** @internal `value` encoded, or the rejection a send gives: EINVAL when it cannot be encoded (nothing is sent). */
export function encodeForSend<T>(codec: Codec<T>, value: T): Uint8Array | Promise<never> {
  try {
    return codec.encode(value);
  } catch (error) {
    return Promise.reject(error instanceof IpcError ? error : new IpcError('EINVAL', `${codec.name} cannot encode the value`, { cause: error }));
  }
}

/** @internal The value in received `bytes`: EBADMSG when they do not decode. */
export function decodeReceived<T>(codec: Codec<T>, bytes: Uint8Array): T {
  try {
    return codec.decode(bytes);
  } catch (error) {
    throw error instanceof IpcError ? error : new IpcError('EBADMSG', `${codec.name} cannot decode a received message`, { cause: error });
  }
}

/**
 * A {@link Channel} that carries values instead of bytes: every message is
 * one value, encoded with the codec. Send, receive, iteration and close
 * behave as the channel's own (timeouts and cancellation included); a message
 * that does not decode rejects (or throws from the iteration) with EBADMSG,
 * and the next message is still there.
 */
export class CodecChannel<T> implements AsyncIterable<T>, AsyncDisposable {
  constructor(
    /** The channel underneath. */
    readonly channel: Channel,
    /** How values become bytes. */
    readonly codec: Codec<T>,
  ) {}

  /** Encodes and sends `value`: EINVAL when it cannot be encoded (nothing sent), else as {@link Channel.send}. */
  send(value: T, options?: SendOptions): Promise<void> {
    const bytes = encodeForSend(this.codec, value);
    return bytes instanceof Promise ? bytes : this.channel.send(bytes, options);
  }

  /**
   * The next value, or `undefined` once the channel ended (a codec that can
   * carry `undefined` itself, such as {@link structured}, is better read by
   * iterating). EBADMSG for a message that does not decode; otherwise as
   * {@link Channel.receive}.
   */
  async receive(options?: ReceiveOptions): Promise<T | undefined> {
    const bytes = await this.channel.receive(options);
    return bytes === undefined ? undefined : this.decode(bytes);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const bytes of this.channel) yield this.decode(bytes);
  }

  /** True once the channel is closed or its peer gone. */
  get closed(): boolean {
    return this.channel.closed;
  }

  /** Closes the channel underneath (see {@link Channel.close}). */
  close(options?: CloseOptions): Promise<void> {
    return this.channel.close(options);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private decode(bytes: Uint8Array): T {
    return decodeReceived(this.codec, bytes);
  }
}

/** Wraps `channel` so that it carries values: `withCodec(channel, json<Order>())`. */
export function withCodec<T>(channel: Channel, codec: Codec<T>): CodecChannel<T> {
  checkCodec(codec);
  return new CodecChannel(channel, codec);
}
