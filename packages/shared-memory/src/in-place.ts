/**
 * Zero-copy handles of a channel: a message being written in place in the
 * peer's ring (ShmReservation), and one read in place from ours (ShmMessage).
 */
import { IpcError } from '@ipckit/core';

/**
 * A message being written in place in the peer's ring (ShmChannel.reserve):
 * fill {@link bytes}, then {@link commit}. The bytes are the ring's own: do
 * not touch them after commit or cancel.
 */
export class ShmReservation {
  #settle: ((length: number | undefined) => void) | undefined;

  /** @internal made by ShmChannel */
  constructor(
    /** Where to write the message: a view of the ring, `size` bytes long. */
    readonly bytes: Uint8Array,
    settle: (length: number | undefined) => void,
  ) {
    this.#settle = settle;
  }

  /** Publishes the first `length` bytes (default: all) as one message. Once only (EINVAL after). */
  commit(length = this.bytes.length): void {
    const settle = this.#settle;
    if (settle === undefined) throw new IpcError('EINVAL', 'this reservation was already committed or cancelled');
    if (!Number.isSafeInteger(length) || length < 0 || length > this.bytes.length) {
      throw new IpcError('EINVAL', `length must be an integer from 0 to ${this.bytes.length}, got ${length}`);
    }
    this.#settle = undefined;
    settle(length);
  }

  /** Drops the reservation: nothing is sent. Safe to call after commit (does nothing then). */
  cancel(): void {
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.(undefined);
  }
}

/**
 * A message read in place (ShmChannel.receiveInPlace): {@link bytes} is a
 * view of the ring, valid until {@link release}, which gives the room back
 * to the producer. Release it as soon as you are done; `using` does.
 */
export class ShmMessage implements Disposable {
  #release: (() => void) | undefined;

  /** @internal made by ShmChannel */
  constructor(
    /** The message: the ring's own bytes (or a copy for a message that came in pieces). Do not touch after release. */
    readonly bytes: Uint8Array,
    release: () => void,
  ) {
    this.#release = release;
  }

  /** Gives the bytes back to the producer. Once; later calls do nothing. */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
