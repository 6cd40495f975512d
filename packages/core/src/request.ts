/**
 * Request and reply over one channel, many requests in flight, matched by id.
 * Each message is an envelope (docs/framing.md, "Requests and replies"):
 *
 * | bytes | field |
 * |---|---|
 * | 0 | kind: 1 request, 2 reply, 3 error reply |
 * | 1-4 | id, u32 little-endian: the requester's; a reply carries its request's |
 * | 5- | body: the codec's bytes (request, reply), or UTF-8 JSON `{"code","message"}` (error reply) |
 */
import { json, type Codec } from './codec.js';
import { IpcError } from './errors.js';
import { checkWait, deadline } from './kit/cancel.js';
import { validateInteger } from './kit/validate.js';
import type { Channel, CloseOptions } from './transport.js';

const KIND_REQUEST = 1;
const KIND_REPLY = 2;
const KIND_ERROR = 3;
const ENVELOPE_BYTES = 5;

/** How long a request waits for its reply unless told. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

function envelope(kind: number, id: number, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(ENVELOPE_BYTES + body.length);
  bytes[0] = kind;
  new DataView(bytes.buffer).setUint32(1, id, true);
  bytes.set(body, ENVELOPE_BYTES);
  return bytes;
}

function open(bytes: Uint8Array): { kind: number; id: number; body: Uint8Array } {
  if (bytes.length < ENVELOPE_BYTES) throw new IpcError('EBADMSG', `a ${bytes.length}-byte message is no request/reply envelope (5 bytes at least)`);
  return {
    kind: bytes[0] as number,
    id: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, true),
    body: bytes.subarray(ENVELOPE_BYTES),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Options of {@link Requester}. */
export interface RequesterOptions {
  /** How requests and replies are encoded; default {@link json}. Both sides must use the same. */
  codec?: Codec;
  /** How long a request waits for its reply unless its own options say; default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** Options of one {@link Requester.request}. */
export interface RequestOptions {
  /** Give up (ETIMEDOUT) when no reply came within this many ms; the late reply is dropped. */
  timeoutMs?: number;
  /** Aborting gives up (ECANCELED). */
  signal?: AbortSignal;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The asking side: `await requester.request(value)` sends a request and
 * resolves with its reply. Many requests may be in flight at once on the one
 * channel; replies are matched by id, in whatever order they come. The
 * requester reads the channel itself: do not iterate or receive from it too.
 *
 * A request rejects with ETIMEDOUT (its reply, if it comes later, is
 * dropped), ECANCELED, EREMOTE when the responder's handler failed (`cause`
 * holds its code and message), EPIPE when the channel ended before the reply
 * came, EBADMSG when the reply does not decode, and as `send` does.
 */
export class Requester<Req = unknown, Rep = unknown> implements AsyncDisposable {
  readonly #channel: Channel;
  readonly #codec: Codec;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #ended: IpcError | undefined;
  /** Settles when the reading loop ended (the channel ended or broke the protocol). */
  readonly #reading: Promise<void>;

  constructor(channel: Channel, options: RequesterOptions = {}) {
    this.#channel = channel;
    this.#codec = options.codec ?? json();
    this.#timeoutMs = validateInteger(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'timeoutMs', 1, 2 ** 31 - 1);
    this.#reading = this.#read();
  }

  /** Requests waiting for their reply. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Sends `value` as a request and resolves with the reply (see the class's description for failures). */
  async request(value: Req, options: RequestOptions = {}): Promise<Rep> {
    const wait = checkWait({ timeoutMs: options.timeoutMs ?? this.#timeoutMs, signal: options.signal });
    if (this.#ended) throw this.#ended;
    const body = this.#codec.encode(value);
    const id = this.#freeId();
    const limit = deadline(wait, 'the request');
    try {
      const reply = new Promise<unknown>((resolve, reject) => {
        this.#pending.set(id, { resolve, reject });
        limit.signal.addEventListener('abort', () => reject(limit.explain(new IpcError('ECANCELED', 'the request was aborted'))), { once: true });
      });
      reply.catch(() => undefined);
      await this.#channel.send(envelope(KIND_REQUEST, id, body), { signal: limit.signal });
      return (await reply) as Rep;
    } catch (error) {
      throw limit.explain(error);
    } finally {
      this.#pending.delete(id);
      limit.dispose();
    }
  }

  /** Closes the channel; requests still waiting reject with EPIPE. */
  async close(options?: CloseOptions): Promise<void> {
    await this.#channel.close(options);
    await this.#reading;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #freeId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id === 0xffff_ffff ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    }
  }

  async #read(): Promise<void> {
    try {
      for await (const message of this.#channel) this.#dispatch(message);
      this.#end(new IpcError('EPIPE', 'the channel ended before the reply came'));
    } catch (error) {
      this.#end(error instanceof IpcError ? error : new IpcError('EIO', String(error), { cause: error }));
      await this.#channel.close({ timeoutMs: 0 });
    }
  }

  #dispatch(message: Uint8Array): void {
    const { kind, id, body } = open(message);
    if (kind !== KIND_REPLY && kind !== KIND_ERROR) throw new IpcError('EBADMSG', `a requester received an envelope of kind ${kind}, not a reply`);
    const pending = this.#pending.get(id);
    // A reply whose request timed out or was aborted: dropped.
    if (!pending) return;
    this.#pending.delete(id);
    if (kind === KIND_REPLY) {
      try {
        pending.resolve(this.#codec.decode(body));
      } catch (error) {
        pending.reject(error);
      }
      return;
    }
    pending.reject(remoteError(body));
  }

  #end(error: IpcError): void {
    this.#ended ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

function remoteError(body: Uint8Array): IpcError {
  let detail: { code?: unknown; message?: unknown } = {};
  try {
    detail = JSON.parse(decoder.decode(body)) as typeof detail;
  } catch {
    // An error reply whose body does not parse still says the handler failed.
  }
  const code = typeof detail.code === 'string' ? detail.code : 'EREMOTE';
  const message = typeof detail.message === 'string' ? detail.message : 'the responder failed';
  return new IpcError('EREMOTE', `the responder failed: ${code}: ${message}`, { cause: { code, message } });
}

/** Options of {@link respond}. */
export interface RespondOptions {
  /** How requests and replies are encoded; default {@link json}. */
  codec?: Codec;
  /** The most requests handled at once on this channel, from 1 to 65,536; default 64. At the limit, reading waits. */
  concurrency?: number;
  /**
   * Send the message of any error a handler throws. Default false: an
   * IpcError's code and message are sent, any other error only as "the
   * handler failed" (its message may hold what the peer should not see).
   */
  exposeErrors?: boolean;
}

/** What a handler of {@link respond} gets besides the request. */
export interface RequestContext {
  /** Aborts when the channel ends: the reply could not be sent anyway. */
  readonly signal: AbortSignal;
}

/**
 * The answering side: reads requests from `channel`, runs `handler` for each
 * (up to `options.concurrency` at once) and sends its result back as the
 * reply, or an error reply when it throws. Resolves once the channel ended
 * and every handler finished. A request that does not decode gets an error
 * reply (EBADMSG); an envelope that is not a request breaks the protocol:
 * the channel is closed and respond() rejects with EBADMSG.
 *
 * ```ts
 * serve(listener, (channel) => respond(channel, async (order) => ({ accepted: true })));
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- Req names the type the caller expects requests to have (unchecked, as JSON.parse's result is), so that a typed handler fits
export async function respond<Req = unknown, Rep = unknown>(
  channel: Channel,
  handler: (request: Req, context: RequestContext) => Rep | Promise<Rep>,
  options: RespondOptions = {},
): Promise<void> {
  if (typeof handler !== 'function') throw new IpcError('EINVAL', 'respond() needs a handler function');
  const codec = options.codec ?? json();
  const concurrency = validateInteger(options.concurrency ?? 64, 'concurrency', 1, 65_536);
  const ended = new AbortController();
  const running = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;

  const answer = async (id: number, body: Uint8Array): Promise<void> => {
    let reply: Uint8Array;
    try {
      const result = await handler(codec.decode(body) as Req, { signal: ended.signal });
      reply = envelope(KIND_REPLY, id, codec.encode(result));
    } catch (error) {
      const known = error instanceof IpcError;
      const detail = {
        code: known ? error.code : 'EREMOTE',
        message: known || options.exposeErrors === true ? (error instanceof Error ? error.message : String(error)) : 'the handler failed',
      };
      reply = envelope(KIND_ERROR, id, encoder.encode(JSON.stringify(detail)));
    }
    // The requester may be gone: nothing to tell it then.
    await channel.send(reply).catch(() => undefined);
  };

  try {
    for await (const message of channel) {
      const { kind, id, body } = open(message);
      if (kind !== KIND_REQUEST) throw new IpcError('EBADMSG', `a responder received an envelope of kind ${kind}, not a request`);
      const run = answer(id, body);
      running.add(run);
      void run.finally(() => {
        running.delete(run);
        slotFreed?.();
      });
      while (running.size >= concurrency) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
      }
    }
  } catch (error) {
    ended.abort();
    await channel.close({ timeoutMs: 0 });
    await Promise.allSettled([...running]);
    throw error;
  }
  ended.abort();
  await Promise.allSettled([...running]);
}
