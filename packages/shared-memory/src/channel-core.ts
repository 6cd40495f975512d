/**
 * The state of one end of a shm:// channel and the rules every one of its
 * methods shares: what makes a send or a receive fail or end (the Channel
 * contract, Rules 1–4), the watch on the peer, the waits for room and for
 * data, and closing. ShmChannel (channel.ts) is the public face over it; this
 * object is never handed to users.
 */
import { IpcError, type CloseOptions } from '@ipckit/core';
import { BACKEND } from '@ipckit/sys';
import { closeTimeoutOption, setLongTimeout, watchWait, type CheckedWait, type LongTimeout } from '@ipckit/core/kit';
import type { ProcessWatch, ShmBackend } from './backend.js';
import { errorFrom, heldError } from './channel-errors.js';
import { RingEnds, WATCHDOG_MS, type EndsInit } from './ends.js';
import type { ShmMessage, ShmReservation } from './in-place.js';
import type { SharedRegion } from './region.js';
import { PoolReader, PoolWriter, poolName, type PoolPlace } from './pool.js';
import { POOL_RECORD_BYTES, RingReader, RingWriter, STATE_CLOSED, W } from './ring.js';
import { wholeMessageWaiting } from './ring-scan.js';
import { SendQueue, type PendingSend } from './send-queue.js';
import { SpinPolicy, spinFor } from './spin.js';

/** Tuning for a channel's waits. */
export interface WaitOptions {
  /**
   * The longest an async receive or send spins (polling the ring on the
   * event loop) before sleeping. Default 50 µs; 0 never spins. Within it the
   * channel spins only while that pays: about twice as long as the peer has
   * recently taken to answer (a new channel starts at the ceiling and keeps it
   * through its first 64 spins, which meet cold code), and while this thread
   * has lately waited for a CPU (Linux) at most 5 µs and only towards a peer
   * that is awake (see spin.ts).
   */
  spinMicros?: number;
  /** The same ceiling for the synchronous methods (they block their thread anyway). Default 200 µs. */
  syncSpinMicros?: number;
}

/** How a channel is wired into its region. */
export interface ChannelInit extends EndsInit {
  /** The peer's process id, and a watch on it. */
  peerPid: number;
  peer: ProcessWatch;
  wait?: WaitOptions;
  /** The OS backend: the rings' pools are made and opened through it. */
  backend: ShmBackend;
  /** A listener's channel: the first-message deadline of Rule 5 (none for connect's). */
  firstMessage?: FirstMessageDeadline | undefined;
}

/**
 * Rule 5's first-message deadline of a channel a listener accepted: when no
 * whole message came from the peer (read, or waiting in the ring) and none
 * was sent to it within `timeoutMs` of the accept, the channel is closed
 * (its receive ends, its peer sees the channel end) and `onExpired` runs.
 */
export interface FirstMessageDeadline {
  /** Ms after the accept; 0 never. */
  timeoutMs: number;
  /** Called once the deadline closed the channel (the listener gives back its backlog slot). */
  onExpired: () => void;
}

const now = (): number => performance.now();

/** One end's state and shared rules (see the file comment). */
export class ChannelCore {
  readonly maxMessageBytes: number;
  readonly region: SharedRegion;
  readonly ends: RingEnds;
  /** The ends' rings, for the hot paths. */
  readonly rx: RingReader;
  readonly tx: RingWriter;
  /** The pool of the ring we write (made on first use); the rx ring's is rx.pool. */
  readonly txPool: PoolWriter;
  readonly peer: ProcessWatch;
  readonly peerPid: number;
  /** How long to spin, learned per direction and per kind of wait. */
  readonly rxSpin: SpinPolicy;
  readonly txSpin: SpinPolicy;
  readonly rxSpinSync: SpinPolicy;
  readonly txSpinSync: SpinPolicy;
  readonly queue: SendQueue;
  readonly watchdog: NodeJS.Timeout;
  /** A send reserved in place and not yet committed or cancelled. */
  reservation: ShmReservation | undefined;
  /** A message read in place and not yet released. */
  held: ShmMessage | undefined;
  /** close() was called: new sends get ECLOSED, receiving has ended; queued sends may still go until {@link released}. */
  closed = false;
  /** What close() returned, for every later call. */
  closing: Promise<void> | undefined;
  /** close() gave up on what was queued: the rings are marked closed and the region is about to be unmapped. */
  released = false;
  /** The peer went away (died without closing): sends get EPIPE, receiving ends after what is in the ring (Rule 1). */
  peerGone: IpcError | undefined;
  /** The peer broke the ring protocol: the next receive throws it, later ones end (Rule 3). */
  failure: IpcError | undefined;
  failureReported = false;
  /** The receive (or receiveInPlace) that waits, if one does: one at a time. */
  receiving: Promise<unknown> | undefined;
  lastPeerCheck = 0;
  /** True once a whole message was taken from rx (the first-message deadline asks; see {@link #firstMessageDue}). */
  heard = false;
  /** The first-message deadline while it runs (a listener's channel only). */
  #firstMessageTimer: LongTimeout | undefined;

  /** @internal built by connect() and the listener. */
  constructor(init: ChannelInit) {
    this.region = init.region;
    this.maxMessageBytes = init.maxMessageBytes;
    const ends = new RingEnds(init);
    this.ends = ends;
    this.rx = ends.rx;
    this.tx = ends.tx;
    const place = (ring: 0 | 1): PoolPlace => ({ backend: init.backend, path: init.backend.osName(poolName(init.waitName, ring)) });
    this.txPool = new PoolWriter(this.tx.h, place(init.rxIndex === 0 ? 1 : 0), init.maxMessageBytes);
    this.rx.pool = new PoolReader(this.rx.h, place(init.rxIndex));
    this.peer = init.peer;
    this.peerPid = init.peerPid;
    init.doorbell.retain(init.peerPid);
    this.queue = new SendQueue({
      deliveryError: () => this.deliveryError(),
      write: (op) => {
        op.offset = this.write(op.message, op.offset);
        ends.wakeConsumer(this.mayDeferRing(op.message.length));
      },
      waitWritable: (op) => this.waitWritable(() => this.writableNow(op)),
      interruptSend: () => ends.interruptSend(),
      tear: () => void this.close({ timeoutMs: 0 }),
    });
    const spinMs = (init.wait?.spinMicros ?? 50) / 1000;
    const syncSpinMs = (init.wait?.syncSpinMicros ?? 200) / 1000;
    this.rxSpin = new SpinPolicy(spinMs);
    this.txSpin = new SpinPolicy(spinMs);
    this.rxSpinSync = new SpinPolicy(syncSpinMs);
    this.txSpinSync = new SpinPolicy(syncSpinMs);
    // The OS tells of the peer's exit at once where it can; the watchdog covers the rest.
    init.peer.onExit(() => this.peerExited());
    this.watchdog = setInterval(() => this.checkPeer(true), WATCHDOG_MS);
    this.watchdog.unref();
    const first = init.firstMessage;
    if (first !== undefined && first.timeoutMs > 0) {
      // unref: a deadline alone must not keep the process alive; close() clears it.
      this.#firstMessageTimer = setLongTimeout(() => this.#firstMessageDue(first), first.timeoutMs).unref();
    }
  }

  /**
   * The first-message deadline passed. Sent: anything published in tx (every
   * way of sending publishes `head` at once into the empty ring). Received: a
   * whole message taken ({@link heard}) or waiting in rx, unread (a channel
   * still in the listener's queue). Neither: closed, as a stream listener does.
   */
  #firstMessageDue(first: FirstMessageDeadline): void {
    this.#firstMessageTimer = undefined;
    if (this.closing !== undefined || this.heard || Atomics.load(this.tx.h, W.head) !== 0 || wholeMessageWaiting(this.rx)) return;
    void this.close({ timeoutMs: 0 });
    first.onExpired();
  }

  /** Notices a dead peer; with `force`, checks now, else at most every WATCHDOG_MS. */
  checkPeer(force = false): void {
    if (this.released || this.failure || this.peerGone) return;
    const t = now();
    if (!force && t - this.lastPeerCheck < WATCHDOG_MS) return;
    this.lastPeerCheck = t;
    // Rule 1: a peer that dies is a peer that went away, as a closed one is.
    if (!this.peer.alive()) this.peerExited();
  }

  /** The OS says the peer's process exited. */
  peerExited(): void {
    if (this.released || this.failure || this.peerGone || this.ends.peerClosedBoth()) return;
    this.peerGone = new IpcError('EPIPE', 'the peer process died');
    this.interruptOwnSleeps();
  }

  /** Ends our own pending sleeps, whichever way we sleep. */
  interruptOwnSleeps(): void {
    this.ends.interruptReceive();
    this.ends.interruptSend();
  }

  /** Why a new send cannot go ahead, or undefined. */
  sendError(): IpcError | undefined {
    if (this.closed) return new IpcError('ECLOSED', 'the channel is closed');
    return this.deliveryError();
  }

  /** Why what is queued can no longer go into the ring (Rules 1 and 2), or undefined. */
  deliveryError(): IpcError | undefined {
    const gone = this.peerError();
    if (gone) return gone;
    if (this.released) return new IpcError('ECLOSED', 'the channel was closed before the message was sent');
    return undefined;
  }

  /** EPIPE once the peer is gone (closed its end, died) or the channel failed; undefined otherwise. */
  peerError(): IpcError | undefined {
    if (this.failure) return new IpcError('EPIPE', 'the channel failed; the message was not sent', { cause: this.failure });
    if (this.peerGone) return new IpcError('EPIPE', 'the peer is gone; the message was not sent', { cause: this.peerGone });
    if (Atomics.load(this.tx.h, W.consumerState) === STATE_CLOSED) return new IpcError('EPIPE', 'the peer closed the channel');
    return undefined;
  }

  checkMessage(message: Uint8Array): IpcError | undefined {
    if (!(message instanceof Uint8Array)) return new IpcError('EINVAL', 'a message must be a Uint8Array');
    if (message.length > this.maxMessageBytes)
      return new IpcError('EMSGSIZE', `a ${message.length}-byte message is over this channel's maximum of ${this.maxMessageBytes}`);
    return undefined;
  }

  /** Waits (at most `ms`) until the consumer released every pool byte, or it can take nothing more (closed, gone). */
  async #poolRead(ms: number): Promise<void> {
    if (ms <= 0) return;
    const done = (): boolean => !this.txPool.outstanding || this.deliveryError() !== undefined;
    let timer: ReturnType<typeof setLongTimeout> | undefined;
    // The consumer rings our room doorbell when it releases ring and pool bytes (a space wait, as for a send).
    await Promise.race([this.waitWritable(done), new Promise<void>((resolve) => (timer = setLongTimeout(resolve, ms)))]);
    timer?.clear();
  }

  /**
   * Writes as much of `message` from `offset` as goes now (see
   * RingWriter.write): a message larger than a ring record goes whole through
   * the pool when the peer reads pool records (ring-protocol §6), else in
   * fragments. Returns the new offset.
   */
  write(message: Uint8Array, offset: number): number {
    if (offset === 0 && this.#throughPool(message.length)) {
      if (!this.txPool.fits(message.length) || !this.tx.fits(POOL_RECORD_BYTES)) return 0;
      const entry = this.txPool.write(message);
      if (entry !== undefined && this.tx.writePoolRecord(entry.offset, message.length, entry.end)) return message.length;
      // The pool could not be made: the message goes in fragments, as without a pool.
    }
    return this.tx.write(message, offset);
  }

  /** True when a message of `length` bytes goes whole through the pool: larger than a ring record, and the pool takes it. */
  #throughPool(length: number): boolean {
    return length > this.tx.maxChunk && this.txPool.takes(length);
  }

  /** Room in tx for the next `bytes` (a piece of at most maxChunk), or nothing more to wait for: the delivery failed. */
  roomFor(bytes: number): boolean {
    return this.tx.fits(Math.min(Math.max(bytes, 0), this.tx.maxChunk)) || this.deliveryError() !== undefined;
  }

  writableNow(op: PendingSend): boolean {
    if (op.offset === 0 && this.#throughPool(op.message.length)) {
      return (this.txPool.fits(op.message.length) && this.tx.fits(POOL_RECORD_BYTES)) || this.deliveryError() !== undefined || op.settled;
    }
    return this.roomFor(op.message.length - op.offset) || op.settled;
  }

  /** Spins, then sleeps, until `ready` (room in tx, a failed delivery, or the caller's own reason to stop). */
  async waitWritable(ready: () => boolean): Promise<void> {
    if (spinFor(this.txSpin, ready, this.ends.peerAwake, Infinity, true)) return;
    this.checkPeer();
    if (ready()) return;
    await this.ends.sleepForRoom(ready);
  }

  /**
   * True once receiving has ended: this side closed, or the peer went away
   * (closed or died) and every whole message it sent has been read (one it
   * was in the middle of is dropped whole, Rule 1). A failure is thrown to
   * the first receive after it, and ends receiving for the later ones.
   */
  receiveEnded(): boolean {
    if (this.closed) return true;
    if (this.failure) {
      if (this.failureReported) return true;
      this.failureReported = true;
      throw this.failure;
    }
    if (Atomics.load(this.rx.h, W.producerState) === STATE_CLOSED || this.peerGone) {
      // Closed is set after the last record: look once more before ending.
      return !this.rx.readable();
    }
    return false;
  }

  /** The next whole message, if there is one, for an asynchronous receive (a producer's ring may wait for the turn's end). */
  take = (): Uint8Array | undefined => this.#take(true);

  /** {@link take} for the blocking receives: a producer asleep is rung at once. */
  takeSync = (): Uint8Array | undefined => this.#take(false);

  #take(defer: boolean): Uint8Array | undefined {
    const message = this.rx.read();
    if (message !== undefined) this.heard = true;
    if (message !== undefined || this.rx.midMessage) this.ends.wakeProducer(defer && (message === undefined || this.mayDeferRing(message.length, this.rx)));
    return message;
  }

  /**
   * Whether the doorbell ring that follows moving a message of `length`
   * bytes through `ring` (sent into tx, the default, or read from rx) may
   * wait for the turn's end (posix-doorbell.ts): only for a message that fits
   * one ring record. Batching saves a syscall per small message; a large one
   * costs tens of µs to copy, and the peer waiting for it (or for the room it
   * frees) would otherwise sleep until this thread's turn ended, which a
   * stream of large messages can keep going for hundreds of µs (issue 20 §2).
   */
  mayDeferRing(length: number, ring: RingReader | RingWriter = this.tx): boolean {
    return length <= ring.maxChunk;
  }

  readableNow = (): boolean =>
    this.closed || this.rx.readable() || this.failure !== undefined || this.peerGone !== undefined || Atomics.load(this.rx.h, W.producerState) === STATE_CLOSED;

  /** Why a receive cannot start now (one at a time, nothing held in place), or undefined. */
  receiveBusy(): IpcError | undefined {
    if (this.held !== undefined) return heldError();
    if (this.receiving) return new IpcError('EINVAL', 'another receive is pending on this channel (one consumer at a time)');
    return undefined;
  }

  /** Waits for a message with {@link #receiveSlow}, as the one receive pending. */
  waitForMessage<T>(wait: CheckedWait, take: () => T | undefined): Promise<T | undefined> {
    const pending = this.receiveSlow(wait, take).finally(() => {
      this.receiving = undefined;
    });
    this.receiving = pending;
    return pending;
  }

  /**
   * The channel cannot go on (a corrupt ring, a message over the maximum
   * from the peer): it fails with `error`, and our ends of both rings are
   * marked closed and the peer woken, so the peer hears it at once (its
   * receive ends, its sends get EPIPE) instead of waiting on a channel nobody
   * serves. The region stays mapped until close().
   */
  fail(error: unknown): IpcError {
    const e = errorFrom(error);
    if (this.failure === undefined && !this.closed) {
      this.failure = e;
      this.ends.endRings();
    }
    // Thrown now to the receive that met it; later receives just end (Rule 3).
    this.failureReported = true;
    return this.failure ?? e;
  }

  /**
   * Waits for the next message. Only this loop takes from the ring while it
   * runs, and it looks at `gaveUp` before every take: a receive that times
   * out or is aborted takes nothing (Rule 4).
   */
  async receiveSlow<T>(wait: CheckedWait, take: () => T | undefined): Promise<T | undefined> {
    let gaveUp: IpcError | undefined;
    const stop = watchWait(wait, 'the receive', (error) => {
      gaveUp = error;
      this.ends.interruptReceive();
    });
    try {
      for (;;) {
        if (gaveUp) throw gaveUp;
        try {
          if (this.receiveEnded()) return undefined;
          const message = take();
          if (message !== undefined) return message;
        } catch (error) {
          throw this.fail(error);
        }
        this.checkPeer();
        if (this.failure || this.closed || this.peerGone) continue;
        await this.ends.sleepForData(this.readableNow);
      }
    } finally {
      stop();
    }
  }

  reservedError(): IpcError | undefined {
    return this.reservation === undefined
      ? undefined
      : new IpcError('EINVAL', 'a message reserved in place is not committed yet: commit() or cancel() it first');
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
    if (this.closing) return this.closing;
    let timeoutMs: number;
    try {
      timeoutMs = closeTimeoutOption(options);
    } catch (error) {
      return Promise.reject(errorFrom(error));
    }
    this.closed = true;
    this.#firstMessageTimer?.clear();
    this.#firstMessageTimer = undefined;
    // Receiving ends now: the peer hears it (its sends get EPIPE), our pending receive ends.
    Atomics.store(this.rx.h, W.consumerState, STATE_CLOSED);
    this.ends.rxSpace.ring();
    this.ends.wakeProducer();
    this.ends.interruptReceive();
    this.closing = this.finishClose(timeoutMs);
    return this.closing;
  }

  async finishClose(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.deliveryError() === undefined) await this.queue.drained(timeoutMs);
    // ring-protocol §6: a consumer that has not reached its last pool records yet must still find the
    // pool. POSIX: its name is left for the consumer (below). Windows: the mapping ends with its last
    // handle, so this side waits for the consumer to read them, within the close's time.
    if (BACKEND === 'win32' && this.deliveryError() === undefined && this.txPool.outstanding) await this.#poolRead(deadline - Date.now());
    const poolUnread = this.deliveryError() === undefined && this.txPool.outstanding;
    const left = this.peerError() ?? new IpcError('ECLOSED', 'the channel was closed before the message was sent');
    this.released = true;
    clearInterval(this.watchdog);
    // A message cut short here is dropped whole by the peer, which sees our end closed.
    this.queue.rejectAll(left);
    this.ends.endRings();
    this.reservation = undefined;
    this.held = undefined;
    // Our own sleeps end: close() of a Waiter resolves its pending wait, and the doorbell's are interrupted.
    this.ends.closeWaits();
    const receiving = this.receiving;
    if (receiving) await receiving.catch(() => undefined);
    this.peer.close();
    this.ends.doorbell.release(this.peerPid);
    this.region.close();
    this.txPool.close(poolUnread);
    this.rx.pool?.close();
  }
}
