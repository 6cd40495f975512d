/**
 * What a nats:// channel puts in NATS message payloads (docs/nats.md, "Wire
 * format"). The handshake travels as small JSON documents through NATS
 * request/reply on the service subject; a channel's own messages travel on the
 * two private inbox subjects, each payload starting with one kind byte.
 */
import { IpcError } from '@ipckit/core';

/** The protocol version in every handshake document. */
export const PROTOCOL_VERSION = 1;

/** The first byte of every payload on a channel's inbox. */
export const Kind = {
  /** `[1][u32 LE sequence number][message bytes]`: one message of the channel. */
  DATA: 1,
  /** `[2][f64 LE consumed]`: the receiver has taken messages worth `consumed` credit units in total. */
  CREDIT: 2,
  /** `[3]`: the sender closed its end; nothing follows. */
  CLOSE: 3,
  /** `[4]`, sent as a NATS request: answered with an empty reply while the channel is open. */
  PING: 4,
  /** `[5]`: a send waits for credit; the receiver grants what it has taken even if below its usual step. */
  WANT: 5,
} as const;

/** Bytes in front of a message in a DATA payload. */
export const DATA_HEADER_BYTES = 5;

/**
 * What one message costs against the receiver's window: its bytes plus this,
 * so that empty messages are bounded too.
 */
export const MESSAGE_OVERHEAD = 64;

/** The cost of a message of `size` bytes in credit units. */
export function costOf(size: number): number {
  return size + MESSAGE_OVERHEAD;
}

/** A DATA payload: the header, then the message (one copy). */
export function encodeData(sequence: number, message: Uint8Array): Uint8Array {
  const payload = new Uint8Array(DATA_HEADER_BYTES + message.length);
  payload[0] = Kind.DATA;
  new DataView(payload.buffer).setUint32(1, sequence >>> 0, true);
  payload.set(message, DATA_HEADER_BYTES);
  return payload;
}

/** A CREDIT payload. */
export function encodeCredit(consumed: number): Uint8Array {
  const payload = new Uint8Array(9);
  payload[0] = Kind.CREDIT;
  new DataView(payload.buffer).setFloat64(1, consumed, true);
  return payload;
}

/** The one-byte payloads. */
export const CLOSE_PAYLOAD = new Uint8Array([Kind.CLOSE]);
export const PING_PAYLOAD = new Uint8Array([Kind.PING]);
export const WANT_PAYLOAD = new Uint8Array([Kind.WANT]);

/** A decoded inbox payload. */
export type InboxMessage =
  | { kind: typeof Kind.DATA; sequence: number; message: Uint8Array }
  | { kind: typeof Kind.CREDIT; consumed: number }
  | { kind: typeof Kind.CLOSE }
  | { kind: typeof Kind.PING }
  | { kind: typeof Kind.WANT };

/** Decodes an inbox payload; IpcError EBADMSG for anything that is not one. */
export function decodeInbox(payload: Uint8Array): InboxMessage {
  const kind = payload[0];
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (kind === Kind.DATA && payload.length >= DATA_HEADER_BYTES) {
    return { kind, sequence: view.getUint32(1, true), message: payload.subarray(DATA_HEADER_BYTES) };
  }
  if (kind === Kind.CREDIT && payload.length === 9) {
    const consumed = view.getFloat64(1, true);
    if (Number.isFinite(consumed) && consumed >= 0) return { kind, consumed };
  }
  if (kind === Kind.CLOSE && payload.length === 1) return { kind };
  if (kind === Kind.PING && payload.length === 1) return { kind };
  if (kind === Kind.WANT && payload.length === 1) return { kind };
  throw new IpcError('EBADMSG', `a nats:// channel got a payload that is no channel message (kind ${String(kind)}, ${payload.length} bytes)`);
}

/** The client's request on the service subject: open a channel. */
export interface Hello {
  v: number;
  t: 'hello';
  /** The client's inbox: where the listener's side sends. */
  inbox: string;
  /** The largest message the client accepts. */
  max: number;
  /** The client's receive window, in credit units. */
  window: number;
}

/** A listener's answer to a hello. */
export type HelloReply =
  | { v: number; t: 'accept'; inbox: string; max: number; window: number }
  /** Over the listener's backlog (Rule 5): the channel ends at once. */
  | { v: number; t: 'full' };

/** The request a listen() sends first (unless shared) to learn whether the service is served. */
export interface Probe {
  v: number;
  t: 'probe';
}

/** A listener's answer to a probe. */
export interface ProbeReply {
  v: number;
  t: 'served';
  /** True when that listener shares the service (a queue group others may join). */
  shared: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A handshake document as payload bytes. */
export function encodeJson(value: Hello | HelloReply | Probe | ProbeReply): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** A handshake document from payload bytes; IpcError EBADMSG when it is not JSON with a `t`. */
export function decodeJson(payload: Uint8Array): Record<string, unknown> & { t: string } {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (error) {
    throw new IpcError('EBADMSG', 'a nats:// handshake message is not JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null || typeof (value as { t?: unknown }).t !== 'string') {
    throw new IpcError('EBADMSG', 'a nats:// handshake message has no type');
  }
  return value as Record<string, unknown> & { t: string };
}
