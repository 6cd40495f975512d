/**
 * Self-checking test messages: each carries a writer id, a sequence number,
 * a deterministic payload and an FNV-1a checksum, so a receiver can prove that
 * nothing was lost, duplicated, reordered or corrupted.
 */

/** FNV-1a, 32-bit, over `bytes`. */
export function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Builds message `seq` of writer `writer`: 12 to 72 bytes, checksum last. */
export function sequenceMessage(writer: number, seq: number): Uint8Array {
  const payloadBytes = seq % 61;
  const message = new Uint8Array(8 + payloadBytes + 4);
  const view = new DataView(message.buffer);
  view.setUint32(0, writer, true);
  view.setUint32(4, seq, true);
  for (let i = 0; i < payloadBytes; i++) message[8 + i] = (seq + i * 7 + writer) & 0xff;
  view.setUint32(8 + payloadBytes, fnv1a(message.subarray(0, 8 + payloadBytes)), true);
  return message;
}

/** Reads a sequence message back; throws when its checksum or shape is wrong. */
export function readSequenceMessage(message: Uint8Array): { writer: number; seq: number } {
  if (message.length < 12) throw new Error(`sequence message too short: ${message.length} bytes`);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const writer = view.getUint32(0, true);
  const seq = view.getUint32(4, true);
  if (message.length !== 12 + (seq % 61)) throw new Error(`message ${writer}/${seq} has length ${message.length}`);
  const sum = view.getUint32(message.length - 4, true);
  if (sum !== fnv1a(message.subarray(0, message.length - 4))) throw new Error(`message ${writer}/${seq} fails its checksum`);
  return { writer, seq };
}

/**
 * Tracks sequence messages from many writers and fails on the first one that
 * is out of order, duplicated or corrupt.
 */
export class SequenceChecker {
  private readonly next = new Map<number, number>();
  received = 0;

  /** Checks one message; throws with the reason if it is not the expected next one. */
  accept(message: Uint8Array): void {
    const { writer, seq } = readSequenceMessage(message);
    const expected = this.next.get(writer) ?? 0;
    if (seq !== expected) {
      throw new Error(`writer ${writer}: expected message ${expected}, got ${seq} (${seq < expected ? 'duplicate' : 'lost or reordered'})`);
    }
    this.next.set(writer, seq + 1);
    this.received++;
  }

  /** How many messages each writer has delivered so far. */
  countOf(writer: number): number {
    return this.next.get(writer) ?? 0;
  }
}

/** A deterministic message of `size` bytes, different for each `tag`. */
export function patternMessage(size: number, tag: number): Uint8Array {
  const message = new Uint8Array(size);
  let x = (tag * 2654435761 + size) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    message[i] = x >>> 24;
  }
  return message;
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Message `seq` of a bulk stream: `size` bytes (at least 4), the u32 `seq`
 * first, then bytes that depend on `seq` and their place. Cheap to make and
 * check, for tests that need megabytes in flight.
 */
export function bulkMessage(seq: number, size: number): Uint8Array {
  const message = new Uint8Array(Math.max(4, size));
  new DataView(message.buffer).setUint32(0, seq, true);
  for (let i = 4; i < message.length; i += 97) message[i] = (seq + i) & 0xff;
  return message;
}

/** Reads a bulk message's `seq`; throws when its length or content is wrong. */
export function readBulkMessage(message: Uint8Array, size: number): number {
  if (message.length !== Math.max(4, size)) throw new Error(`bulk message of ${message.length} bytes, expected ${size}`);
  const seq = new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(0, true);
  for (let i = 4; i < message.length; i += 97) {
    if (message[i] !== ((seq + i) & 0xff)) throw new Error(`bulk message ${seq} is corrupt at byte ${i}`);
  }
  return seq;
}

/** A one-byte message that tells a draining peer to stop (a one-way channel never ends on its own). */
export const STOP_MARKER = 0xff;
