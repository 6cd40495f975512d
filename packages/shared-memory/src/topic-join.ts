/**
 * Joining an `shm://` topic (docs/topics-shm.md §6 "Joining"): open the
 * control region and check it, claim a slot, ask, wait for the publisher's
 * answer, then map the data region read-only. Whatever a failed join holds
 * is given back in one place ({@link JoinAttempt.release}).
 */
import { IpcError } from '@ipckit/core';
import type { ProcessWatch, ShmBackend } from './backend.js';
import { Bell } from './bell.js';
import type { Doorbell } from './doorbell.js';
import { WATCHDOG_MS } from './ends.js';
import { openRegionAt, type SharedRegion } from './region.js';
import { CONTROL_MAGIC, PAIR_PREFIX } from './rendezvous.js';
import {
  DATA_SUFFIX,
  FLAG_RINGS_DOORBELLS,
  H,
  MAX_TOPIC_SLOTS,
  S,
  SLOT_ACTIVE,
  SLOT_CLAIMED,
  SLOT_FREE,
  SLOT_LEFT,
  SLOT_REFUSED,
  SLOT_REQUESTED,
  TOPIC_MAGIC,
  TOPIC_OPEN,
  TOPIC_VERSION,
  TopicControl,
  firstWord,
  slotBellName,
  topicControlBytes,
  topicControlName,
} from './topic-control.js';
import { DataReader, ReadOnlyRegion, readShape } from './topic-data.js';
import { PublisherRinger } from './topic-wake.js';

/** What a successful join hands to the subscriber. */
export interface Joined {
  control: SharedRegion;
  c: TopicControl;
  slot: number;
  /** The slot's sleeping spot (its bell word and `sleeping`). */
  bell: Bell;
  data: ReadOnlyRegion;
  reader: DataReader;
  publisher: ProcessWatch;
  publisherPid: number;
  ringer: PublisherRinger;
  /** The first sequence number this subscriber receives. */
  start: number;
}

/** One join, step by step. */
export class JoinAttempt {
  #control: SharedRegion | undefined;
  #c: TopicControl | undefined;
  #slot = -1;
  #bell: Bell | undefined;
  #data: ReadOnlyRegion | undefined;
  #publisher: ProcessWatch | undefined;
  #ringer: PublisherRinger | undefined;
  readonly #path: string;

  constructor(
    readonly backend: ShmBackend,
    readonly name: string,
    readonly maxMessageBytes: number,
    readonly signal: AbortSignal,
    readonly doorbell: Doorbell,
  ) {
    this.#path = backend.osName(topicControlName(name));
  }

  #nobody(why = ''): IpcError {
    return new IpcError('ENOENT', `nobody publishes shm://${this.name}${why}`, { path: this.#path });
  }

  #checkAborted(): void {
    if (this.signal.aborted) throw new IpcError('ECANCELED', `subscribing to shm://${this.name} was aborted`, { cause: this.signal.reason });
  }

  async run(): Promise<Joined> {
    const { c, publisherPid } = this.#openControl();
    const slot = this.#claim(c);
    await this.#ask(c, slot);
    const { data, reader } = this.#openData(c);
    const start = (c.slot(slot, S.start) >>> 0) + c.slot(slot, S.startHigh) * 2 ** 32;
    const joined: Joined = {
      control: this.#control as SharedRegion,
      c,
      slot,
      bell: this.#bell as Bell,
      data,
      reader,
      publisher: this.#publisher as ProcessWatch,
      publisherPid,
      ringer: this.#ringer as PublisherRinger,
      start,
    };
    // Handed over: nothing is released from here on.
    this.#control = undefined;
    this.#slot = -1;
    this.#bell = undefined;
    this.#data = undefined;
    this.#publisher = undefined;
    this.#ringer = undefined;
    return joined;
  }

  /** Maps the control region and checks that a live publisher of this topic made it. */
  #openControl(): { c: TopicControl; publisherPid: number } {
    let control: SharedRegion;
    try {
      control = this.#control = openRegionAt(this.backend, this.#path);
    } catch (error) {
      if (error instanceof IpcError && error.code === 'ENOENT') throw this.#nobody();
      throw error;
    }
    const bytes = control.bytes;
    const magic = firstWord(bytes);
    if (magic === CONTROL_MAGIC) throw new IpcError('EBADMSG', `shm://${this.name} is served by a channel listener, not a topic`, { path: this.#path });
    // 0: a publisher is making it right now (the magic is stored last).
    if (magic === 0 || magic === undefined) throw this.#nobody();
    if (magic !== TOPIC_MAGIC) throw new IpcError('EBADMSG', `what serves shm://${this.name} is no ipckit topic`, { path: this.#path });
    if (this.backend.removeIfOwnerDead(control.path)) throw this.#nobody(' (the process that published it died; its regions were removed)');
    const view = new DataView(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64));
    const version = view.getUint32(H.version * 4, true);
    const slots = view.getUint32(H.maxSubscribers * 4, true);
    if (version !== TOPIC_VERSION || slots < 1 || slots > MAX_TOPIC_SLOTS || bytes.length < topicControlBytes(slots)) {
      throw new IpcError('EBADMSG', `shm://${this.name} is a topic of another version or a broken one`, { path: this.#path });
    }
    const c = (this.#c = new TopicControl(bytes, slots));
    this.#ringer = new PublisherRinger(c, this.name, this.doorbell);
    if (c.load(H.state) !== TOPIC_OPEN) throw this.#nobody();
    const publisherPid = c.load(H.publisherPid);
    const publisher = (this.#publisher = this.backend.watchProcess(publisherPid));
    if (!publisher.alive()) throw this.#nobody();
    return { c, publisherPid };
  }

  /** Claims a free slot (0 → 1) and writes our pid at once; ENOMEM when none is free. */
  #claim(c: TopicControl): number {
    const pid = this.backend.pid();
    for (let slot = 0; slot < c.slots; slot++) {
      if (c.moveSlot(slot, S.state, SLOT_FREE, SLOT_CLAIMED)) {
        c.setSlot(slot, S.pid, pid);
        this.#slot = slot;
        return slot;
      }
    }
    throw new IpcError('ENOMEM', `shm://${this.name} has its maxSubscribers (${c.slots}) already`);
  }

  /** Asks to be counted in, then waits for the answer on the slot's bell. */
  async #ask(c: TopicControl, slot: number): Promise<void> {
    const bellWord = c.slotWord(slot, S.bell);
    const bell = (this.#bell = new Bell(c.words, bellWord, c.slotWord(slot, S.sleeping), c.buffer, c.byteOffsetOf(bellWord), slotBellName(this.name, slot)));
    c.setSlot(slot, S.flags, FLAG_RINGS_DOORBELLS);
    c.setSlot(slot, S.state, SLOT_REQUESTED);
    (this.#ringer as PublisherRinger).ring(true);
    const interrupt = (): void => bell.interrupt();
    this.signal.addEventListener('abort', interrupt, { once: true });
    try {
      for (;;) {
        const state = c.slot(slot, S.state);
        if (state === SLOT_ACTIVE) return;
        if (state === SLOT_REFUSED || c.load(H.state) !== TOPIC_OPEN || !(this.#publisher as ProcessWatch).alive()) throw this.#nobody();
        this.#checkAborted();
        await bell.sleep(() => c.slot(slot, S.state) !== SLOT_REQUESTED || this.signal.aborted, WATCHDOG_MS);
      }
    } finally {
      this.signal.removeEventListener('abort', interrupt);
    }
  }

  /** Maps the data region the header names, read-only, and checks it. */
  #openData(c: TopicControl): { data: ReadOnlyRegion; reader: DataReader } {
    const name = c.dataName();
    if (!name.startsWith(PAIR_PREFIX) || !name.endsWith(DATA_SUFFIX)) throw new IpcError('EBADMSG', `shm://${this.name} names no ipckit data region`);
    let path: string;
    try {
      path = this.backend.checkRegionName(name);
    } catch {
      throw new IpcError('EBADMSG', `shm://${this.name} names no valid data region`);
    }
    const data = (this.#data = ReadOnlyRegion.open(this.backend, path));
    const shape = readShape(new Int32Array(data.buffer, 0, 32), data.size, path);
    if (shape.maxMessageBytes > this.maxMessageBytes) {
      throw new IpcError(
        'EMSGSIZE',
        `the publisher sends messages of up to ${shape.maxMessageBytes} bytes, over this subscriber's maxMessageBytes of ${this.maxMessageBytes}`,
      );
    }
    return { data, reader: new DataReader(data.buffer, shape) };
  }

  /** Gives back what a failed join still holds: the slot (left, or freed), the waiters, the mappings. */
  release(): void {
    const c = this.#c;
    if (c && this.#slot >= 0 && this.#control && !this.#control.closed) {
      const slot = this.#slot;
      for (;;) {
        const state = c.slot(slot, S.state);
        if (state === SLOT_ACTIVE) {
          // Counted in after all: leave as §6 says, so the publisher frees it.
          c.setSlot(slot, S.state, SLOT_LEFT);
          this.#ringer?.ring(true);
          break;
        }
        if (state === SLOT_FREE || c.moveSlot(slot, S.state, state, SLOT_FREE)) {
          c.moveSlot(slot, S.pid, this.backend.pid(), 0);
          break;
        }
      }
    }
    this.#bell?.close();
    this.#ringer?.close();
    this.#publisher?.close();
    this.#data?.close();
    this.#control?.close();
  }
}
