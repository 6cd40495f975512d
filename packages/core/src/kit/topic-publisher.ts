import { IpcError } from '../errors.js';
import { EVICTION_NOTICE_MS, MAX_SUBSCRIBERS, type PublishOptions, type Publisher } from '../topic.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  type Channel,
  type CloseOptions,
  type Listener,
  type ReceiveOptions,
  type SendOptions,
  type Transport,
} from '../transport.js';
import { checkWait, rejection, watchWait } from './cancel.js';
import { MAX_FRAME_BYTES, checkMessageSize } from './framing.js';
import { Fifo } from './topic-fifo.js';
import { publishSettings, type PublishSettings, type TopicSizeLimits } from './topic-options.js';
import { REFUSED_FULL, TOPIC_HEADER_BYTES, dataFrame, evictedFrame, readHello, refusedFrame, welcomeFrame } from './topic-wire.js';
import { closeTimeoutOption, validateInteger } from './validate.js';

/**
 * Topics over any duplex transport's channels (docs/topics.md): the
 * publisher is a listener; each subscriber connects, says hello, is counted
 * in and welcomed, and then receives every message as a frame on its own
 * channel. Each message is framed once; the OS copies it per subscriber.
 */

/** Sends resolved in one turn of the event loop before the next waits for setImmediate (as StreamChannel's). */
const SENDS_PER_TURN = 64;

/**
 * How many messages over `capacity` a subscriber's queue may hold until the
 * policy's check (see checkOverflow): beyond, `drop-oldest` and `disconnect`
 * apply at once (sends not awaited can add any number in one turn).
 */
const OVERFLOW_ALLOWANCE = 4 * SENDS_PER_TURN;

/** The size limits of topics carried over `transport`'s channels: its channel maximum less the frame header. */
export function channelTopicLimits(transport: Transport): TopicSizeLimits {
  return {
    defaultBytes: Math.max(0, transport.capabilities.maxMessageBytes - TOPIC_HEADER_BYTES),
    limitBytes: MAX_FRAME_BYTES - TOPIC_HEADER_BYTES,
  };
}

/**
 * Publishes `name` on `transport` over its channels: what a duplex transport
 * without a publish of its own gets. Options are checked (EINVAL) before the
 * name is served; EADDRINUSE when it is served already.
 */
export async function publishOverChannels(transport: Transport, name: string, options?: PublishOptions): Promise<Publisher> {
  const settings = publishSettings(options, channelTopicLimits(transport));
  const listener = await transport.listen(name, { maxMessageBytes: settings.maxMessageBytes + TOPIC_HEADER_BYTES });
  return new ChannelPublisher(listener, settings);
}

/** One subscriber as the publisher sees it. */
interface Slot {
  readonly channel: Channel;
  /** Frames for it not yet handed to its channel. */
  readonly queue: Fifo<Uint8Array>;
  /** True while a frame is being handed to the channel (one at a time, so the queue can still drop). */
  sending: boolean;
  /** Under `block`: fires when the subscriber made no room in time. */
  stallTimer: NodeJS.Timeout | undefined;
  /** Counted in until it leaves or is disconnected. */
  active: boolean;
  /** While the publisher closes: called once the queue is handed over. */
  onDrained: (() => void) | undefined;
}

/** A send waiting for room (policy `block`). */
interface PendingPublish {
  readonly message: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: IpcError) => void;
  stop: () => void;
}

/** A waitForSubscribers() call. */
interface CountWaiter {
  readonly count: number;
  readonly resolve: () => void;
  readonly reject: (error: IpcError) => void;
  stop: () => void;
}

/**
 * A {@link Publisher} over a {@link Listener}: each channel the listener
 * yields is a subscriber once it said hello (docs/topics.md). Keeps the
 * rules of topic.ts: order and numbering (T1), history (T2), the policies
 * (T3), the slot freed as soon as a subscriber's channel ends (T4).
 */
export class ChannelPublisher implements Publisher {
  readonly name: string;
  readonly path: string;
  readonly maxMessageBytes: number;
  private readonly slots = new Set<Slot>();
  private readonly history = new Fifo<Uint8Array>();
  private readonly pending = new Fifo<PendingPublish>();
  private readonly countWaiters = new Set<CountWaiter>();
  /** Channels of disconnected subscribers whose notice is still on its way (Rule T4). */
  private readonly evicting = new Set<Channel>();
  private seq = 0;
  private closing: Promise<void> | undefined;
  private resolvedThisTurn = 0;

  constructor(
    private readonly listener: Listener,
    private readonly settings: PublishSettings,
  ) {
    this.name = listener.name;
    this.path = listener.path;
    this.maxMessageBytes = settings.maxMessageBytes;
    void this.accept();
    const signal = settings.signal;
    if (signal?.aborted) void this.close();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => void this.close();

  get subscriberCount(): number {
    return this.slots.size;
  }

  get nextSeq(): number {
    return this.seq;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.closing) return Promise.reject(new IpcError('ECLOSED', 'send on a publisher that was closed'));
    if (!(message instanceof Uint8Array)) return Promise.reject(new IpcError('EINVAL', 'a message must be a Uint8Array'));
    let wait;
    try {
      checkMessageSize(message.length, this.maxMessageBytes);
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    return new Promise<void>((resolve, reject) => {
      const op: PendingPublish = { message, resolve, reject, stop: () => undefined };
      this.pending.push(op);
      op.stop = watchWait(wait, 'the publish', (error) => this.withdraw(op, error));
      this.publishPending();
    });
  }

  waitForSubscribers(count: number, options?: ReceiveOptions): Promise<void> {
    let wait;
    try {
      validateInteger(count, 'count', 0, MAX_SUBSCRIBERS);
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    if (this.slots.size >= count) return Promise.resolve();
    if (this.closing) return Promise.reject(new IpcError('ECLOSED', 'the publisher was closed'));
    return new Promise<void>((resolve, reject) => {
      const waiter: CountWaiter = { count, resolve, reject, stop: () => undefined };
      this.countWaiters.add(waiter);
      waiter.stop = watchWait(wait, `waiting for ${count} subscribers`, (error) => {
        this.countWaiters.delete(waiter);
        reject(error);
      });
    });
  }

  close(options?: CloseOptions): Promise<void> {
    if (this.closing) return this.closing;
    let timeoutMs: number;
    try {
      timeoutMs = closeTimeoutOption(options);
    } catch (error) {
      return rejection(error);
    }
    this.closing = this.shutDown(timeoutMs);
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Takes every channel the listener yields and admits it (each on its own). */
  private async accept(): Promise<void> {
    try {
      for await (const channel of this.listener) void this.admit(channel);
    } catch {
      // The listener failed (its OS object went away): no more subscribers; the publisher stays usable for those it has.
    }
  }

  /** The handshake: a hello, then a welcome (counted in) or a refusal. */
  private async admit(channel: Channel): Promise<void> {
    let hello: Uint8Array | undefined;
    try {
      hello = await channel.receive({ timeoutMs: DEFAULT_CONNECT_TIMEOUT_MS });
      if (hello === undefined) throw new IpcError('EPIPE', 'gone before its hello');
      readHello(hello);
    } catch {
      // Not a subscriber (a port scanner, a plain client, a peer that left): not counted, closed.
      await channel.close({ timeoutMs: 0 });
      return;
    }
    if (this.closing) {
      await channel.close({ timeoutMs: 0 });
      return;
    }
    if (this.slots.size >= this.settings.maxSubscribers) {
      void channel.send(refusedFrame(REFUSED_FULL, `the topic has ${this.settings.maxSubscribers} subscribers, its maxSubscribers`)).catch(() => undefined);
      await channel.close();
      return;
    }
    const slot: Slot = {
      channel,
      queue: new Fifo(),
      sending: true,
      stallTimer: undefined,
      active: true,
      onDrained: undefined,
    };
    const history = this.history.toArray();
    for (const frame of history) slot.queue.push(frame);
    this.slots.add(slot);
    const welcome = welcomeFrame({
      policy: this.settings.policy,
      firstSeq: this.seq - history.length,
      capacity: this.settings.capacity,
      history: history.length,
      maxMessageBytes: this.maxMessageBytes,
      maxSubscribers: this.settings.maxSubscribers,
    });
    channel.send(welcome).then(
      () => this.handedOver(slot),
      () => this.leave(slot),
    );
    for (const waiter of this.countWaiters) {
      if (this.slots.size < waiter.count) continue;
      this.countWaiters.delete(waiter);
      waiter.stop();
      waiter.resolve();
    }
    // A subscriber sends nothing after its hello: the end of its channel is how it leaves (closed, crashed).
    try {
      for await (const _ of channel) {
        // Ignored: nothing more is expected from a subscriber.
      }
    } catch {
      // A broken channel is a subscriber gone, as an ended one.
    }
    this.leave(slot);
  }

  /** Publishes what waits, in order, as long as the policy lets it (Rule T3). */
  private publishPending(): void {
    for (;;) {
      const op = this.pending.peek();
      if (op === undefined) return;
      if (this.settings.policy === 'block' && !this.roomForAll()) return;
      this.pending.shift();
      op.stop();
      this.publish(op.message);
      this.settleResolved(op);
    }
  }

  /** Under `block`: true when every subscriber has room; starts the stall timer of those that do not. */
  private roomForAll(): boolean {
    let room = true;
    for (const slot of this.slots) {
      if (slot.queue.length < this.settings.capacity) continue;
      room = false;
      slot.stallTimer ??= setTimeout(() => this.evict(slot), this.settings.blockTimeoutMs);
    }
    return room;
  }

  /** Frames one message and queues it for every subscriber and the history. */
  private publish(message: Uint8Array): void {
    const frame = dataFrame(this.seq++, message);
    const { capacity, policy, history } = this.settings;
    for (const slot of [...this.slots]) {
      slot.queue.push(frame);
      this.pump(slot);
      // Under block there is always room here. Under the other policies a queue over capacity is dealt with
      // once the event loop has run (see overflowCheck), or at once past the burst allowance.
      if (policy !== 'block' && slot.queue.length > capacity) {
        if (slot.queue.length > capacity + OVERFLOW_ALLOWANCE) this.overflow(slot);
        else this.overflowCheck ??= setImmediate(this.checkOverflow);
      }
    }
    if (history > 0) {
      this.history.push(frame);
      if (this.history.length > history) this.history.shift();
    }
  }

  /**
   * The policy's check of queues over capacity, once the event loop has run.
   * A loop of sends runs for up to SENDS_PER_TURN sends before it yields, and
   * meanwhile no subscriber's channel can report a write done: judging at
   * once would drop messages of (or disconnect) subscribers that keep up. By
   * the check phase the channels have handed to the OS what it took; a queue
   * still over capacity then belongs to a subscriber that is behind.
   *
   * Platform-specific behaviour: on POSIX a socket write the OS takes at once
   * is reported done before the check, so only a subscriber whose socket
   * buffers are full is behind. On Windows libuv reports each pipe or TCP
   * write done in a later turn of the event loop, so a channel hands over one
   * frame per turn, and a burst of sends longer than `capacity` counts as
   * falling behind.
   */
  private overflowCheck: NodeJS.Immediate | undefined;

  private readonly checkOverflow = (): void => {
    this.overflowCheck = undefined;
    for (const slot of [...this.slots]) if (slot.queue.length > this.settings.capacity) this.overflow(slot);
  };

  /** Applies `drop-oldest` or `disconnect` to a subscriber whose queue is over capacity (Rule T3). */
  private overflow(slot: Slot): void {
    if (this.settings.policy === 'disconnect') {
      this.evict(slot);
      return;
    }
    // drop-oldest: the subscriber sees the gap in the sequence numbers and is told (missed).
    while (slot.queue.length > this.settings.capacity) slot.queue.shift();
  }

  /** Resolves a send, yielding to the event loop every SENDS_PER_TURN so a loop of sends never starves it. */
  private settleResolved(op: PendingPublish): void {
    if (this.resolvedThisTurn++ === 0) setImmediate(() => (this.resolvedThisTurn = 0));
    if (this.resolvedThisTurn <= SENDS_PER_TURN) op.resolve();
    else setImmediate(op.resolve);
  }

  /** Hands the next frame of a subscriber's queue to its channel. */
  private pump(slot: Slot): void {
    if (slot.sending || !slot.active) return;
    const frame = slot.queue.shift();
    if (frame === undefined) {
      slot.onDrained?.();
      return;
    }
    slot.sending = true;
    slot.channel.send(frame).then(
      () => this.handedOver(slot),
      () => this.leave(slot),
    );
  }

  /** A frame went to the OS: the queue has room again (the stall is over), the next goes. */
  private handedOver(slot: Slot): void {
    slot.sending = false;
    if (slot.stallTimer !== undefined && slot.queue.length < this.settings.capacity) {
      clearTimeout(slot.stallTimer);
      slot.stallTimer = undefined;
    }
    this.pump(slot);
    if (this.pending.length > 0) this.publishPending();
  }

  /** Stops counting a subscriber (Rule T4). */
  private release(slot: Slot): boolean {
    if (!slot.active) return false;
    slot.active = false;
    clearTimeout(slot.stallTimer);
    slot.queue.clear();
    this.slots.delete(slot);
    slot.onDrained?.();
    return true;
  }

  /** The subscriber left (its channel ended or broke): its slot is free. */
  private leave(slot: Slot): void {
    if (!this.release(slot)) return;
    void slot.channel.close({ timeoutMs: 0 });
    if (this.pending.length > 0) this.publishPending();
  }

  /** The policy disconnects a subscriber: its slot is free at once; the notice gets EVICTION_NOTICE_MS to reach it. */
  private evict(slot: Slot): void {
    if (!this.release(slot)) return;
    const channel = slot.channel;
    channel.send(evictedFrame(this.seq)).catch(() => undefined);
    this.evicting.add(channel);
    void channel.close({ timeoutMs: EVICTION_NOTICE_MS }).then(() => this.evicting.delete(channel));
    if (this.pending.length > 0) this.publishPending();
  }

  /** A send's deadline passed or its signal aborted while it waited for room: withdrawn, nobody gets it. */
  private withdraw(op: PendingPublish, error: IpcError): void {
    const waiting = this.pending.toArray();
    if (!waiting.includes(op)) return;
    this.pending.clear();
    for (const other of waiting) if (other !== op) this.pending.push(other);
    op.reject(error);
    this.publishPending();
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    if (this.overflowCheck !== undefined) clearImmediate(this.overflowCheck);
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    for (const op of this.pending.toArray()) {
      op.stop();
      op.reject(new IpcError('ECLOSED', 'the publisher was closed before the message was published'));
    }
    this.pending.clear();
    for (const waiter of this.countWaiters) {
      waiter.stop();
      waiter.reject(new IpcError('ECLOSED', 'the publisher was closed'));
    }
    this.countWaiters.clear();
    await this.listener.close();
    const started = performance.now();
    const left = (): number => Math.max(0, Math.ceil(timeoutMs - (performance.now() - started)));
    await Promise.all(
      [...this.slots].map(async (slot) => {
        // What is queued gets the close's time to be handed over, then the channel closes with what is left of it.
        if (slot.queue.length > 0 || slot.sending) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left());
            slot.onDrained = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        this.release(slot);
        await slot.channel.close({ timeoutMs: left() });
      }),
    );
    // Notices to disconnected subscribers get what is left of the close's time too, so that a process
    // that exits once close() resolved has not cut them short without saying so.
    await Promise.all([...this.evicting].map((channel) => this.closeWithin(channel, left())));
  }

  /** Waits at most `ms` for a channel's close already under way (it keeps its own, longer, timeout). */
  private async closeWithin(channel: Channel, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([channel.close(), late]);
    clearTimeout(timer);
  }
}
