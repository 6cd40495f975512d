/**
 * A duplex message channel over two rings in one shared region: one ring
 * per direction. Sends write records straight into the peer's ring; receives
 * copy them out. Waiting spins only while spinning pays (spin.ts), then
 * sleeps: asynchronous waits on this process's doorbell (doorbell.ts: one
 * for every channel, watched by the event loop), blocking ones in the kernel
 * on the ring's bell word (futex / named event, @ipckit/native). An idle side
 * uses no CPU.
 */
import { IpcError, type Channel, type CloseOptions, type ReceiveOptions, type SendOptions } from '@ipckit/core';
import { checkWait, closeTimeoutOption, watchWait, type CheckedWait } from '@ipckit/core/kit';
import type { ProcessWatch } from './backend.js';
import { Bell } from './bell.js';
import type { Doorbell } from './doorbell.js';
import type { SharedRegion } from './region.js';
import { ringBellName } from './rendezvous.js';
import { AWAKE, ON_BELL, ON_DOORBELL, RINGS_DOORBELLS, RingReader, RingWriter, STATE_CLOSED, STATE_OPEN, ShortArrayError, W } from './ring.js';
import { SpinPolicy } from './spin.js';

/** How long a sleeping side waits before it re-checks its peer (and as a guard against a lost wake-up). */
export const WATCHDOG_MS = 250;

/** Tuning for a channel's waits. */
export interface WaitOptions {
  /**
   * The longest an async receive or send spins (polling the ring on the
   * event loop) before sleeping. Default 50 µs; 0 never spins. Within it the
   * channel spins only while that pays: about twice as long as the peer has
   * recently taken to answer, and while this thread has lately waited for a
   * CPU (Linux) at most 5 µs and only towards a peer that is awake (see spin.ts).
   */
  spinMicros?: number;
  /** The same ceiling for the synchronous methods (they block their thread anyway). Default 200 µs. */
  syncSpinMicros?: number;
}

const RESOLVED = Promise.resolve();
/**
 * Sends and receives that a channel settles at once (the ring had room, or
 * a message) within one turn of the event loop; past this many, the next
 * settles on the loop's check phase (setImmediate). A loop of awaited sends
 * or receives otherwise runs on microtasks alone and never lets timers or
 * I/O run (the Channel contract, Rule 2). One hop per 1,024 messages costs
 * about a microsecond.
 */
const SETTLED_PER_TURN = 1024;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Sends and receives of every channel of this thread settled at once since the event loop's last check phase. */
let settledThisTurn = 0;
const newTurn = (): void => {
  settledThisTurn = 0;
};

/** True while this turn of the event loop may settle one more send or receive at once (see SETTLED_PER_TURN). */
function settledAtOnce(): boolean {
  if (settledThisTurn++ === 0) setImmediate(newTurn);
  return settledThisTurn <= SETTLED_PER_TURN;
}

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

/** Polls `ready` for up to `ms` milliseconds (reading the clock only every 64 polls); true when it held. */
function spin(ready: () => boolean, ms: number): boolean {
  if (ms <= 0) return ready();
  const until = now() + ms;
  for (;;) {
    for (let i = 0; i < 64; i++) if (ready()) return true;
    if (now() >= until) return false;
  }
}

/**
 * Spins on `ready` within `policy`'s budget (and `limitMs`), and tells the
 * policy how it went. True when `ready` held.
 */
function spinFor(policy: SpinPolicy, ready: () => boolean, peerAwake: boolean, limitMs = Infinity): boolean {
  const started = now();
  const budget = Math.min(policy.budget(started, peerAwake), limitMs);
  if (budget <= 0) return ready();
  const caught = spin(ready, budget);
  policy.spun(caught, now() - started);
  return caught;
}

function noop(): void {
  // Nothing to stop.
}

/** The bookkeeping of a send made by a blocking method (or a reserve): nobody waits on its promise. */
function blockingOp(message: Uint8Array): PendingSend {
  return { message, offset: 0, resolve: noop, reject: noop, stop: noop, settled: false };
}

/** Errors from ring reads are IpcErrors; anything else (a bug) is reported as EIO. */
function errorFrom(error: unknown): IpcError {
  return error instanceof IpcError ? error : new IpcError('EIO', String(error), { cause: error });
}

function heldError(): IpcError {
  return new IpcError('EINVAL', 'a message read in place is not released yet: release() it before the next receive');
}

function badTimeout(value: unknown): IpcError {
  return new IpcError('EINVAL', `timeoutMs must be a number >= 0 or Infinity, got ${typeof value === 'number' ? value : typeof value}`);
}

/** Checks a `timeoutMs` (a number >= 0 or Infinity); EINVAL otherwise. */
function checkTimeout(value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0)) throw badTimeout(value);
  return value;
}

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

/** How a channel is wired into its region. */
export interface ChannelInit {
  region: SharedRegion;
  /** Byte offset of the ring this side reads. */
  rxOffset: number;
  /** Byte offset of the ring this side writes. */
  txOffset: number;
  /** The pair region's name: the ring bells' event names derive from it (ringBellName). */
  waitName: string;
  /** Which ring index is rx (for wait names that both sides derive alike). */
  rxIndex: 0 | 1;
  maxMessageBytes: number;
  /** The peer's process id, and a watch on it. */
  peerPid: number;
  peer: ProcessWatch;
  wait?: WaitOptions;
  /** This process's doorbell (started): the asynchronous waits sleep on it when the peer rings doorbells. */
  doorbell: Doorbell;
}

interface PendingSend {
  message: Uint8Array;
  /** Bytes of the message already in the ring: above 0, the send has begun and can no longer be withdrawn (Rule 4). */
  offset: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Stops the watch of the send's timeout and signal. */
  stop: () => void;
  settled: boolean;
}

/** A checked wait with neither a timeout nor a signal. */
const NO_WAIT: CheckedWait = checkWait(undefined);
const DONE: IteratorResult<Uint8Array> = { value: undefined, done: true };

/**
 * One end of a shared-memory channel. Implements the common {@link Channel}
 * and adds {@link sendSync} / {@link receiveSync} for worker threads.
 */
export class ShmChannel implements Channel {
  readonly maxMessageBytes: number;
  readonly #region: SharedRegion;
  readonly #rx: RingReader;
  readonly #tx: RingWriter;
  /** We sleep here for data; the peer rings it. */
  readonly #rxData: Bell;
  /** We ring here after consuming; the peer sleeps on it for space. */
  readonly #rxSpace: Bell;
  /** We sleep here for space. */
  readonly #txSpace: Bell;
  /** We ring here after producing. */
  readonly #txData: Bell;
  readonly #peer: ProcessWatch;
  readonly #peerPid: number;
  readonly #doorbell: Doorbell;
  /** Our doorbell tokens: sleeping for data on rx, for room on tx. */
  readonly #rxToken: number;
  readonly #txToken: number;
  /** How long to spin, learned per direction and per kind of wait. */
  readonly #rxSpin: SpinPolicy;
  readonly #txSpin: SpinPolicy;
  readonly #rxSpinSync: SpinPolicy;
  readonly #txSpinSync: SpinPolicy;
  /** Whether the peer was awake (reading, not asleep) when we last wrote to it: a quick answer is likely. */
  #peerAwake = true;
  readonly #queue: PendingSend[] = [];
  readonly #watchdog: NodeJS.Timeout;
  #pumping = false;
  /** A send reserved in place and not yet committed or cancelled. */
  #reservation: ShmReservation | undefined;
  /** A message read in place and not yet released. */
  #held: ShmMessage | undefined;
  /** close() was called: new sends get ECLOSED, receiving has ended; queued sends may still go until {@link #released}. */
  #closed = false;
  /** What close() returned, for every later call. */
  #closing: Promise<void> | undefined;
  /** close() gave up on what was queued: the rings are marked closed and the region is about to be unmapped. */
  #released = false;
  /** Resolves close()'s wait for the queue of sends to empty. */
  #onQueueEmpty: (() => void) | undefined;
  /** The peer went away (died without closing): sends get EPIPE, receiving ends after what is in the ring (Rule 1). */
  #peerGone: IpcError | undefined;
  /** The peer broke the ring protocol: the next receive throws it, later ones end (Rule 3). */
  #failure: IpcError | undefined;
  #failureReported = false;
  #iterating = false;
  /** The receive (or receiveInPlace) that waits, if one does: one at a time. */
  #receiving: Promise<unknown> | undefined;
  #lastPeerCheck = 0;

  /** @internal built by connect() and the listener. */
  constructor(init: ChannelInit) {
    this.#region = init.region;
    this.maxMessageBytes = init.maxMessageBytes;
    const bytes = init.region.bytes;
    const buffer = bytes.buffer as ArrayBuffer;
    const base = bytes.byteOffset;
    this.#rx = new RingReader(buffer, base + init.rxOffset, init.maxMessageBytes);
    this.#tx = new RingWriter(buffer, base + init.txOffset);
    const txIndex = init.rxIndex === 0 ? 1 : 0;
    const name = (ring: 0 | 1, bell: 'data' | 'space'): string => ringBellName(init.waitName, ring, bell);
    this.#rxData = new Bell(this.#rx.h, W.dataBell, W.consumerSleeping, buffer, this.#rx.wordOffset(W.dataBell), name(init.rxIndex, 'data'));
    this.#rxSpace = new Bell(this.#rx.h, W.spaceBell, W.producerSleeping, buffer, this.#rx.wordOffset(W.spaceBell), name(init.rxIndex, 'space'));
    this.#txSpace = new Bell(this.#tx.h, W.spaceBell, W.producerSleeping, buffer, this.#tx.wordOffset(W.spaceBell), name(txIndex, 'space'));
    this.#txData = new Bell(this.#tx.h, W.dataBell, W.consumerSleeping, buffer, this.#tx.wordOffset(W.dataBell), name(txIndex, 'data'));
    this.#peer = init.peer;
    this.#peerPid = init.peerPid;
    init.doorbell.retain(init.peerPid);
    this.#doorbell = init.doorbell;
    this.#rxToken = init.doorbell.token();
    this.#txToken = init.doorbell.token();
    const spinMs = (init.wait?.spinMicros ?? 50) / 1000;
    const syncSpinMs = (init.wait?.syncSpinMicros ?? 200) / 1000;
    this.#rxSpin = new SpinPolicy(spinMs);
    this.#txSpin = new SpinPolicy(spinMs);
    this.#rxSpinSync = new SpinPolicy(syncSpinMs);
    this.#txSpinSync = new SpinPolicy(syncSpinMs);
    // The OS tells of the peer's exit at once where it can; the watchdog covers the rest.
    init.peer.onExit(() => this.#peerExited());
    this.#watchdog = setInterval(() => this.#checkPeer(true), WATCHDOG_MS);
    this.#watchdog.unref();
  }

  /** True once close() was called, the peer went away (closed or died), or the channel failed. */
  get closed(): boolean {
    return this.#closed || this.#failure !== undefined || this.#peerGone !== undefined || this.#peerClosedBoth();
  }

  #peerClosedBoth(): boolean {
    return Atomics.load(this.#rx.h, W.producerState) === STATE_CLOSED && Atomics.load(this.#tx.h, W.consumerState) === STATE_CLOSED;
  }

  /** Notices a dead peer; with `force`, checks now, else at most every WATCHDOG_MS. */
  #checkPeer(force = false): void {
    if (this.#released || this.#failure || this.#peerGone) return;
    const t = now();
    if (!force && t - this.#lastPeerCheck < WATCHDOG_MS) return;
    this.#lastPeerCheck = t;
    // Rule 1: a peer that dies is a peer that went away, as a closed one is.
    if (!this.#peer.alive()) this.#peerExited();
  }

  /** The OS says the peer's process exited. */
  #peerExited(): void {
    if (this.#released || this.#failure || this.#peerGone || this.#peerClosedBoth()) return;
    this.#peerGone = new IpcError('EPIPE', 'the peer process died');
    this.#interruptOwnSleeps();
  }

  /** Ends our own pending sleeps, whichever way we sleep. */
  #interruptOwnSleeps(): void {
    this.#interruptReceive();
    this.#interruptSend();
  }

  /** Ends our own pending sleep for data, so the receive looks again (a timeout, an abort, close). */
  #interruptReceive(): void {
    this.#rxData.interrupt();
    this.#doorbell.interrupt(this.#rxToken);
  }

  /** Ends our own pending sleep for room, so the queue of sends is looked at again. */
  #interruptSend(): void {
    this.#txSpace.interrupt();
    this.#doorbell.interrupt(this.#txToken);
  }

  /**
   * After publishing into tx (or closing it): wakes the consumer if it
   * sleeps, on its ring's bell (futex / named event) or on its process's
   * doorbell. The doorbell mark is taken back with a compare-exchange, so
   * one sleep gets one ring however many messages come.
   */
  #wakeConsumer(): void {
    const h = this.#tx.h;
    const sleeping = Atomics.load(h, W.consumerSleeping);
    this.#peerAwake = sleeping === AWAKE;
    if (sleeping === ON_BELL) this.#txData.ring();
    else if (sleeping === ON_DOORBELL && Atomics.compareExchange(h, W.consumerSleeping, ON_DOORBELL, AWAKE) === ON_DOORBELL) {
      this.#doorbell.ring(Atomics.load(h, W.consumerPid), Atomics.load(h, W.consumerBell), Atomics.load(h, W.consumerToken));
    }
  }

  /** After consuming from rx: a producer asleep for room gets `tail` stored, then is woken the way it sleeps. */
  #wakeProducer(): void {
    const h = this.#rx.h;
    const sleeping = Atomics.load(h, W.producerSleeping);
    if (sleeping === AWAKE) return;
    this.#rx.publish();
    if (sleeping === ON_BELL) this.#rxSpace.ring();
    else if (sleeping === ON_DOORBELL && Atomics.compareExchange(h, W.producerSleeping, ON_DOORBELL, AWAKE) === ON_DOORBELL) {
      this.#doorbell.ring(Atomics.load(h, W.producerPid), Atomics.load(h, W.producerBell), Atomics.load(h, W.producerToken));
    }
  }

  /**
   * Sleeps until the ring word `sleepingWord` of `h` is likely worth a look
   * (rung, or the doorbell's sweep), asynchronously. On this thread's
   * doorbell when the peer rings doorbells (`peerFlags` of `h`), else on the
   * ring's bell. The mark is set, then `ready()` checked once more, so a peer that
   * published meanwhile is never missed (docs/ring-protocol.md §3).
   */
  async #sleep(
    h: Int32Array,
    sleepingWord: number,
    tokenWord: number,
    bellWord: number,
    peerFlagsWord: number,
    token: number,
    bell: Bell,
    ready: () => boolean,
  ): Promise<void> {
    if (!this.#doorbell.usable || (Atomics.load(h, peerFlagsWord) & RINGS_DOORBELLS) === 0) {
      await bell.sleep(ready, WATCHDOG_MS);
      return;
    }
    Atomics.store(h, tokenWord, token);
    Atomics.store(h, bellWord, this.#doorbell.thread);
    Atomics.store(h, sleepingWord, ON_DOORBELL);
    if (!ready()) await this.#doorbell.wait(token);
    // The region is unmapped once close() has run: then there is no mark to take back.
    if (!this.#region.closed) Atomics.compareExchange(h, sleepingWord, ON_DOORBELL, AWAKE);
  }

  /** Why a new send cannot go ahead, or undefined. */
  #sendError(): IpcError | undefined {
    if (this.#closed) return new IpcError('ECLOSED', 'the channel is closed');
    return this.#deliveryError();
  }

  /** Why what is queued can no longer go into the ring (Rules 1 and 2), or undefined. */
  #deliveryError(): IpcError | undefined {
    const gone = this.#peerError();
    if (gone) return gone;
    if (this.#released) return new IpcError('ECLOSED', 'the channel was closed before the message was sent');
    return undefined;
  }

  /** EPIPE once the peer is gone (closed its end, died) or the channel failed; undefined otherwise. */
  #peerError(): IpcError | undefined {
    if (this.#failure) return new IpcError('EPIPE', 'the channel failed; the message was not sent', { cause: this.#failure });
    if (this.#peerGone) return new IpcError('EPIPE', 'the peer is gone; the message was not sent', { cause: this.#peerGone });
    if (Atomics.load(this.#tx.h, W.consumerState) === STATE_CLOSED) return new IpcError('EPIPE', 'the peer closed the channel');
    return undefined;
  }

  #checkMessage(message: Uint8Array): IpcError | undefined {
    if (!(message instanceof Uint8Array)) return new IpcError('EINVAL', 'a message must be a Uint8Array');
    if (message.length > this.maxMessageBytes)
      return new IpcError('EMSGSIZE', `a ${message.length}-byte message is over this channel's maximum of ${this.maxMessageBytes}`);
    return undefined;
  }

  /**
   * Sends a message: resolves once all of it is in the ring (awaiting is the
   * backpressure). With `options`, a send still waiting for room when its
   * timeout passes or its signal aborts is withdrawn (nothing of it sent); one
   * whose first fragments are already in the ring closes the channel (Rule 4).
   */
  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    const bad = this.#sendError() ?? this.#checkMessage(message) ?? this.#reservedError();
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
    if (this.#queue.length === 0) {
      offset = this.#tx.write(message, 0);
      this.#wakeConsumer();
      if (offset >= message.length && (offset > 0 || message.length > 0)) return settledAtOnce() ? RESOLVED : nextTurn();
    }
    return new Promise((resolve, reject) => {
      const op: PendingSend = { message, offset, resolve, reject, stop: noop, settled: false };
      this.#queue.push(op);
      op.stop = watchWait(wait, 'the send', (error) => this.#expire(op, error));
      void this.#pump();
    });
  }

  #done(op: PendingSend): boolean {
    return op.offset >= op.message.length && (op.offset > 0 || op.message.length > 0);
  }

  #settle(op: PendingSend, error?: IpcError): void {
    if (op.settled) return;
    op.settled = true;
    op.stop();
    if (error) op.reject(error);
    else op.resolve();
  }

  /** Settles every queued send with `error`. */
  #rejectQueued(error: IpcError): void {
    for (const op of this.#queue.splice(0)) this.#settle(op, error);
    this.#queueEmptied();
  }

  #queueEmptied(): void {
    const onEmpty = this.#onQueueEmpty;
    this.#onQueueEmpty = undefined;
    onEmpty?.();
  }

  /** A queued send's timeout passed or its signal aborted (Rule 4). */
  #expire(op: PendingSend, error: IpcError): void {
    if (op.settled) return;
    const at = this.#queue.indexOf(op);
    if (at < 0) return;
    if (op.offset === 0) {
      // Nothing of it is in the ring: withdrawn whole, the channel stays usable.
      this.#queue.splice(at, 1);
      this.#settle(op, error);
      if (this.#queue.length === 0) this.#queueEmptied();
      // The pump may be asleep waiting for room for it: let it look at the next one.
      if (at === 0) this.#interruptSend();
      return;
    }
    // Its first fragments are in the ring: taking it back would tear the message. The
    // channel closes; the peer drops the part it got and sees the channel end.
    this.#queue.splice(at, 1);
    this.#settle(op, error);
    void this.close({ timeoutMs: 0 });
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const op = this.#queue[0]!;
        const bad = this.#deliveryError();
        if (bad) {
          this.#rejectQueued(bad);
          return;
        }
        op.offset = this.#tx.write(op.message, op.offset);
        this.#wakeConsumer();
        if (this.#done(op)) {
          this.#queue.shift();
          this.#settle(op);
          if (this.#queue.length === 0) this.#queueEmptied();
          continue;
        }
        await this.#waitWritable(() => this.#writableNow(op));
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Room in tx for the next `bytes` (a piece of at most maxChunk), or nothing more to wait for: the delivery failed. */
  #roomFor(bytes: number): boolean {
    return this.#tx.fits(Math.min(Math.max(bytes, 0), this.#tx.maxChunk)) || this.#deliveryError() !== undefined;
  }

  #writableNow(op: PendingSend): boolean {
    return this.#roomFor(op.message.length - op.offset) || op.settled;
  }

  /** Spins, then sleeps, until `ready` (room in tx, a failed delivery, or the caller's own reason to stop). */
  async #waitWritable(ready: () => boolean): Promise<void> {
    if (spinFor(this.#txSpin, ready, this.#peerAwake)) return;
    this.#checkPeer();
    if (ready()) return;
    await this.#sleep(this.#tx.h, W.producerSleeping, W.producerToken, W.producerBell, W.consumerFlags, this.#txToken, this.#txSpace, ready);
  }

  /**
   * True once receiving has ended: this side closed, or the peer went away
   * (closed or died) and every whole message it sent has been read (one it
   * was in the middle of is dropped whole, Rule 1). A failure is thrown to
   * the first receive after it, and ends receiving for the later ones.
   */
  #receiveEnded(): boolean {
    if (this.#closed) return true;
    if (this.#failure) {
      if (this.#failureReported) return true;
      this.#failureReported = true;
      throw this.#failure;
    }
    if (Atomics.load(this.#rx.h, W.producerState) === STATE_CLOSED || this.#peerGone) {
      // Closed is set after the last record: look once more before ending.
      return !this.#rx.readable();
    }
    return false;
  }

  #take = (): Uint8Array | undefined => {
    const message = this.#rx.read();
    if (message !== undefined || this.#rx.midMessage) this.#wakeProducer();
    return message;
  };

  #readableNow = (): boolean =>
    this.#closed ||
    this.#rx.readable() ||
    this.#failure !== undefined ||
    this.#peerGone !== undefined ||
    Atomics.load(this.#rx.h, W.producerState) === STATE_CLOSED;

  /** Why a receive cannot start now (one at a time, nothing held in place), or undefined. */
  #receiveBusy(): IpcError | undefined {
    if (this.#held !== undefined) return heldError();
    if (this.#receiving) return new IpcError('EINVAL', 'another receive is pending on this channel (one consumer at a time)');
    return undefined;
  }

  /** A message that is there now (after a short spin, when spinning pays), or undefined. */
  #takeSoon(): Uint8Array | undefined {
    if (this.#closed || this.#failure !== undefined) return undefined;
    try {
      const message = this.#take();
      if (message !== undefined) return message;
      // Spin here, synchronously, before paying for an async wait, when a quick peer answers within it.
      return spinFor(this.#rxSpin, this.#readableNow, this.#peerAwake) ? this.#take() : undefined;
    } catch (error) {
      throw this.#fail(error);
    }
  }

  /** The next message, or done. One consumer at a time (EINVAL while another receive is pending). */
  next(): Promise<IteratorResult<Uint8Array>> {
    const busy = this.#receiveBusy();
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
    return this.#waitForMessage(NO_WAIT, this.#take).then((message) => (message === undefined ? DONE : { value: message, done: false }));
  }

  /**
   * The next message, or undefined once the channel has ended (closed here,
   * or the peer gone: Rule 1). ETIMEDOUT or ECANCELED per `options`, taking
   * nothing (Rule 4); EINVAL while another receive is pending.
   */
  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined> {
    const busy = this.#receiveBusy();
    if (busy) return Promise.reject(busy);
    let wait = NO_WAIT;
    try {
      if (options !== undefined) wait = checkWait(options);
      const message = this.#takeSoon();
      if (message !== undefined) return settledAtOnce() ? Promise.resolve(message) : nextTurn().then(() => message);
    } catch (error) {
      return Promise.reject(errorFrom(error));
    }
    return this.#waitForMessage(wait, this.#take);
  }

  /** Waits for a message with {@link #receiveSlow}, as the one receive pending. */
  #waitForMessage<T>(wait: CheckedWait, take: () => T | undefined): Promise<T | undefined> {
    const pending = this.#receiveSlow(wait, take).finally(() => {
      this.#receiving = undefined;
    });
    this.#receiving = pending;
    return pending;
  }

  /**
   * The channel cannot go on (a corrupt ring, a message over the maximum
   * from the peer): it fails with `error`, and our ends of both rings are
   * marked closed and the peer woken, so the peer hears it at once (its
   * receive ends, its sends get EPIPE) instead of waiting on a channel nobody
   * serves. The region stays mapped until close().
   */
  #fail(error: unknown): IpcError {
    const e = errorFrom(error);
    if (this.#failure === undefined && !this.#closed) {
      this.#failure = e;
      this.#endRings();
    }
    // Thrown now to the receive that met it; later receives just end (Rule 3).
    this.#failureReported = true;
    return this.#failure ?? e;
  }

  /**
   * Marks this side closed in both rings and wakes the peer however it
   * sleeps: the bells are rung whatever the marks say (a sleeper on a bell
   * word may be between reading it and sleeping), then the doorbell marks.
   */
  #endRings(): void {
    Atomics.store(this.#tx.h, W.producerState, STATE_CLOSED);
    Atomics.store(this.#rx.h, W.consumerState, STATE_CLOSED);
    this.#txData.ring();
    this.#rxSpace.ring();
    this.#wakeConsumer();
    this.#wakeProducer();
  }

  /** Sleeps until data may have come (asynchronously): see {@link #sleep}. */
  #sleepForData(): Promise<void> {
    return this.#sleep(this.#rx.h, W.consumerSleeping, W.consumerToken, W.consumerBell, W.producerFlags, this.#rxToken, this.#rxData, this.#readableNow);
  }

  /**
   * Waits for the next message. Only this loop takes from the ring while it
   * runs, and it looks at `gaveUp` before every take: a receive that times
   * out or is aborted takes nothing (Rule 4).
   */
  async #receiveSlow<T>(wait: CheckedWait, take: () => T | undefined): Promise<T | undefined> {
    let gaveUp: IpcError | undefined;
    const stop = watchWait(wait, 'the receive', (error) => {
      gaveUp = error;
      this.#interruptReceive();
    });
    try {
      for (;;) {
        if (gaveUp) throw gaveUp;
        try {
          if (this.#receiveEnded()) return undefined;
          const message = take();
          if (message !== undefined) return message;
        } catch (error) {
          throw this.#fail(error);
        }
        this.#checkPeer();
        if (this.#failure || this.#closed || this.#peerGone) continue;
        await this.#sleepForData();
      }
    } finally {
      stop();
    }
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
    const tx = this.#tx;
    if (
      !this.#closed &&
      this.#failure === undefined &&
      this.#queue.length === 0 &&
      this.#reservation === undefined &&
      message instanceof Uint8Array &&
      message.length <= tx.maxChunk &&
      message.length <= this.maxMessageBytes &&
      Atomics.load(tx.h, W.consumerState) !== STATE_CLOSED &&
      tx.tryWriteWhole(message)
    ) {
      if (Atomics.load(tx.h, W.consumerSleeping) !== AWAKE) this.#wakeConsumer();
      else this.#peerAwake = true;
      return;
    }
    this.#sendSyncSlow(message, timeoutMs);
  }

  #sendSyncSlow(message: Uint8Array, timeoutMs: number): void {
    const bad = this.#sendError() ?? this.#checkMessage(message) ?? this.#reservedError();
    if (bad) throw bad;
    if (this.#queue.length > 0) throw new IpcError('EINVAL', 'asynchronous sends are still pending on this channel');
    const op: PendingSend = blockingOp(message);
    let deadline = Infinity;
    for (;;) {
      op.offset = this.#tx.write(message, op.offset);
      this.#wakeConsumer();
      if (this.#done(op)) return;
      if (deadline === Infinity && timeoutMs !== Infinity) deadline = now() + timeoutMs;
      if (!spinFor(this.#txSpinSync, () => this.#writableNow(op), this.#peerAwake, deadline - now())) {
        if (now() >= deadline) throw new IpcError('ETIMEDOUT', `the peer did not make room within ${timeoutMs} ms`);
        this.#checkPeer();
        this.#txSpace.sleepSync(() => this.#writableNow(op), Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
      }
      const error = this.#sendError();
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
    const busy = this.#receiveBusy();
    if (busy) throw busy;
    if (!this.#closed && this.#failure === undefined) {
      // The hot path: poll the ring without reading the clock; a quick peer answers within it.
      const rx = this.#rx;
      try {
        for (let i = 0; i < FAST_POLLS; i++) {
          if (!rx.readable()) continue;
          if (into !== undefined) {
            const length = rx.readInto(into);
            this.#wakeProducer();
            if (length >= 0) return length;
          } else {
            const message = rx.read();
            this.#wakeProducer();
            if (message !== undefined) return message;
          }
          break; // part of a fragmented message: the patient path below
        }
      } catch (error) {
        if (error instanceof ShortArrayError) throw error;
        throw this.#fail(error);
      }
    }
    return this.#receiveSyncSlow(into, timeoutMs);
  }

  #takeInto(into: Uint8Array): number | undefined {
    const length = this.#rx.readInto(into);
    if (length >= 0 || this.#rx.midMessage) this.#wakeProducer();
    return length >= 0 ? length : undefined;
  }

  #receiveSyncSlow(into: Uint8Array | undefined, timeoutMs: number): Uint8Array | number | undefined {
    let deadline = Infinity;
    for (;;) {
      try {
        const message = this.#closed || this.#failure ? undefined : into === undefined ? this.#take() : this.#takeInto(into);
        if (message !== undefined) return message;
        if (this.#receiveEnded()) return undefined;
      } catch (error) {
        if (error instanceof ShortArrayError) throw error;
        throw this.#fail(error);
      }
      if (deadline === Infinity && timeoutMs !== Infinity) deadline = now() + timeoutMs;
      if (spinFor(this.#rxSpinSync, this.#readableNow, this.#peerAwake, deadline - now())) continue;
      if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no message within ${timeoutMs} ms`);
      this.#checkPeer();
      this.#rxData.sleepSync(this.#readableNow, Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
    }
  }

  // ---- Zero-copy: writing and reading in place ----------------------------

  /**
   * The largest message that can be written or read in place: one record of
   * the ring, a quarter of its data bytes less 8 (connect with a larger
   * `ringBytes` for larger ones); never more than `maxMessageBytes`.
   */
  get maxInPlaceBytes(): number {
    return Math.min(this.#tx.maxChunk, this.maxMessageBytes);
  }

  #reservedError(): IpcError | undefined {
    return this.#reservation === undefined
      ? undefined
      : new IpcError('EINVAL', 'a message reserved in place is not committed yet: commit() or cancel() it first');
  }

  #checkReserve(size: unknown): IpcError | undefined {
    const bad = this.#sendError() ?? this.#reservedError();
    if (bad) return bad;
    if (this.#queue.length > 0) return new IpcError('EINVAL', 'asynchronous sends are still pending on this channel: await them before writing in place');
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
    const offset = this.#tx.reserve(size);
    if (offset < 0) return undefined;
    const reservation = new ShmReservation(this.#tx.data.subarray(offset, offset + size), (length) => {
      this.#reservation = undefined;
      if (length === undefined) {
        this.#tx.cancel();
        return;
      }
      if (this.#sendError() === undefined) {
        this.#tx.commit(length);
        this.#wakeConsumer();
      }
    });
    this.#reservation = reservation;
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
    const room = (): boolean => this.#roomFor(size);
    for (;;) {
      const bad = this.#checkReserve(size);
      if (bad) throw bad;
      const reservation = this.#reserveNow(size);
      if (reservation) return reservation;
      if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no room for ${size} bytes within ${options.timeoutMs} ms`);
      if (signal?.aborted) throw new IpcError('ECANCELED', 'the reserve was aborted', { cause: signal.reason });
      await this.#waitWritable(room);
    }
  }

  /** The blocking form of {@link reserve}, for worker threads; ETIMEDOUT after `timeoutMs`. */
  reserveSync(size: number, timeoutMs = Infinity): ShmReservation {
    const bad = this.#checkReserve(size);
    if (bad) throw bad;
    checkTimeout(timeoutMs);
    const fast = this.#reserveNow(size);
    if (fast) return fast;
    const room = (): boolean => this.#roomFor(size);
    const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
    for (;;) {
      if (!spinFor(this.#txSpinSync, room, this.#peerAwake, deadline - now())) {
        if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no room for ${size} bytes within ${timeoutMs} ms`);
        this.#checkPeer();
        this.#txSpace.sleepSync(room, Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
      }
      const again = this.#checkReserve(size);
      if (again) throw again;
      const reservation = this.#reserveNow(size);
      if (reservation) return reservation;
    }
  }

  /** The next message in place, when one is there now: a view of the ring (or, for one that came in pieces, a copy). */
  #takeInPlace = (): ShmMessage | undefined => {
    const next = this.#rx.peek();
    if (next === undefined) return undefined;
    if (next === 'fragmented') {
      const copy = this.#take();
      return copy === undefined ? undefined : new ShmMessage(copy, () => undefined);
    }
    const { offset, length } = next;
    const message = new ShmMessage(this.#rx.data.subarray(offset, offset + length), () => {
      this.#held = undefined;
      if (this.#region.closed) return;
      this.#rx.release(length);
      this.#wakeProducer();
    });
    this.#held = message;
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
    const busy = this.#receiveBusy();
    if (busy) throw busy;
    const wait = checkWait(options);
    try {
      if (!this.#closed && this.#failure === undefined) {
        const message = this.#takeInPlace() ?? (spinFor(this.#rxSpin, this.#readableNow, this.#peerAwake) ? this.#takeInPlace() : undefined);
        if (message !== undefined) return message;
      }
    } catch (error) {
      throw this.#fail(error);
    }
    return this.#waitForMessage(wait, this.#takeInPlace);
  }

  /** The blocking form of {@link receiveInPlace}, for worker threads: undefined once the channel has ended. */
  receiveInPlaceSync(timeoutMs = Infinity): ShmMessage | undefined {
    const busy = this.#receiveBusy();
    if (busy) throw busy;
    checkTimeout(timeoutMs);
    const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
    for (;;) {
      try {
        if (!this.#closed && this.#failure === undefined) {
          const message = this.#takeInPlace();
          if (message !== undefined) return message;
        }
        if (this.#receiveEnded()) return undefined;
      } catch (error) {
        throw this.#fail(error);
      }
      if (spinFor(this.#rxSpinSync, this.#readableNow, this.#peerAwake, deadline - now())) continue;
      if (now() >= deadline) throw new IpcError('ETIMEDOUT', `no message within ${timeoutMs} ms`);
      this.#checkPeer();
      this.#rxData.sleepSync(this.#readableNow, Math.min(WATCHDOG_MS, Math.max(0, deadline - now())));
    }
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
    if (this.#closing) return this.#closing;
    let timeoutMs: number;
    try {
      timeoutMs = closeTimeoutOption(options);
    } catch (error) {
      return Promise.reject(errorFrom(error));
    }
    this.#closed = true;
    // Receiving ends now: the peer hears it (its sends get EPIPE), our pending receive ends.
    Atomics.store(this.#rx.h, W.consumerState, STATE_CLOSED);
    this.#rxSpace.ring();
    this.#wakeProducer();
    this.#interruptReceive();
    this.#closing = this.#finishClose(timeoutMs);
    return this.#closing;
  }

  async #finishClose(timeoutMs: number): Promise<void> {
    if (this.#queue.length > 0 && this.#deliveryError() === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#onQueueEmpty = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#onQueueEmpty = undefined;
    }
    const left = this.#peerError() ?? new IpcError('ECLOSED', 'the channel was closed before the message was sent');
    this.#released = true;
    clearInterval(this.#watchdog);
    // A message cut short here is dropped whole by the peer, which sees our end closed.
    this.#rejectQueued(left);
    this.#endRings();
    this.#reservation = undefined;
    this.#held = undefined;
    // Our own sleeps end: close() of a Waiter resolves its pending wait, and the doorbell's are interrupted.
    this.#doorbell.interrupt(this.#rxToken);
    this.#doorbell.interrupt(this.#txToken);
    this.#rxData.close();
    this.#txSpace.close();
    this.#rxSpace.close();
    this.#txData.close();
    const receiving = this.#receiving;
    if (receiving) await receiving.catch(() => undefined);
    this.#peer.close();
    this.#doorbell.release(this.#peerPid);
    this.#region.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal see {@link RING_HEADERS}: the header words of the ring this side reads and of the one it writes. */
  [RING_HEADERS](): { rx: Int32Array; tx: Int32Array } {
    return { rx: this.#rx.h, tx: this.#tx.h };
  }

  /**
   * @internal marks this side attached to both rings, and says that it
   * rings process doorbells (so the peer may sleep on its own).
   */
  static attach(rx: Int32Array, tx: Int32Array, pid: number): void {
    Atomics.store(rx, W.consumerPid, pid);
    Atomics.or(rx, W.consumerFlags, RINGS_DOORBELLS);
    Atomics.store(rx, W.consumerState, STATE_OPEN);
    Atomics.store(tx, W.producerPid, pid);
    Atomics.or(tx, W.producerFlags, RINGS_DOORBELLS);
    Atomics.store(tx, W.producerState, STATE_OPEN);
  }
}
