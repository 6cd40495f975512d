import { IpcError } from '../errors.js';
import { SLOW_SUBSCRIBER_POLICIES, type SlowSubscriberPolicy } from '../topic.js';

/**
 * The frames of a topic carried over channels (docs/topics.md, "Wire format"):
 * every frame is one channel message starting with a 16-byte header,
 *
 *   0  magic "IPKT"   4  version (1)   5  kind   6  policy or reason   7  0
 *   8  u64 little-endian sequence number
 *
 * then a body that depends on the kind. A C program can speak it from the
 * document alone.
 */

/** Bytes in every topic frame's header. */
export const TOPIC_HEADER_BYTES = 16;

/** The wire format's version; a subscriber refuses a welcome of another. */
export const TOPIC_WIRE_VERSION = 1;

const MAGIC = [0x49, 0x50, 0x4b, 0x54] as const; // "IPKT"

/** What a frame is. */
export const FrameKind = {
  /** subscriber -> publisher, the first message: body u32 the subscriber's maxMessageBytes. */
  hello: 1,
  /** publisher -> subscriber, the answer: seq = the first sequence number it will get; body see {@link Welcome}. */
  welcome: 2,
  /** publisher -> subscriber instead of a welcome: byte 6 = reason, body = UTF-8 text; then the channel closes. */
  refused: 3,
  /** publisher -> subscriber: one message; seq = its sequence number, body = the message. */
  data: 4,
  /** publisher -> subscriber: disconnected by the policy; seq = the next sequence number; then the channel closes. */
  evicted: 5,
} as const;

/** Byte 6 of a `refused` frame. */
export const REFUSED_FULL = 1;

/** Body bytes of a welcome. */
const WELCOME_BODY_BYTES = 16;

/** What a publisher tells a subscriber it counted in. */
export interface Welcome {
  policy: SlowSubscriberPolicy;
  /** The sequence number of the first message the subscriber will receive (the oldest history message, or the next). */
  firstSeq: number;
  capacity: number;
  /** How many history messages come first. */
  history: number;
  maxMessageBytes: number;
  maxSubscribers: number;
}

/** A parsed frame header. */
export interface FrameHeader {
  kind: number;
  /** Byte 6: the policy of a welcome, the reason of a refusal. */
  detail: number;
  seq: number;
}

const TWO_32 = 2 ** 32;

/** A frame of `kind` with room for `bodyBytes` after the header (filled by the caller). */
export function topicFrame(kind: number, seq: number, bodyBytes: number, detail = 0): Uint8Array {
  const frame = new Uint8Array(TOPIC_HEADER_BYTES + bodyBytes);
  frame.set(MAGIC, 0);
  frame[4] = TOPIC_WIRE_VERSION;
  frame[5] = kind;
  frame[6] = detail;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint32(8, seq % TWO_32, true);
  view.setUint32(12, Math.floor(seq / TWO_32), true);
  return frame;
}

/** Reads a frame's header; IpcError EBADMSG when it is no topic frame of this version. */
export function readHeader(frame: Uint8Array): FrameHeader {
  if (frame.length < TOPIC_HEADER_BYTES || MAGIC.some((byte, i) => frame[i] !== byte)) {
    throw new IpcError('EBADMSG', 'a received message is not a topic frame (what serves this name is not an ipckit topic)');
  }
  if (frame[4] !== TOPIC_WIRE_VERSION) throw new IpcError('EBADMSG', `the topic speaks wire version ${frame[4]}, this side ${TOPIC_WIRE_VERSION}`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return { kind: frame[5] as number, detail: frame[6] as number, seq: view.getUint32(8, true) + view.getUint32(12, true) * TWO_32 };
}

/** The subscriber's first message. */
export function helloFrame(maxMessageBytes: number): Uint8Array {
  const frame = topicFrame(FrameKind.hello, 0, 4);
  new DataView(frame.buffer).setUint32(TOPIC_HEADER_BYTES, maxMessageBytes, true);
  return frame;
}

/** The subscriber's maxMessageBytes in a hello; EBADMSG for anything that is not a hello. */
export function readHello(frame: Uint8Array): number {
  const header = readHeader(frame);
  if (header.kind !== FrameKind.hello || frame.length < TOPIC_HEADER_BYTES + 4) throw new IpcError('EBADMSG', 'the first message is not a topic hello');
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(TOPIC_HEADER_BYTES, true);
}

/** The publisher's answer to a hello it accepts. */
export function welcomeFrame(welcome: Welcome): Uint8Array {
  const frame = topicFrame(FrameKind.welcome, welcome.firstSeq, WELCOME_BODY_BYTES, SLOW_SUBSCRIBER_POLICIES.indexOf(welcome.policy));
  const view = new DataView(frame.buffer);
  view.setUint32(TOPIC_HEADER_BYTES, welcome.capacity, true);
  view.setUint32(TOPIC_HEADER_BYTES + 4, welcome.history, true);
  view.setUint32(TOPIC_HEADER_BYTES + 8, welcome.maxMessageBytes, true);
  view.setUint32(TOPIC_HEADER_BYTES + 12, welcome.maxSubscribers, true);
  return frame;
}

/** The publisher's answer to a hello it refuses. */
export function refusedFrame(reason: number, text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const frame = topicFrame(FrameKind.refused, 0, bytes.length, reason);
  frame.set(bytes, TOPIC_HEADER_BYTES);
  return frame;
}

/**
 * The publisher's answer, read: a Welcome, or the IpcError a refusal means
 * (ENOMEM: the topic is full). EBADMSG for anything else.
 */
export function readAnswer(frame: Uint8Array): Welcome | IpcError {
  const header = readHeader(frame);
  if (header.kind === FrameKind.refused) {
    const text = new TextDecoder().decode(frame.subarray(TOPIC_HEADER_BYTES));
    return new IpcError(header.detail === REFUSED_FULL ? 'ENOMEM' : 'EIO', `the publisher refused the subscription: ${text}`);
  }
  const policy = SLOW_SUBSCRIBER_POLICIES[header.detail];
  if (header.kind !== FrameKind.welcome || frame.length < TOPIC_HEADER_BYTES + WELCOME_BODY_BYTES || policy === undefined) {
    throw new IpcError('EBADMSG', 'the answer to the subscription is not a topic welcome');
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    policy,
    firstSeq: header.seq,
    capacity: view.getUint32(TOPIC_HEADER_BYTES, true),
    history: view.getUint32(TOPIC_HEADER_BYTES + 4, true),
    maxMessageBytes: view.getUint32(TOPIC_HEADER_BYTES + 8, true),
    maxSubscribers: view.getUint32(TOPIC_HEADER_BYTES + 12, true),
  };
}

/** One message as a data frame: the message is copied once, after the header; every subscriber is sent the same frame. */
export function dataFrame(seq: number, message: Uint8Array): Uint8Array {
  const frame = topicFrame(FrameKind.data, seq, message.length);
  frame.set(message, TOPIC_HEADER_BYTES);
  return frame;
}

/** The notice that the policy disconnected a subscriber. */
export function evictedFrame(nextSeq: number): Uint8Array {
  return topicFrame(FrameKind.evicted, nextSeq, 0);
}
