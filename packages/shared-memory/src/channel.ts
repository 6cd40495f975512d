/**
 * A duplex message channel over two rings in one shared region: one ring
 * per direction. Sends write records straight into the peer's ring; receives
 * copy them out. Waiting spins only while spinning pays (spin.ts), then
 * sleeps: asynchronous waits on this process's doorbell (doorbell.ts: one
 * for every channel, watched by the event loop), blocking ones in the kernel
 * on the ring's bell word (futex / named event, @ipckit/native). An idle side
 * uses no CPU. This file is the public API; the state and the rules it shares
 * are channel-core.ts, the rings and wake-ups ends.ts, the queue of sends
 * waiting for room send-queue.ts, the zero-copy handles in-place.ts.
 */
import { IpcError, type Channel, type CloseOptions, type ReceiveOptions, type SendOptions } from '@ipckit/core';
import { checkWait, type CheckedWait } from '@ipckit/core/kit';
import { ChannelCore, type ChannelInit } from './channel-core.js';
import { badTimeout, checkTimeout, errorFrom } from './channel-errors.js';
import { WATCHDOG_MS } from './ends.js';
import { ShmMessage, ShmReservation } from './in-place.js';
import { AWAKE, READS_POOL, RINGS_DOORBELLS, STATE_CLOSED, STATE_OPEN, ShortArrayError, W } from './ring.js';
import { blockingOp, sent, type PendingSend } from './send-queue.js';
import { spinFor } from './spin.js';
import { RESOLVED, nextTurn, settledAtOnce } from './turns.js';

export { WATCHDOG_MS } from './ends.js';
export { ShmMessage, ShmReservation } from './in-place.js';
export type { ChannelInit, WaitOptions } from './channel-core.js';

/**
 * @internal Not part of the API (index.ts does not export it): the key of a
 * method that hands tests the two ring headers of a channel, so they can play
 * a hostile peer that writes into them.
 */
export const RING_HEADERS = Symbol('ipckit.shm.ringHeaders');
/**
 * Polls of the ring a synchronous receive makes before it reads the clock: a
 * peer that answers at once (a ping-pong) is caught here, with no clock
 * read, closure or allocation. A few microseconds at most.
 */
const FAST_POLLS = 2048;
const now = (): number => performance.now();

/** A checked wait with neither a timeout nor a signal. */
const NO_WAIT: CheckedWait = checkWait(undefined);
const DONE: IteratorResult<Uint8Array> = { value: undefined, done: true };

/**
 * One end of a shared-memory channel. Implements the common {@link Channel}
 * and adds {@link sendSync} / {@link receiveSync} for worker threads.
 */
export class ShmChannel implements Channel {
  readonly #c: ChannelCore;
  readonly maxMessageBytes: number;
  #iterating = false;

  /** @internal built by connect() and the listener. */
  constructor(init: ChannelInit) {
    this.#c = new ChannelCore(init);
    this.maxMessageBytes = init.maxMessageBytes;
  }

  /** True once close() was called, the peer went away (closed or died), or the channel failed. */
  get closed(): boolean {
    return this.#c.closed || this.#c.failure !== undefined || this.#c.peerGone !== undefined || this.#c.ends.peerClosedBoth();
  }

  /**
   * Sends a message: resolves once all of it is in the ring (awaiting is the
   * backpressure). With `options`, a send still waiting for room when its
   * timeout passes or its signal aborts is withdrawn (nothing of it sent); one
   * whose first fragments are already in the ring closes the channel (Rule 4).
   */
  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    const bad = this.#c.sendError() ?? this.#c.checkMessage(message) ?? this.#c.reservedError();
    if (bad) return Promise.reject(bad);
    let wait = NO_WAIT;
    if (options !== undefined) {
      try {
        wait = checkWait(options);
      } catch (error) {
        return Promise.reject(errorFrom(error));
      }
    }
    let offset = 0;
    if (this.#c.queue.length === 0) {
      offset = this.#c.write(message, 0);
      this.#c.ends.wakeConsumer(this.#c.mayDeferRing(message.length));
      if (offset >= message.length && (offset > 0 || message.length > 0)) return settledAtOnce() ? RESOLVED : nextTurn();
    }
    return new Promise((resolve, reject) => this.#c.queue.add(message, offset, wait, resolve, reject));
  }

  /** A message that is there now (after a short spin, when spinning pays), or undefined. */
  #takeSoon(): Uint8Array | undefined {
    if (this.#c.closed || this.#c.failure !== undefined) return undefined;
    try {
      const message = this.#c.take();
      if (message !== undefined) return message;
      // Spin here, synchronously, before paying for an async wait, when a quick peer answers within it.
      return spinFor(this.#c.rxSpin, this.#c.readableNow, this.#c.ends.peerAwake, Infinity, true) ? this.#c.take() : undefined;
    } catch (error) {
      throw this.#c.fail(error);
    }
  }

  /** The next message, or done. One consumer at a time (EINVAL while another receive is pending). */
  next(): Promise<IteratorResult<Uint8Array>> {
    const busy = this.#c.receiveBusy();
    if (busy) return Promise.reject(busy);
    try {
      const message = this.#takeSoon();
      if (message !== undefined) {
        const result = { value: message, done: false };
        return settledAtOnce() ? Promise.resolve(result) : nextTurn().then(() => result);
      }
    } catch (error) {
      return Promise.reject(errorFrom(error));
    }
    return this.#c.waitForMessage(NO_WAIT, this.#c.take).then((message) => (message === undefined ? DONE : { value: message, done: false }));
  }

  /**
   * The next message, or undefined once the channel has ended (closed here,
   * or the peer gone: Rule 1). ETIMEDOUT or ECANCELED per `options`, taking
   * nothing (Rule 4); EINVAL while another receive is pending.
   */
  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined> {
    const busy = this.#c.receiveBusy();
    if (busy) return Promise.reject(busy);
    let wait = NO_WAIT;
    try {
      if (options !== undefined) wait = checkWait(options);
      const message = this.#takeSoon();
      if (message !== undefined) return settledAtOnce() ? Promise.resolve(message) : nextTurn().then(() => message);
    } catch (error) {
      return Promise.reject(errorFrom(error));
    }
    return this.#c.waitForMessage(wait, this.#c.take);
  }

  /**
   * Closes this end (Rule 2): new sends get ECLOSED at once, and receiving
   * ends at once (a pending receive resolves undefined; the peer's sends get
   * EPIPE). Sends still queued get up to `options.timeoutMs` (default 2 s)
   * to go into the ring; those still queued then reject with ECLOSED (EPIPE
   * if the peer went away first). Then the peer's receive ends after what
   * was sent. Never rejects but for a bad option (EINVAL, nothing closed);
   * a second call returns the same promise.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.#c.close(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating) throw new IpcError('EINVAL', 'a channel can be iterated by one consumer at a time');
    this.#iterating = true;
    return {
      next: () => this.next(),
      return: () => {
        this.#iterating = false;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /**
   * Sends synchronously, blocking the thread while the ring is full (spin,
   * then a kernel sleep). For worker threads. Throws like {@link send}, and
   * ETIMEDOUT after `timeoutMs` (default: no limit).
   */
  sendSync(message: Uint8Array, timeoutMs = Infinity): void {
    // NaN or a string would make the deadline NaN: a spin that never ends.
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw badTimeout(timeoutMs);
    // The hot path: a message that fits one record, into a ring with room, on
    // an open channel: one record, one atomic store of `head`, one load of the
    // consumer's sleeping flag (and its state word, on the same cache line).
    const tx = this.#c.tx;
    if (
      !this.#c.closed &&
      this.#c.failure === undefined &&
      this.#c.queue.length === 0 &&
      this.#c.reservation === undefined &&
      message instanceof Uint8Array &&
      message.length <= tx.maxChunk &&
      message.length <= this.maxMessageBytes &&
      Atomics.load(tx.h, W.consumerState) !== STATE_CLOSED &&
      tx.tryWriteWhole(message)
    ) {
      if (Atomics.load(tx.h, W.consumerSleeping) !== AWAKE) this.#c.ends.wakeConsumer();
      else this.#c.ends.peerAwake = true;
      return;
    }
    this.#sendSyncSlow(message, timeoutMs);
  }

  #sendSyncSlow(message: Uint8Array, timeoutMs: number): void {
    const bad = this.#c.sendError() ?? this.#c.checkMessage(message) ?? this.#c.reservedError();
    if (bad) throw bad;
    if (this.#c.queue.length > 0) throw new IpcError('EINVAL', 'asynchronous sends are still pending on this channel');
    const op: PendingSend = blockingOp(message);
    let deadline = Infinity;
    for (;;) {
      op.offset = this.#c.write(message, op.offset);
      this.#c.ends.wakeConsumer();
      if (sent(op)) return;
      if (deadline === Infinity && timeoutMs !== Infinity) deadline = now() + timeoutMs;
      if (!spinFor(this.#c.txSpinSync, () => this.#c.writableNow(op), this.#c.ends.peerAwake, deadline - now())) {
        if (now() >= deadline) throw new IpcError('ETIMEDOUT', `the peer did not make room within ${timeoutMs} ms`);
        this.#c.checkPeer();
        this.#c.ends.txSpace.sleepSync(() => this.#c.writableNow(op), Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
      }
      const error = this.#c.sendError();
      if (error) throw error;
    }
  }

  /**
   * Receives synchronously: the next message, or undefined once the peer has
   * closed (or this side closed). Blocks the thread while the ring is empty;
   * for worker threads. Undefined too once the peer died (after what it
   * sent whole); ETIMEDOUT after `timeoutMs`.
   *
   * With `into`, the message is copied into that array instead of a new one,
   * and its length is returned: no allocation per message (the fastest way to
   * receive). A message longer than `into` throws EMSGSIZE and stays in the
   * ring (receive it with a larger array).
   */
  receiveSync(timeoutMs?: number): Uint8Array | undefined;
  receiveSync(into: Uint8Array, timeoutMs?: number): number | undefined;
  receiveSync(a?: Uint8Array | number, b?: number): Uint8Array | number | undefined {
    const into = a instanceof Uint8Array ? a : undefined;
    const timeoutMs = (into === undefined ? (a as number | undefined) : b) ?? Infinity;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw badTimeout(timeoutMs);
    const busy = this.#c.receiveBusy();
    if (busy) throw busy;
    if (!this.#c.closed && this.#c.failure === undefined) {
      // The hot path: poll the ring without reading the clock; a quick peer answers within it.
      const rx = this.#c.rx;
      try {
        for (let i = 0; i < FAST_POLLS; i++) {
          if (!rx.readable()) continue;
          if (into !== undefined) {
            const length = rx.readInto(into);
            this.#c.ends.wakeProducer();
            if (length >= 0) return this.#heard(length);
          } else {
            const message = rx.read();
            this.#c.ends.wakeProducer();
            if (message !== undefined) return this.#heard(message);
          }
          break; // part of a fragmented message: the patient path below
        }
      } catch (error) {
        if (error instanceof ShortArrayError) throw error;
        throw this.#c.fail(error);
      }
    }
    return this.#receiveSyncSlow(into, timeoutMs);
  }

  #takeInto(into: Uint8Array): number | undefined {
    const length = this.#c.rx.readInto(into);
    if (length >= 0 || this.#c.rx.midMessage) this.#c.ends.wakeProducer();
    return length >= 0 ? this.#heard(length) : undefined;
  }

  /** Notes that a whole message was read (the first-message deadline of a listener's channel asks) and passes it on. */
  #heard<T>(message: T): T {
    this.#c.heard = true;
    return message;
  }

  #receiveSyncSlow(into: Uint8Array | undefined, timeoutMs: number): Uint8Array | number | undefined {
    let deadline = Infinity;
    for (;;) {
      try {
        const message = this.#c.closed || this.#c.failure ? undefined : into === undefined ? this.#c.takeSync() : this.#takeInto(into);
        if (message !== undefined) return message;
        if (this.#c.receiveEnded()) return undefined;
      } catch (error) {
        if (error instanceof ShortArrayError) throw error;
        throw this.#c.fail(error);
      }
      if (deadline === Infinity && timeoutMs !== Infinity) deadline = now() + timeoutMs;
      if (spinFor(this.#c.rxSpinSync, this.#c.readableNow, this.#c.ends.peerAwake, deadline - now())) continue;
      if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no message within ${timeoutMs} ms`);
      this.#c.checkPeer();
      this.#c.ends.rxData.sleepSync(this.#c.readableNow, Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
    }
  }

  // ---- Zero-copy: writing and reading in place ----------------------------

  /**
   * The largest message that can be written or read in place: one record of
   * the ring, a quarter of its data bytes less 8 (connect with a larger
   * `ringBytes` for larger ones); never more than `maxMessageBytes`.
   */
  get maxInPlaceBytes(): number {
    return Math.min(this.#c.tx.maxChunk, this.maxMessageBytes);
  }

  #checkReserve(size: unknown): IpcError | undefined {
    const bad = this.#c.sendError() ?? this.#c.reservedError();
    if (bad) return bad;
    if (this.#c.queue.length > 0) return new IpcError('EINVAL', 'asynchronous sends are still pending on this channel: await them before writing in place');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      return new IpcError('EINVAL', `size must be an integer >= 0, got ${typeof size === 'number' ? size : typeof size}`);
    if (size > this.maxInPlaceBytes) {
      return new IpcError(
        'EMSGSIZE',
        `${size} bytes do not fit one record of this channel's ring (at most ${this.maxInPlaceBytes}; connect with a larger ringBytes)`,
      );
    }
    return undefined;
  }

  #reserveNow(size: number): ShmReservation | undefined {
    const offset = this.#c.tx.reserve(size);
    if (offset < 0) return undefined;
    const reservation = new ShmReservation(this.#c.tx.data.subarray(offset, offset + size), (length) => {
      this.#c.reservation = undefined;
      if (length === undefined) {
        this.#c.tx.cancel();
        return;
      }
      if (this.#c.sendError() === undefined) {
        this.#c.tx.commit(length);
        this.#c.ends.wakeConsumer();
      }
    });
    this.#c.reservation = reservation;
    return reservation;
  }

  /**
   * Zero-copy send: reserves room for a message of up to `size` bytes right
   * in the peer's ring, waiting (without blocking the event loop) while the
   * ring is full. Fill `reservation.bytes`, then `commit(length)` publishes
   * it; `cancel()` drops it. Rules: `size` is at most {@link maxInPlaceBytes};
   * one reservation at a time, and no send while it is open; the bytes must
   * not be touched after commit or cancel (they are the ring's again). Rejects
   * like send(), EMSGSIZE over the limit, EINVAL against the rules,
   * ETIMEDOUT after `timeoutMs`, ECANCELED when `signal` aborts.
   */
  async reserve(size: number, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ShmReservation> {
    const bad = this.#checkReserve(size);
    if (bad) throw bad;
    const deadline = options.timeoutMs === undefined ? Infinity : now() + checkTimeout(options.timeoutMs);
    const signal = options.signal;
    if (signal?.aborted) throw new IpcError('ECANCELED', 'the reserve was aborted', { cause: signal.reason });
    const room = (): boolean => this.#c.roomFor(size);
    for (;;) {
      const bad = this.#checkReserve(size);
      if (bad) throw bad;
      const reservation = this.#reserveNow(size);
      if (reservation) return reservation;
      if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no room for ${size} bytes within ${options.timeoutMs} ms`);
      if (signal?.aborted) throw new IpcError('ECANCELED', 'the reserve was aborted', { cause: signal.reason });
      await this.#c.waitWritable(room);
    }
  }

  /** The blocking form of {@link reserve}, for worker threads; ETIMEDOUT after `timeoutMs`. */
  reserveSync(size: number, timeoutMs = Infinity): ShmReservation {
    const bad = this.#checkReserve(size);
    if (bad) throw bad;
    checkTimeout(timeoutMs);
    const fast = this.#reserveNow(size);
    if (fast) return fast;
    const room = (): boolean => this.#c.roomFor(size);
    const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
    for (;;) {
      if (!spinFor(this.#c.txSpinSync, room, this.#c.ends.peerAwake, deadline - now())) {
        if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no room for ${size} bytes within ${timeoutMs} ms`);
        this.#c.checkPeer();
        this.#c.ends.txSpace.sleepSync(room, Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
      }
      const again = this.#checkReserve(size);
      if (again) throw again;
      const reservation = this.#reserveNow(size);
      if (reservation) return reservation;
    }
  }

  /** The next message in place, when one is there now: a view of the ring or of the pool (or, for one that came in pieces, a copy). */
  #takeInPlace = (): ShmMessage | undefined => {
    const next = this.#c.rx.peek();
    if (next === undefined) return undefined;
    if (next === 'fragmented') {
      const copy = this.#c.take();
      return copy === undefined ? undefined : new ShmMessage(copy, () => undefined);
    }
    this.#c.heard = true;
    const message = new ShmMessage(next.bytes, () => {
      this.#c.held = undefined;
      if (this.#c.region.closed) return;
      this.#c.rx.release(next);
      this.#c.ends.wakeProducer();
    });
    this.#c.held = message;
    return message;
  };

  /**
   * Zero-copy receive: the next message as a view of the ring itself, valid
   * until `message.release()` (or `using`), which gives the bytes back to the
   * producer. Resolves undefined once the channel has ended. Rules: one held
   * message at a time, and no other receive until it is released; the bytes
   * must not be touched after release. A message that came in pieces (larger
   * than {@link maxInPlaceBytes}) is handed over as a copy. Rejects like the
   * iteration does, ETIMEDOUT after `timeoutMs`, ECANCELED when `signal` aborts.
   */
  async receiveInPlace(options?: ReceiveOptions): Promise<ShmMessage | undefined> {
    const busy = this.#c.receiveBusy();
    if (busy) throw busy;
    const wait = checkWait(options);
    try {
      if (!this.#c.closed && this.#c.failure === undefined) {
        const message =
          this.#takeInPlace() ?? (spinFor(this.#c.rxSpin, this.#c.readableNow, this.#c.ends.peerAwake, Infinity, true) ? this.#takeInPlace() : undefined);
        if (message !== undefined) return message;
      }
    } catch (error) {
      throw this.#c.fail(error);
    }
    return this.#c.waitForMessage(wait, this.#takeInPlace);
  }

  /** The blocking form of {@link receiveInPlace}, for worker threads: undefined once the channel has ended. */
  receiveInPlaceSync(timeoutMs = Infinity): ShmMessage | undefined {
    const busy = this.#c.receiveBusy();
    if (busy) throw busy;
    checkTimeout(timeoutMs);
    const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
    for (;;) {
      try {
        if (!this.#c.closed && this.#c.failure === undefined) {
          const message = this.#takeInPlace();
          if (message !== undefined) return message;
        }
        if (this.#c.receiveEnded()) return undefined;
      } catch (error) {
        throw this.#c.fail(error);
      }
      if (spinFor(this.#c.rxSpinSync, this.#c.readableNow, this.#c.ends.peerAwake, deadline - now())) continue;
      if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no message within ${timeoutMs} ms`);
      this.#c.checkPeer();
      this.#c.ends.rxData.sleepSync(this.#c.readableNow, Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal see {@link RING_HEADERS}: the header words of the ring this side reads and of the one it writes. */
  [RING_HEADERS](): { rx: Int32Array; tx: Int32Array } {
    return { rx: this.#c.rx.h, tx: this.#c.tx.h };
  }

  /**
   * @internal marks this side attached to both rings, and says that it
   * rings process doorbells (so the peer may sleep on its own) and reads
   * pool records (so the peer may send large messages through its pool).
   */
  static attach(rx: Int32Array, tx: Int32Array, pid: number): void {
    Atomics.store(rx, W.consumerPid, pid);
    Atomics.or(rx, W.consumerFlags, RINGS_DOORBELLS | READS_POOL);
    Atomics.store(rx, W.consumerState, STATE_OPEN);
    Atomics.store(tx, W.producerPid, pid);
    Atomics.or(tx, W.producerFlags, RINGS_DOORBELLS);
    Atomics.store(tx, W.producerState, STATE_OPEN);
  }
}
