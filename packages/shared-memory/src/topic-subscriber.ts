/**
 * The subscriber of an `shm://` topic (docs/topics-shm.md §6, §7): reads
 * each message from the publisher's pool, in place (receiveInPlace) or as a
 * copy (receive, iteration, receiveSync), one at a time and in order, with
 * the `holding` / `floor` rule that keeps a message from being overwritten
 * while it is read.
 *
 * Read-ahead: while nobody uses the in-place or synchronous forms, a
 * subscriber copies up to `readAhead` messages into its own memory whenever
 * its event loop is free, as a socket's buffers would hold them: so a
 * subscriber whose code is busy a moment does not hold back the publisher,
 * and one the policy disconnects still receives what had reached it
 * (Rule T4). The first receiveInPlace or receiveSync ends read-ahead for
 * good (what was read ahead is delivered first).
 */
import {
  IpcError,
  SLOW_SUBSCRIBER_POLICIES,
  type BorrowedDelivery,
  type Delivery,
  type ReceiveOptions,
  type SlowSubscriberPolicy,
  type Subscriber,
  type SubscribeOptions,
  type SyncWaitOptions,
} from '@ipckit/core';
import { checkWait, deadline, rejection, subscribeSettings, validateInteger, watchWait } from '@ipckit/core/kit';
import type { ShmBackend } from './backend.js';
import { threadDoorbell, type Doorbell } from './doorbell.js';
import { WATCHDOG_MS } from './ends.js';
import { shmBackend } from './region.js';
import { checkChannelName } from './rendezvous.js';
import { AWAKE, H, ON_DOORBELL, S, SLOT_ACTIVE, SLOT_EVICTED, SLOT_LEFT, TOPIC_OPEN, seqDiff } from './topic-control.js';
import { MAX_TOPIC_MESSAGE_BYTES } from './topic-data.js';
import { JoinAttempt, type Joined } from './topic-join.js';
import { RESOLVED, nextTurn, settledAtOnce } from './turns.js';

/** Messages a subscriber reads ahead by default (see the file comment). */
export const DEFAULT_READ_AHEAD = 1024;
/** The most bytes read ahead, whatever `readAhead` says. */
export const READ_AHEAD_BYTES = 16 * 1024 * 1024;

/** Read-ahead rings a waiting publisher once it has freed this many bytes, even in the middle of a run. */
const RING_OWED_BYTES = 256 * 1024;

/** Options of an `shm://` subscribe. */
export interface ShmSubscribeOptions extends SubscribeOptions {
  /**
   * How many messages this subscriber copies ahead into its own memory
   * while its event loop is free (0 to 65,536; default
   * {@link DEFAULT_READ_AHEAD}; at most {@link READ_AHEAD_BYTES} bytes).
   * 0 reads every message straight from shared memory when it is asked for.
   */
  readAhead?: number;
}

/**
 * Subscribes to the topic `name` over shared memory. EINVAL before anything
 * is opened; ENOENT when nobody publishes it (a dead publisher's regions are
 * removed on the way, POSIX); EBADMSG when a channel listener (or anything
 * but a topic) serves the name; ENOMEM when it has `maxSubscribers`
 * already; EMSGSIZE when the publisher's messages may be larger than this
 * subscriber's `maxMessageBytes`; EACCES when another user made the region.
 */
export async function subscribe(name: string, options?: ShmSubscribeOptions): Promise<Subscriber> {
  checkChannelName(name);
  const settings = subscribeSettings(options, { defaultBytes: MAX_TOPIC_MESSAGE_BYTES, limitBytes: MAX_TOPIC_MESSAGE_BYTES });
  const readAhead = options?.readAhead === undefined ? DEFAULT_READ_AHEAD : validateInteger(options.readAhead, 'readAhead', 0, 65_536);
  const backend = await shmBackend();
  const doorbell = threadDoorbell(backend.doorbell());
  const limit = deadline(settings.wait, `subscribing to shm://${name}`);
  const attempt = new JoinAttempt(backend, name, settings.maxMessageBytes, limit.signal, doorbell);
  try {
    const joined = await attempt.run();
    return new ShmSubscriber(name, backend, doorbell, joined, settings.maxMessageBytes, readAhead);
  } catch (error) {
    throw limit.explain(error);
  } finally {
    attempt.release();
    limit.dispose();
  }
}

/** What one read attempt found. */
type Step = { kind: 'data'; delivery: Delivery } | { kind: 'held'; delivery: BorrowedDelivery } | { kind: 'empty' } | { kind: 'end' } | { kind: 'evicted' };

/** A first-in first-out list with O(1) push and shift (read-ahead holds up to 65,536 deliveries). */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

const evictedError = (policy: SlowSubscriberPolicy): IpcError =>
  new IpcError('ECONNRESET', `the publisher disconnected this subscriber under its "${policy}" policy: it fell too far behind`);

/** The receiving side of an shm:// topic (see the file comment). */
class ShmSubscriber implements Subscriber {
  readonly name: string;
  readonly maxMessageBytes: number;
  readonly policy: SlowSubscriberPolicy;
  readonly #j: Joined;
  readonly #doorbell: Doorbell;
  readonly #token: number;
  readonly #readAhead: number;
  /** The full sequence number of the next message to read from shared memory. */
  #cursor: number;
  #missedPending = 0;
  #missedTotal = 0;
  /** Read ahead, not yet delivered. */
  readonly #queue = new Fifo<Delivery>();
  #queueBytes = 0;
  /** Read-ahead runs until the first in-place or synchronous receive. */
  #ahead: boolean;
  #pump: Promise<void> = RESOLVED;
  /** The pump waits here for room in the queue. */
  #wantRoom: (() => void) | undefined;
  /** A receive waits here for the pump. */
  #wantData: (() => void) | undefined;
  /** How the topic ended for this subscriber, once it did; `evicted` is reported once, then `reported`. */
  #end: 'end' | 'evicted' | 'reported' | undefined;
  #failure: IpcError | undefined;
  #publisherGone = false;
  #lastPublisherCheck = 0;
  #held: BorrowedDelivery | undefined;
  #receiving = false;
  #closed = false;
  /** The regions are unmapped (after the end, or close). */
  #released = false;

  constructor(name: string, _backend: ShmBackend, doorbell: Doorbell, joined: Joined, maxMessageBytes: number, readAhead: number) {
    this.name = name;
    this.maxMessageBytes = maxMessageBytes;
    this.#j = joined;
    this.policy = SLOW_SUBSCRIBER_POLICIES[joined.reader.shape.policy] ?? 'block';
    this.#doorbell = doorbell;
    this.#token = doorbell.token();
    this.#readAhead = readAhead;
    this.#cursor = joined.start;
    doorbell.retain(joined.publisherPid);
    joined.publisher.onExit(() => {
      this.#publisherGone = true;
      this.#interrupt();
    });
    this.#ahead = readAhead > 0;
    if (this.#ahead) this.#pump = this.#readAheadLoop();
  }

  get missed(): number {
    return this.#missedTotal;
  }

  get closed(): boolean {
    return this.#closed || (this.#end !== undefined && this.#queue.length === 0);
  }

  // ---- reading one message (§6 steps 1 to 4) ----

  /** One attempt at the message at the cursor; never waits. Throws EIO for a broken descriptor (Rule 3). */
  #step(inPlace: boolean, batched = false): Step {
    const { c, slot, reader } = this.#j;
    for (;;) {
      if (c.slot(slot, S.state) !== SLOT_ACTIVE) return { kind: 'evicted' };
      c.setSlot(slot, S.holding, 1);
      const cursor = this.#cursor | 0;
      const behind = seqDiff(reader.floor, cursor);
      if (behind > 0) {
        c.setSlot(slot, S.holding, 0);
        // Only drop-oldest moves the floor past a subscriber it still counts; under the others this is eviction.
        if (this.policy !== 'drop-oldest') return { kind: 'evicted' };
        this.#missedPending += behind;
        this.#cursor += behind;
        c.setSlot(slot, S.cursor, this.#cursor | 0);
        continue;
      }
      if (seqDiff(reader.head, cursor) <= 0) {
        c.setSlot(slot, S.holding, 0);
        if (!this.#publisherEnded()) return { kind: 'empty' };
        // Ended: the last head was stored before the state; look once more.
        if (seqDiff(reader.head, cursor) <= 0) return { kind: 'end' };
        continue;
      }
      let where;
      try {
        where = reader.descriptor(cursor, this.maxMessageBytes);
      } catch (error) {
        c.setSlot(slot, S.holding, 0);
        throw error;
      }
      const view = reader.pool.subarray(where.offset, where.offset + where.length);
      const seq = this.#cursor;
      const missed = this.#missedPending;
      this.#missedPending = 0;
      this.#missedTotal += missed;
      if (inPlace) {
        let released = false;
        const borrowed: BorrowedDelivery = {
          data: view,
          seq,
          missed,
          release: () => {
            if (released) return;
            released = true;
            this.#held = undefined;
            if (this.#released) return;
            this.#finish();
            if (this.#end !== undefined) this.#release();
          },
        };
        this.#held = borrowed;
        return { kind: 'held', delivery: borrowed };
      }
      const data = view.slice();
      // Evicted while copying: the publisher may have overwritten it; it is not ours to deliver.
      if (c.slot(slot, S.state) !== SLOT_ACTIVE) {
        c.setSlot(slot, S.holding, 0);
        return { kind: 'evicted' };
      }
      this.#finish(batched ? data.length : -1);
      return { kind: 'data', delivery: { data, seq, missed } };
    }
  }

  /** {@link #step}, where a broken topic is reported once (thrown now) and then ends this subscriber (Rule 3). */
  #stepOrEnd(inPlace: boolean): Step {
    try {
      return this.#step(inPlace);
    } catch (error) {
      this.#end = 'reported';
      this.#release();
      throw error;
    }
  }

  /**
   * Step 4: the cursor past the message, `holding` 0, the publisher woken if
   * it waits. `batchedBytes` ≥ 0 (read-ahead copying a run of messages, this
   * one that long): the wake-up is owed instead, and rung by
   * {@link #payRing} when the run stops, or once the run has freed half the
   * descriptor ring or RING_OWED_BYTES, so a blocked publisher is woken once
   * per run, not once per message (docs/topics-shm.md §6).
   */
  #finish(batchedBytes = -1): void {
    const { c, slot, reader } = this.#j;
    this.#cursor++;
    c.setSlot(slot, S.cursor, this.#cursor | 0);
    c.setSlot(slot, S.holding, 0);
    if (batchedBytes < 0) {
      this.#j.ringer.ring(false);
      return;
    }
    this.#owedMessages++;
    this.#owedBytes += batchedBytes;
    if (this.#owedMessages * 2 >= reader.shape.slots || this.#owedBytes >= RING_OWED_BYTES) this.#payRing();
  }

  /** Rings the wake-up that read-ahead owes the publisher, if any. */
  #payRing(): void {
    if (this.#owedMessages === 0) return;
    this.#owedMessages = 0;
    this.#owedBytes = 0;
    if (!this.#released) this.#j.ringer.ring(false);
  }

  /** Messages (and their bytes) read ahead since the last wake-up rung for the publisher. */
  #owedMessages = 0;
  #owedBytes = 0;

  /** The publisher closed the topic or is gone (its pid checked at most every WATCHDOG_MS). */
  #publisherEnded(): boolean {
    const { c, reader, publisher } = this.#j;
    if (reader.closed || this.#publisherGone || c.load(H.state) !== TOPIC_OPEN) return true;
    const now = performance.now();
    if (now - this.#lastPublisherCheck >= WATCHDOG_MS) {
      this.#lastPublisherCheck = now;
      if (!publisher.alive()) this.#publisherGone = true;
    }
    return this.#publisherGone;
  }

  /** True when a look at shared memory is worth it: a message, the end, or a change of our slot. */
  #ready(): boolean {
    const { c, slot, reader } = this.#j;
    return (
      seqDiff(reader.head, this.#cursor | 0) > 0 ||
      reader.closed ||
      c.slot(slot, S.state) !== SLOT_ACTIVE ||
      c.load(H.state) !== TOPIC_OPEN ||
      this.#publisherGone
    );
  }

  /** Sleeps until the publisher rings (or WATCHDOG_MS): on this thread's doorbell, or on the slot's bell. */
  async #sleep(): Promise<void> {
    const { c, slot, bell } = this.#j;
    Atomics.add(c.words, H.sleepers, 1);
    try {
      if (this.#doorbell.usable) {
        c.setSlot(slot, S.token, this.#token);
        c.setSlot(slot, S.doorbellThread, this.#doorbell.thread);
        c.setSlot(slot, S.sleeping, ON_DOORBELL);
        if (!this.#ready() && !this.#closed) await this.#doorbell.wait(this.#token);
        if (!this.#released) c.moveSlot(slot, S.sleeping, ON_DOORBELL, AWAKE);
      } else {
        await bell.sleep(() => this.#ready() || this.#closed, WATCHDOG_MS);
      }
    } finally {
      if (!this.#released) Atomics.sub(c.words, H.sleepers, 1);
    }
  }

  /** Ends our own pending sleep (a timeout, an abort, close, the publisher's exit). */
  #interrupt(): void {
    this.#doorbell.interrupt(this.#token);
    if (!this.#released) this.#j.bell.interrupt();
    this.#wantData?.();
    this.#wantRoom?.();
  }

  // ---- read-ahead ----

  async #readAheadLoop(): Promise<void> {
    while (this.#ahead && !this.#closed && this.#end === undefined && this.#failure === undefined) {
      if (this.#queue.length >= this.#readAhead || this.#queueBytes >= READ_AHEAD_BYTES) {
        this.#payRing();
        await new Promise<void>((resolve) => (this.#wantRoom = resolve));
        this.#wantRoom = undefined;
        continue;
      }
      let step: Step;
      try {
        step = this.#step(false, true);
      } catch (error) {
        this.#payRing();
        this.#failure = error as IpcError;
        this.#wantData?.();
        return;
      }
      if (step.kind === 'data') {
        this.#queue.push(step.delivery);
        this.#queueBytes += step.delivery.data.length;
        this.#wantData?.();
      } else if (step.kind === 'empty') {
        this.#payRing();
        await this.#sleep();
      } else if (step.kind !== 'held') {
        this.#payRing();
        this.#ended(step.kind);
        this.#wantData?.();
      }
    }
    this.#payRing();
  }

  /** Stops read-ahead for good and waits until the loop is out (in-place and synchronous receives read themselves). */
  #stopAhead(): void {
    if (!this.#ahead) return;
    this.#ahead = false;
    this.#interrupt();
  }

  #take(): Delivery | undefined {
    const delivery = this.#queue.shift();
    if (delivery !== undefined) {
      this.#queueBytes -= delivery.data.length;
      this.#wantRoom?.();
    }
    return delivery;
  }

  /** The topic ended (the publisher is gone, or evicted us): leave the slot, unmap once nothing is held. */
  #ended(kind: 'end' | 'evicted'): void {
    this.#end ??= kind;
    if (!this.#held) this.#release();
  }

  /** After the end has been reached: undefined, or ECONNRESET once for an eviction. */
  #endResult(): undefined {
    if (this.#failure) {
      const failure = this.#failure;
      this.#end = 'reported';
      this.#failure = undefined;
      throw failure;
    }
    if (this.#end === 'evicted') {
      this.#end = 'reported';
      throw evictedError(this.policy);
    }
    return undefined;
  }

  // ---- the Subscriber contract ----

  receive(options?: ReceiveOptions): Promise<Delivery | undefined> {
    return this.#receive(options, false);
  }

  receiveInPlace(options?: ReceiveOptions): Promise<BorrowedDelivery | undefined> {
    return this.#receive(options, true) as Promise<BorrowedDelivery | undefined>;
  }

  #receive(options: ReceiveOptions | undefined, inPlace: boolean): Promise<Delivery | BorrowedDelivery | undefined> {
    let wait;
    try {
      wait = checkWait(options);
      if (this.#receiving) throw new IpcError('EINVAL', 'a receive is already pending on this subscriber (one consumer at a time)');
      if (this.#held) throw new IpcError('EINVAL', 'a message read in place is still held: release() it first');
    } catch (error) {
      return rejection(error);
    }
    if (this.#closed) return Promise.resolve(undefined);
    if (inPlace) this.#stopAhead();
    const queued = this.#take();
    if (queued) {
      const delivery = inPlace ? { ...queued, release: () => undefined } : queued;
      // As a channel's receives: only so many at once per turn of the event loop.
      return settledAtOnce() ? Promise.resolve(delivery) : nextTurn().then(() => delivery);
    }
    this.#receiving = true;
    const result = this.#ahead ? this.#receiveAhead(wait) : this.#receiveDirect(wait, inPlace);
    return result.finally(() => (this.#receiving = false));
  }

  /** Waits for the read-ahead loop to deliver (a timeout or abort takes nothing). */
  async #receiveAhead(wait: { timeoutMs: number | undefined; signal: AbortSignal | undefined }): Promise<Delivery | undefined> {
    let cancelled: IpcError | undefined;
    const stop = watchWait(wait, 'receive', (error) => {
      cancelled = error;
      this.#wantData?.();
    });
    try {
      for (;;) {
        const queued = this.#take();
        if (queued) return queued;
        if (this.#closed) return undefined;
        if (this.#end !== undefined || this.#failure) {
          this.#endResult();
          return;
        }
        if (cancelled) throw cancelled;
        await new Promise<void>((resolve) => (this.#wantData = resolve));
        this.#wantData = undefined;
      }
    } finally {
      stop();
    }
  }

  /** Reads straight from shared memory, sleeping between looks. */
  async #receiveDirect(
    wait: { timeoutMs: number | undefined; signal: AbortSignal | undefined },
    inPlace: boolean,
  ): Promise<Delivery | BorrowedDelivery | undefined> {
    // The read-ahead loop, if it ran, is out before this side reads (both move the cursor).
    await this.#pump;
    let cancelled: IpcError | undefined;
    const stop = watchWait(wait, 'receive', (error) => {
      cancelled = error;
      this.#interrupt();
    });
    try {
      for (;;) {
        const queued = this.#take();
        if (queued) return inPlace ? { ...queued, release: () => undefined } : queued;
        if (this.#closed) return undefined;
        if (this.#end !== undefined || this.#failure) {
          this.#endResult();
          return;
        }
        const step = this.#stepOrEnd(inPlace);
        if (step.kind === 'data' || step.kind === 'held') return step.delivery;
        if (step.kind !== 'empty') {
          this.#ended(step.kind);
          continue;
        }
        if (cancelled) throw cancelled;
        await this.#sleep();
      }
    } finally {
      stop();
    }
  }

  receiveSync(options?: SyncWaitOptions): Delivery | undefined {
    const wait = checkWait(options);
    if (this.#receiving) throw new IpcError('EINVAL', 'a receive is already pending on this subscriber (one consumer at a time)');
    if (this.#held) throw new IpcError('EINVAL', 'a message read in place is still held: release() it first');
    if (this.#closed) return undefined;
    this.#stopAhead();
    const deadlineAt = wait.timeoutMs === undefined ? Infinity : performance.now() + wait.timeoutMs;
    for (;;) {
      const queued = this.#take();
      if (queued) return queued;
      if (this.#end !== undefined || this.#failure) {
        this.#endResult();
        return;
      }
      const step = this.#stepOrEnd(false);
      if (step.kind === 'data' || step.kind === 'held') return step.delivery;
      if (step.kind !== 'empty') {
        this.#ended(step.kind);
        continue;
      }
      const left = deadlineAt - performance.now();
      if (left <= 0) throw new IpcError('ETIMEDOUT', `receiveSync did not complete within ${wait.timeoutMs} ms`);
      const { c } = this.#j;
      Atomics.add(c.words, H.sleepers, 1);
      try {
        this.#j.bell.sleepSync(() => this.#ready(), Math.min(WATCHDOG_MS, left));
      } finally {
        Atomics.sub(c.words, H.sleepers, 1);
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return {
      next: async (): Promise<IteratorResult<Delivery>> => {
        const delivery = await this.receive();
        return delivery === undefined ? { value: undefined, done: true } : { value: delivery, done: false };
      },
      return: async (): Promise<IteratorResult<Delivery>> => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ahead = false;
    this.#interrupt();
    await this.#pump;
    this.#queue.clear();
    this.#release();
  }

  /** Leaves the slot (state 6, the publisher rung) and unmaps both regions. Idempotent. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    const { c, slot, control, data, bell, publisher, ringer, publisherPid } = this.#j;
    const state = c.slot(slot, S.state);
    if (state === SLOT_ACTIVE || state === SLOT_EVICTED) {
      c.setSlot(slot, S.holding, 0);
      c.setSlot(slot, S.state, SLOT_LEFT);
      ringer.ring(true);
    }
    this.#doorbell.interrupt(this.#token);
    bell.close();
    ringer.close();
    publisher.close();
    this.#doorbell.release(publisherPid);
    control.close();
    data.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
