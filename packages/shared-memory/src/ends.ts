/**
 * One side's two ring ends in a channel's pair region, and how that side
 * wakes its peer and sleeps: the ring it reads (rx) and the one it writes
 * (tx), the four bells of their headers, and this thread's doorbell.
 * docs/ring-protocol.md §3 ("Producing", "Consuming", "Sleeping without
 * losing a wake-up", "Doorbells") is the rule these methods follow.
 */
import { Bell } from './bell.js';
import type { Doorbell } from './doorbell.js';
import type { SharedRegion } from './region.js';
import { ringBellName } from './rendezvous.js';
import { AWAKE, ON_BELL, ON_DOORBELL, RINGS_DOORBELLS, RingReader, RingWriter, STATE_CLOSED, W } from './ring.js';

/** How long a sleeping side waits before it re-checks its peer (and as a guard against a lost wake-up). */
export const WATCHDOG_MS = 250;

/** Where a side's rings are in its region. */
export interface EndsInit {
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
  /** This process's doorbell (started): the asynchronous waits sleep on it when the peer rings doorbells. */
  doorbell: Doorbell;
}

/** A side's rings, bells and doorbell tokens, with the wake-ups and sleeps of the protocol. */
export class RingEnds {
  readonly rx: RingReader;
  readonly tx: RingWriter;
  /** We sleep here for data; the peer rings it. */
  readonly rxData: Bell;
  /** We ring here after consuming; the peer sleeps on it for space. */
  readonly rxSpace: Bell;
  /** We sleep here for space. */
  readonly txSpace: Bell;
  /** We ring here after producing. */
  readonly txData: Bell;
  readonly doorbell: Doorbell;
  /** Our doorbell tokens: sleeping for data on rx, for room on tx. */
  readonly rxToken: number;
  readonly txToken: number;
  /** Whether the peer was awake (reading, not asleep) when we last wrote to it: a quick answer is likely. */
  peerAwake = true;
  readonly #region: SharedRegion;

  constructor(init: EndsInit) {
    this.#region = init.region;
    const bytes = init.region.bytes;
    const buffer = bytes.buffer as ArrayBuffer;
    const base = bytes.byteOffset;
    this.rx = new RingReader(buffer, base + init.rxOffset, init.maxMessageBytes);
    this.tx = new RingWriter(buffer, base + init.txOffset);
    const txIndex = init.rxIndex === 0 ? 1 : 0;
    const name = (ring: 0 | 1, bell: 'data' | 'space'): string => ringBellName(init.waitName, ring, bell);
    this.rxData = new Bell(this.rx.h, W.dataBell, W.consumerSleeping, buffer, this.rx.wordOffset(W.dataBell), name(init.rxIndex, 'data'));
    this.rxSpace = new Bell(this.rx.h, W.spaceBell, W.producerSleeping, buffer, this.rx.wordOffset(W.spaceBell), name(init.rxIndex, 'space'));
    this.txSpace = new Bell(this.tx.h, W.spaceBell, W.producerSleeping, buffer, this.tx.wordOffset(W.spaceBell), name(txIndex, 'space'));
    this.txData = new Bell(this.tx.h, W.dataBell, W.consumerSleeping, buffer, this.tx.wordOffset(W.dataBell), name(txIndex, 'data'));
    this.doorbell = init.doorbell;
    this.rxToken = init.doorbell.token();
    this.txToken = init.doorbell.token();
  }

  /** True once the peer has marked both its ends closed. */
  peerClosedBoth(): boolean {
    return Atomics.load(this.rx.h, W.producerState) === STATE_CLOSED && Atomics.load(this.tx.h, W.consumerState) === STATE_CLOSED;
  }

  /** Ends our own pending sleep for data, so the receive looks again (a timeout, an abort, close). */
  interruptReceive(): void {
    this.rxData.interrupt();
    this.doorbell.interrupt(this.rxToken);
  }

  /** Ends our own pending sleep for room, so the queue of sends is looked at again. */
  interruptSend(): void {
    this.txSpace.interrupt();
    this.doorbell.interrupt(this.txToken);
  }

  /**
   * After publishing into tx (or closing it): wakes the consumer if it
   * sleeps, on its ring's bell (futex / named event) or on its process's
   * doorbell. The doorbell mark is taken back with a compare-exchange, so
   * one sleep gets one ring however many messages come. `defer`: from an
   * asynchronous send, whose doorbell ring may wait for the turn's end
   * (doorbell.ts).
   */
  wakeConsumer(defer = false): void {
    const h = this.tx.h;
    const sleeping = Atomics.load(h, W.consumerSleeping);
    this.peerAwake = sleeping === AWAKE;
    if (sleeping === ON_BELL) this.txData.ring();
    else if (sleeping === ON_DOORBELL && Atomics.compareExchange(h, W.consumerSleeping, ON_DOORBELL, AWAKE) === ON_DOORBELL) {
      this.doorbell.ring(Atomics.load(h, W.consumerPid), Atomics.load(h, W.consumerBell), Atomics.load(h, W.consumerToken), defer);
    }
  }

  /** After consuming from rx: a producer asleep for room gets `tail` stored, then is woken the way it sleeps. */
  wakeProducer(defer = false): void {
    const h = this.rx.h;
    const sleeping = Atomics.load(h, W.producerSleeping);
    if (sleeping === AWAKE) return;
    this.rx.publish();
    if (sleeping === ON_BELL) this.rxSpace.ring();
    else if (sleeping === ON_DOORBELL && Atomics.compareExchange(h, W.producerSleeping, ON_DOORBELL, AWAKE) === ON_DOORBELL) {
      this.doorbell.ring(Atomics.load(h, W.producerPid), Atomics.load(h, W.producerBell), Atomics.load(h, W.producerToken), defer);
    }
  }

  /** Sleeps until data may have come (asynchronously): see {@link #sleep}. */
  sleepForData(ready: () => boolean): Promise<void> {
    return this.#sleep(this.rx.h, W.consumerSleeping, W.consumerToken, W.consumerBell, W.producerFlags, this.rxToken, this.rxData, ready);
  }

  /** Sleeps until room may have come in tx (asynchronously): see {@link #sleep}. */
  sleepForRoom(ready: () => boolean): Promise<void> {
    return this.#sleep(this.tx.h, W.producerSleeping, W.producerToken, W.producerBell, W.consumerFlags, this.txToken, this.txSpace, ready);
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
    if (!this.doorbell.usable || (Atomics.load(h, peerFlagsWord) & RINGS_DOORBELLS) === 0) {
      await bell.sleep(ready, WATCHDOG_MS);
      return;
    }
    Atomics.store(h, tokenWord, token);
    Atomics.store(h, bellWord, this.doorbell.thread);
    Atomics.store(h, sleepingWord, ON_DOORBELL);
    if (!ready()) await this.doorbell.wait(token);
    // The region is unmapped once close() has run: then there is no mark to take back.
    if (!this.#region.closed) Atomics.compareExchange(h, sleepingWord, ON_DOORBELL, AWAKE);
  }

  /**
   * Marks this side closed in both rings and wakes the peer however it
   * sleeps: the bells are rung whatever the marks say (a sleeper on a bell
   * word may be between reading it and sleeping), then the doorbell marks.
   */
  endRings(): void {
    Atomics.store(this.tx.h, W.producerState, STATE_CLOSED);
    Atomics.store(this.rx.h, W.consumerState, STATE_CLOSED);
    this.txData.ring();
    this.rxSpace.ring();
    this.wakeConsumer();
    this.wakeProducer();
  }

  /** Ends our own sleeps for good: close() of a Waiter resolves its pending wait, and the doorbell's are interrupted. */
  closeWaits(): void {
    this.doorbell.interrupt(this.rxToken);
    this.doorbell.interrupt(this.txToken);
    this.rxData.close();
    this.txSpace.close();
    this.rxSpace.close();
    this.txData.close();
  }
}
