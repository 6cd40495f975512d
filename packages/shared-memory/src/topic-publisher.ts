/**
 * The publisher of an `shm://` topic (docs/topics-shm.md §5, §7): makes the
 * control and data regions, writes each message once into the pool, and
 * keeps the topic contract (packages/core/src/topic.ts) with the data
 * region's `head` and `floor` and each subscriber's `cursor`. A send's steps
 * are written once, as a generator that yields where it must wait, and run
 * by an asynchronous driver (send) and a blocking one (sendSync).
 */
import type { Waiter } from '@ipckit/native';
import { IpcError, type CloseOptions, type Publisher, type PublishOptions, type ReceiveOptions, type SendOptions, type SyncWaitOptions } from '@ipckit/core';
import { checkWait, closeTimeoutOption, publishSettings, recode, rejection, validateInteger, watchWait, type PublishSettings } from '@ipckit/core/kit';
import { MAX_SUBSCRIBERS, SLOW_SUBSCRIBER_POLICIES } from '@ipckit/core';
import type { ShmBackend } from './backend.js';
import { flushRings, threadDoorbell } from './doorbell.js';
import { WATCHDOG_MS } from './ends.js';
import { createRegionAt, shmBackend, type SharedRegion } from './region.js';
import { CONTROL_PREFIX, PAIR_PREFIX, checkChannelName, newPairName } from './rendezvous.js';
import { SlotTable } from './topic-admission.js';
import { DATA_SUFFIX, H, ON_BELL, AWAKE, TOPIC_CLOSED, TOPIC_MAGIC, TopicControl, topicControlBytes, topicControlName } from './topic-control.js';
import {
  DATA_MAGIC,
  DEFAULT_TOPIC_MESSAGE_BYTES,
  DataWriter,
  MAX_TOPIC_MESSAGE_BYTES,
  PoolPlacer,
  dataBytes,
  dataShape,
  initData,
  type Placement,
} from './topic-data.js';
import { RESOLVED, nextTurn, settledAtOnce } from './turns.js';

/** Where a send waits: on the header bell, at most `ms`, unless it moved past `bell` already. */
interface SendWait {
  ms: number;
  bell: number;
}

/** What a send is given: its deadline (performance.now() based) and signal; set once it first waits. */
interface SendLimits {
  deadlineAt: number | undefined;
  signal: AbortSignal | undefined;
  readonly sync: boolean;
}

/**
 * Publishes the topic `name` over shared memory. EINVAL (a bad name or
 * option) and ECANCELED (an aborted signal) come before anything is
 * created; EADDRINUSE when a live process serves the name (a topic or a
 * channel listener).
 *
 * Platform-specific behaviour: POSIX regions are `shm_open` objects, 0600,
 * with ownership records, so a crashed publisher's are replaced at once by
 * the next one; Windows file mappings go with their last handle.
 */
export async function publish(name: string, options?: PublishOptions): Promise<Publisher> {
  checkChannelName(name);
  const settings = publishSettings(options, { defaultBytes: DEFAULT_TOPIC_MESSAGE_BYTES, limitBytes: MAX_TOPIC_MESSAGE_BYTES });
  const backend = await shmBackend();
  // What killed ipckit publishers left behind (POSIX): control regions and data regions of dead owners.
  backend.sweepStale(backend.osName(CONTROL_PREFIX), TOPIC_MAGIC);
  backend.sweepStale(backend.osName(PAIR_PREFIX), DATA_MAGIC);
  let control: SharedRegion;
  try {
    control = createRegionAt(backend, backend.osName(topicControlName(name)), topicControlBytes(settings.maxSubscribers));
  } catch (error) {
    if (error instanceof IpcError && error.code === 'EADDRINUSE') throw recode(error, 'EADDRINUSE', `shm://${name} is already served by a running process`);
    throw error;
  }
  let data: SharedRegion;
  const dataName = `${newPairName(backend.pid())}${DATA_SUFFIX}`;
  const shape = dataShape(settings.capacity, settings.history, settings.maxMessageBytes, SLOW_SUBSCRIBER_POLICIES.indexOf(settings.policy));
  try {
    data = createRegionAt(backend, backend.osName(dataName), dataBytes(shape), dataName);
  } catch (error) {
    control.close();
    throw error;
  }
  const writer = new DataWriter(data.bytes, shape);
  initData(writer.words, shape);
  const block = new TopicControl(control.bytes, settings.maxSubscribers);
  block.init(settings.maxSubscribers, backend.pid(), dataName);
  const publisher = new ShmPublisher(name, backend, control, block, data, writer, settings);
  settings.signal?.addEventListener('abort', () => void publisher.close(), { once: true });
  return publisher;
}

/** A waitForSubscribers() call. */
interface CountWaiter {
  count: number;
  resolve: () => void;
  reject: (error: IpcError) => void;
  stop: () => void;
}

/** The publishing side of an shm:// topic (see the file comment). */
class ShmPublisher implements Publisher {
  readonly name: string;
  readonly path: string;
  readonly maxMessageBytes: number;
  readonly #settings: PublishSettings;
  readonly #control: SharedRegion;
  readonly #data: SharedRegion;
  readonly #c: TopicControl;
  readonly #w: DataWriter;
  readonly #placer: PoolPlacer;
  readonly #slots: SlotTable;
  /** The admission loop's wait on the header bell (it never marks the publisher asleep). */
  readonly #loopBell: Waiter;
  /** sendSync's wait on the header bell, opened on first use. */
  #syncBell: Waiter | undefined;
  /** Blocked asynchronous sends, woken when the loop sees the bell change (or a subscriber exit). */
  readonly #rung = new Set<() => void>();
  readonly #countWaiters = new Set<CountWaiter>();
  #head = 0;
  #floor = 0;
  /** No active subscriber's cursor is below this (see #sendAtOnce); -Infinity once a scan may have admitted one. */
  #clearTo = -Infinity;
  /** Sends queued behind one that waits (they keep their order). */
  #pending = 0;
  #tail: Promise<void> = RESOLVED;
  #closed = false;
  /** Set once close() gave up on the sends still waiting: they reject with ECLOSED. */
  #abandon = false;
  #closing: Promise<void> | undefined;
  readonly #loop: Promise<void>;

  constructor(name: string, backend: ShmBackend, control: SharedRegion, c: TopicControl, data: SharedRegion, w: DataWriter, settings: PublishSettings) {
    this.name = name;
    this.path = control.path;
    this.maxMessageBytes = settings.maxMessageBytes;
    this.#settings = settings;
    this.#control = control;
    this.#data = data;
    this.#c = c;
    this.#w = w;
    this.#placer = new PoolPlacer(w.shape.poolCapacity, w.shape.slots);
    this.#slots = new SlotTable(c, name, backend, threadDoorbell(backend.doorbell()), () => this.#kick());
    this.#loopBell = c.openPublisherBell(name);
    this.#loop = this.#admissionLoop();
  }

  get subscriberCount(): number {
    return this.#slots.active.size;
  }

  get nextSeq(): number {
    return this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Watches the header bell (and every WATCHDOG_MS): admits, frees, and wakes blocked sends. */
  async #admissionLoop(): Promise<void> {
    while (!this.#closed) {
      const bell = this.#c.load(H.bell);
      this.#scan();
      this.#notify();
      const result = await this.#loopBell.wait(bell, WATCHDOG_MS).catch(() => 'closed');
      if (result === 'closed') return;
    }
  }

  /** A subscriber's process exited (the OS told): free its slot now, and let a blocked send look again. */
  #kick(): void {
    if (this.#closed) return;
    this.#scan();
    this.#notify();
  }

  #scan(): void {
    this.#slots.scan(this.#head, this.#floor, this.#settings.history);
    // A subscriber admitted now may start below the lowest cursor seen.
    this.#clearTo = -Infinity;
    const count = this.#slots.active.size;
    for (const waiter of this.#countWaiters) {
      if (count >= waiter.count) {
        this.#countWaiters.delete(waiter);
        waiter.stop();
        waiter.resolve();
      }
    }
  }

  #notify(): void {
    const waiting = [...this.#rung];
    this.#rung.clear();
    for (const resolve of waiting) resolve();
  }

  /** Checks a message (EINVAL, EMSGSIZE, ECLOSED): nothing is numbered before it passes. */
  #check(message: Uint8Array): void {
    if (this.#closed) throw new IpcError('ECLOSED', `the publisher of shm://${this.name} was closed`);
    if (!(message instanceof Uint8Array)) throw new IpcError('EINVAL', 'a message must be a Uint8Array');
    if (message.length > this.maxMessageBytes) {
      throw new IpcError('EMSGSIZE', `a message of ${message.length} bytes is over this topic's maxMessageBytes of ${this.maxMessageBytes}`);
    }
  }

  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    let wait;
    try {
      this.#check(message);
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    if (this.#pending === 0) {
      // The common case: room for everyone now, so the message is written without a wait.
      if (this.#sendAtOnce(message, true)) return settledAtOnce() ? RESOLVED : nextTurn();
      const limits: SendLimits = { deadlineAt: undefined, signal: undefined, sync: false };
      const steps = this.#steps(message, limits);
      const first = steps.next();
      // Only so many at once per turn of the event loop: a loop of awaited sends must let timers and I/O run.
      if (first.done) return settledAtOnce() ? RESOLVED : nextTurn();
      // It must wait: its deadline counts from now.
      Object.assign(limits, this.#limits(wait, false));
      return this.#enqueue(() => this.#drive(steps, first.value, wait.signal));
    }
    return this.#enqueue(() => {
      if (this.#closed && this.#abandon) throw new IpcError('ECLOSED', `the publisher of shm://${this.name} was closed`);
      const steps = this.#steps(message, this.#limits(wait, false));
      const first = steps.next();
      return first.done ? undefined : this.#drive(steps, first.value, wait.signal);
    });
  }

  #limits(wait: { timeoutMs: number | undefined; signal: AbortSignal | undefined }, sync: boolean): SendLimits {
    return { deadlineAt: wait.timeoutMs === undefined ? undefined : performance.now() + wait.timeoutMs, signal: wait.signal, sync };
  }

  #enqueue(run: () => Promise<void> | void): Promise<void> {
    this.#pending++;
    const result = this.#tail.then(run).finally(() => this.#pending--);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Runs the rest of a send's steps asynchronously, starting with its first wait. */
  async #drive(steps: Generator<SendWait, void, void>, first: SendWait, signal: AbortSignal | undefined): Promise<void> {
    let next: IteratorResult<SendWait, void> = { done: false, value: first };
    try {
      while (!next.done) {
        const step = next.value;
        await this.#waitBell(step.ms, step.bell, signal);
        next = steps.next();
      }
    } finally {
      steps.return();
    }
  }

  /** Waits until the loop sees the bell move past `bell`, `ms` pass, or `signal` aborts. */
  #waitBell(ms: number, bell: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#c.load(H.bell) !== bell) return RESOLVED;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#rung.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#rung.add(done);
    });
  }

  sendSync(message: Uint8Array, options?: SyncWaitOptions): void {
    this.#check(message);
    const wait = checkWait(options);
    if (this.#pending > 0) throw new IpcError('EINVAL', 'sendSync while asynchronous sends are waiting would reorder them; await them first');
    if (this.#sendAtOnce(message, false)) return;
    const steps = this.#steps(message, this.#limits(wait, true));
    try {
      for (let next = steps.next(); !next.done; next = steps.next()) {
        const step = next.value;
        const bell = (this.#syncBell ??= this.#c.openPublisherBell(this.name));
        flushRings();
        bell.waitSync(step.bell, step.ms);
        // The admission loop cannot run while this thread blocks: look at the slots here.
        if (this.#slots.rung) this.#scan();
      }
    } finally {
      steps.return();
    }
  }

  /**
   * §5 steps 1 to 4 when nothing needs a wait: no bell to look at, and no
   * active subscriber below what the message overwrites (so none holds it
   * either, and no policy applies). Writes and returns true; otherwise
   * changes nothing and returns false, for {@link #steps}. Nothing is
   * marked asleep on the way, so a subscriber finishing meanwhile rings
   * nobody; the lowest cursor is looked up only when the message would
   * overwrite past the last one seen (cursors only move forward).
   */
  #sendAtOnce(message: Uint8Array, defer: boolean): boolean {
    if (this.#slots.rung) return false;
    const s = this.#head;
    const placement = this.#placer.place(s, message.length, this.#floor);
    const x = Math.max(placement.overwritesTo, s + 1 - this.#settings.capacity, this.#floor);
    if (x > this.#clearTo) {
      this.#clearTo = this.#slots.minCursor(s);
      if (x > this.#clearTo) return false;
    }
    if (x > this.#floor) {
      this.#floor = x;
      this.#w.setFloor(x);
    }
    this.#write(s, message, placement, defer);
    return true;
  }

  /** Step 3 and 4: the payload and descriptor, `head`, the wake-ups. */
  #write(s: number, message: Uint8Array, placement: Placement, defer: boolean): void {
    this.#w.write(s, message, placement.offset);
    this.#placer.commit(s, placement);
    this.#head = s + 1;
    this.#w.publish(this.#head);
    this.#slots.wakeSleepers(this.#head, defer);
  }

  /**
   * One send, docs/topics-shm.md §5 steps 1 to 4. Yields where it must wait;
   * throws ETIMEDOUT / ECANCELED / ECLOSED before anything is written, so a
   * withdrawn message takes no sequence number.
   */
  *#steps(message: Uint8Array, limits: SendLimits): Generator<SendWait, void, void> {
    const s = this.#head;
    const { capacity, policy, blockTimeoutMs } = this.#settings;
    const placement: Placement = this.#placer.place(s, message.length, this.#floor);
    const x = Math.max(placement.overwritesTo, s + 1 - capacity, this.#floor);
    if (this.#slots.rung) this.#scan();
    // Whatever waits from here on, the subscribers it may wait for are rung first.
    this.#slots.flushWakes();
    // 1. Room.
    if (policy === 'block') {
      // Woken once half of what is in flight has been read, not as soon as one message's room is free: a
      // publisher that outruns its subscribers then writes a run of messages per wake-up instead of
      // taking turns with the slowest subscriber message by message. The loop still needs only x: the
      // watchdog finds a subscriber that stopped between x and xWake.
      const xWake = Math.max(x, x + ((s - x) >> 1));
      try {
        for (;;) {
          const bell = this.#c.load(H.bell);
          // What it waits for, before it says it sleeps: only the last lagging subscriber to reach xWake rings.
          this.#c.store(H.wakeAt, xWake | 0);
          this.#c.store(H.wakeAtSet, 1);
          this.#c.store(H.publisherSleeping, ON_BELL);
          if (this.#slots.rung) this.#scan();
          const lagging = this.#slots.laggingBelow(x, this.#head);
          if (lagging.length === 0) break;
          const now = performance.now();
          let nextEviction = Infinity;
          for (const slot of lagging) {
            const due = this.#slots.laggingSince(slot, this.#head, now) + blockTimeoutMs;
            if (due <= now) this.#slots.evict(slot);
            else nextEviction = Math.min(nextEviction, due);
          }
          if (nextEviction === Infinity) continue;
          this.#checkWithdrawn(limits, now);
          const deadlineAt = limits.deadlineAt;
          const ms = Math.max(1, Math.min(WATCHDOG_MS, nextEviction - now, deadlineAt === undefined ? Infinity : deadlineAt - now));
          yield { ms, bell };
        }
      } finally {
        this.#c.store(H.wakeAtSet, 0);
        this.#c.store(H.publisherSleeping, AWAKE);
      }
    } else {
      // drop-oldest and disconnect do not wait for room, only for a subscriber that was woken for what it lacks
      // and has not run yet (those messages are on their way to it, as in a socket's buffers), at most
      // blockTimeoutMs. One in this process, in particular, cannot run before this send lets the event loop go.
      const graceUntil = performance.now() + blockTimeoutMs;
      try {
        for (;;) {
          const bell = this.#c.load(H.bell);
          this.#c.store(H.publisherSleeping, ON_BELL);
          if (this.#slots.rung) this.#scan();
          const woken = this.#slots.laggingBelow(x, this.#head).filter((slot) => this.#slots.wokenNotRun(slot, this.#head));
          if (woken.length === 0) break;
          const now = performance.now();
          if (now >= graceUntil) {
            this.#slots.forgetWoken(woken);
            break;
          }
          yield { ms: Math.max(1, Math.min(WATCHDOG_MS, graceUntil - now)), bell };
        }
      } finally {
        this.#c.store(H.publisherSleeping, AWAKE);
      }
    }
    // 2. Floor.
    if (x > this.#floor) {
      this.#floor = x;
      this.#w.setFloor(x);
      const holdUntil = performance.now() + blockTimeoutMs;
      try {
        for (;;) {
          const bell = this.#c.load(H.bell);
          this.#c.store(H.publisherSleeping, ON_BELL);
          const holders = this.#slots.holdingBelow(x, this.#head);
          if (holders.length === 0) break;
          const now = performance.now();
          if (now >= holdUntil) {
            for (const slot of holders) this.#slots.evict(slot);
            break;
          }
          yield { ms: Math.max(1, Math.min(WATCHDOG_MS, holdUntil - now)), bell };
        }
      } finally {
        this.#c.store(H.publisherSleeping, AWAKE);
      }
      if (policy === 'disconnect') for (const slot of this.#slots.laggingBelow(x, this.#head)) this.#slots.evict(slot);
    }
    // 3. Write, then publish. 4. Wake-ups: one load while everyone is awake.
    this.#write(s, message, placement, !limits.sync);
  }

  /** ETIMEDOUT / ECANCELED / ECLOSED for a send that waits for room and must give up. */
  #checkWithdrawn(limits: SendLimits, now: number): void {
    if (this.#abandon) throw new IpcError('ECLOSED', `the publisher of shm://${this.name} was closed before this message found room`);
    if (limits.signal?.aborted) throw new IpcError('ECANCELED', 'the send was aborted while it waited for room', { cause: limits.signal.reason });
    if (limits.deadlineAt !== undefined && now >= limits.deadlineAt) {
      throw new IpcError('ETIMEDOUT', `no room for the message on shm://${this.name} within the send's timeout: a subscriber is behind`);
    }
  }

  waitForSubscribers(count: number, options?: ReceiveOptions): Promise<void> {
    let wait;
    try {
      validateInteger(count, 'count', 0, MAX_SUBSCRIBERS);
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    if (this.#slots.active.size >= count) return RESOLVED;
    if (this.#closed) return Promise.reject(new IpcError('ECLOSED', 'the publisher was closed'));
    return new Promise<void>((resolve, reject) => {
      const waiter: CountWaiter = { count, resolve, reject, stop: () => undefined };
      this.#countWaiters.add(waiter);
      waiter.stop = watchWait(wait, `waiting for ${count} subscribers`, (error) => {
        this.#countWaiters.delete(waiter);
        reject(error);
      });
    });
  }

  close(options?: CloseOptions): Promise<void> {
    if (this.#closing) return this.#closing;
    let timeoutMs: number;
    try {
      timeoutMs = closeTimeoutOption(options);
    } catch (error) {
      return rejection(error);
    }
    this.#closed = true;
    this.#closing = this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    // Sends still waiting for room get the close's time, then give up (ECLOSED).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#tail, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.#abandon = true;
    this.#notify();
    await this.#tail;
    // §7: the data state after the last head, then the control state, then every bell.
    this.#w.markClosed();
    this.#c.store(H.state, TOPIC_CLOSED);
    this.#slots.closeAll();
    for (const waiter of this.#countWaiters) {
      waiter.stop();
      waiter.reject(new IpcError('ECLOSED', 'the publisher was closed'));
    }
    this.#countWaiters.clear();
    this.#loopBell.close();
    await this.#loop;
    this.#syncBell?.close();
    this.#slots.dispose();
    this.#control.close();
    this.#data.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
