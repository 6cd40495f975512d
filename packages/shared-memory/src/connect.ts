/**
 * The client side of `shm://name`: docs/ring-protocol.md §2 "Connecting",
 * one method per step. What a failed attempt holds (the control region, a
 * watch on the listener, our pair region, a slot, a waiter) is released in
 * one place, {@link ConnectAttempt.release}, whichever step failed.
 */
import { threadDoorbell, type Doorbell } from './doorbell.js';
import type { Waiter } from '@ipckit/native';
import { IpcError } from '@ipckit/core';
import { systemError } from '@ipckit/sys';
import type { ProcessWatch, ShmBackend } from './backend.js';
import { ShmChannel } from './channel.js';
import { watchPeer } from './peer-watch.js';
import { connectSettings, type ConnectSettings, type ShmConnectOptions } from './options.js';
import { SharedRegion, createRegionAt, openRegionAt, shmBackend } from './region.js';
import { CONTROL_MAGIC, ControlBlock, SLOT_ACCEPTED, SLOT_REFUSED, checkChannelName, controlRegionName, magicOf, newPairName, slotsOf } from './rendezvous.js';
import { RING_HEADER_BYTES, STATE_CLOSED, W, initRing, ringBytes } from './ring.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** How long a client waits between looks for a free slot when all are taken. */
const SLOT_RETRY_MS = 5;
/** The longest sleep on the slot word between checks of the listener (it may die without answering). */
const ANSWER_POLL_MS = 20;

/**
 * Connects to `shm://name`: ENOENT when nobody serves it (a dead listener's
 * control region is removed on the way, POSIX), ETIMEDOUT when no slot
 * frees up or no answer comes within `timeoutMs`.
 */
export async function connect(name: string, options: ShmConnectOptions = {}): Promise<ShmChannel> {
  checkChannelName(name);
  const settings = connectSettings(options);
  const deadline = performance.now() + settings.timeoutMs;
  const backend = await shmBackend();
  const doorbell = threadDoorbell(backend.doorbell());
  const attempt = new ConnectAttempt(backend, doorbell, name, settings, deadline, options);
  try {
    return await attempt.run();
  } finally {
    attempt.release();
  }
}

/** One connect, step by step; {@link release} undoes whatever the steps left behind. */
class ConnectAttempt {
  readonly #backend: ShmBackend;
  readonly #doorbell: Doorbell;
  readonly #name: string;
  readonly #settings: ConnectSettings;
  readonly #deadline: number;
  readonly #options: ShmConnectOptions;
  /** The control region's OS name, derived once. */
  readonly #controlPath: string;
  readonly #pairName: string;
  #control: SharedRegion | undefined;
  #block: ControlBlock | undefined;
  #listener: ProcessWatch | undefined;
  #pair: SharedRegion | undefined;
  /** Our ends of the two rings (client→server, server→client), once attached. */
  #ends: [Int32Array, Int32Array] | undefined;
  /** The slot we hold, or -1. */
  #slot = -1;
  #ack: Waiter | undefined;

  constructor(backend: ShmBackend, doorbell: Doorbell, name: string, settings: ConnectSettings, deadline: number, options: ShmConnectOptions) {
    this.#backend = backend;
    this.#doorbell = doorbell;
    this.#name = name;
    this.#settings = settings;
    this.#deadline = deadline;
    this.#options = options;
    this.#controlPath = backend.osName(controlRegionName(name));
    this.#pairName = newPairName(backend.pid());
  }

  /** The steps of §2 "Connecting", in order; each throws when the attempt cannot go on. */
  async run(): Promise<ShmChannel> {
    const { block, listener } = this.#openControl();
    const pair = this.#createPair();
    const slot = await this.#claimSlot(block);
    const ack = this.#request(block, slot);
    await this.#awaitAnswer(block, slot, listener, ack);
    return this.#channel(block, slot, pair);
  }

  /** Step 1: map the control region and check that a live listener serves it. */
  #openControl(): { block: ControlBlock; listener: ProcessWatch } {
    const backend = this.#backend;
    let control: SharedRegion;
    try {
      control = this.#control = openRegionAt(backend, this.#controlPath);
    } catch (error) {
      if (error instanceof IpcError && error.code === 'ENOENT') throw this.#nobody();
      throw error;
    }
    const bytes = control.bytes;
    // A listener that was killed leaves its control region behind (POSIX).
    // Its magic is right here in our mapping; the ownership record says
    // whether its creator is gone: then remove it, and say so.
    if (magicOf(bytes) === CONTROL_MAGIC && backend.removeIfOwnerDead(control.path)) {
      throw this.#nobody(' (the process that served it died; its control region was removed)');
    }
    // The listener says how many slots it made; a region too small for them is nobody's.
    const slots = slotsOf(bytes);
    if (slots === undefined) throw this.#nobody();
    const block = (this.#block = new ControlBlock(bytes, slots));
    if (!block.listening) throw this.#nobody();
    const listener = (this.#listener = backend.watchProcess(block.listenerPid));
    if (!listener.alive()) throw this.#nobody();
    return { block, listener };
  }

  /** Step 2: our own region, two fresh rings (client→server first), our ends attached. */
  #createPair(): SharedRegion {
    const backend = this.#backend;
    const capacity = this.#settings.capacity;
    const pair = (this.#pair = createRegionAt(backend, backend.osName(this.#pairName), 2 * ringBytes(capacity), this.#pairName));
    const bytes = pair.bytes;
    const buffer = bytes.buffer as ArrayBuffer;
    initRing(buffer, bytes.byteOffset, capacity);
    initRing(buffer, bytes.byteOffset + ringBytes(capacity), capacity);
    const ring0 = new Int32Array(buffer, bytes.byteOffset, RING_HEADER_BYTES / 4);
    const ring1 = new Int32Array(buffer, bytes.byteOffset + ringBytes(capacity), RING_HEADER_BYTES / 4);
    ShmChannel.attach(ring1, ring0, backend.pid());
    this.#ends = [ring0, ring1];
    return pair;
  }

  /** ECANCELED when the caller's signal aborted. */
  #checkAborted(): void {
    const signal = this.#settings.signal;
    if (signal?.aborted) throw new IpcError('ECANCELED', `connecting to shm://${this.#name} was aborted`, { cause: signal.reason });
  }

  /** Step 3: a free slot, retried until the deadline while all are taken. */
  async #claimSlot(block: ControlBlock): Promise<number> {
    for (;;) {
      this.#checkAborted();
      this.#slot = block.claimSlot(this.#backend.pid());
      if (this.#slot >= 0) return this.#slot;
      if (performance.now() > this.#deadline)
        throw new IpcError('ETIMEDOUT', `every slot of shm://${this.#name} stayed busy for ${this.#settings.timeoutMs} ms`);
      await sleep(SLOT_RETRY_MS);
    }
  }

  /** Step 4: describe ourselves in the slot, then ring the listener's bell. */
  #request(block: ControlBlock, slot: number): Waiter {
    // Open before requesting, so no answer can come before we can hear it.
    const ack = (this.#ack = block.openAckBell(slot, this.#pairName));
    block.request(slot, { clientPid: this.#backend.pid(), capacity: this.#settings.capacity, pairName: this.#pairName });
    const bell = block.openAcceptBell(this.#name);
    bell.wake();
    bell.close();
    return ack;
  }

  /**
   * Step 5: wait for `accepted`. Refused, or a listener that closed or
   * died, is ENOENT. At the deadline we give up by taking the slot back
   * from the state we saw (2, or 5 while the listener accepts): a listener
   * that answers first wins and we take its answer; once the slot is back,
   * the listener's accept sees that we left and drops its side
   * (docs/ring-protocol.md §2).
   */
  async #awaitAnswer(block: ControlBlock, slot: number, listener: ProcessWatch, ack: Waiter): Promise<void> {
    for (;;) {
      const state = block.slotState(slot);
      if (state === SLOT_ACCEPTED) return;
      if (state === SLOT_REFUSED) throw this.#refused(block, slot);
      if (!block.listening || !listener.alive()) throw this.#nobody();
      const aborted = this.#settings.signal?.aborted === true;
      if (aborted || performance.now() > this.#deadline) {
        if (block.release(slot, state, this.#backend.pid())) {
          this.#slot = -1;
          this.#checkAborted();
          throw new IpcError('ETIMEDOUT', `shm://${this.#name} did not accept within ${this.#settings.timeoutMs} ms`);
        }
        continue;
      }
      await ack.wait(state, ANSWER_POLL_MS);
    }
  }

  /** Accepted: our channel over the pair region, then the slot is freed for the next client. */
  #channel(block: ControlBlock, slot: number, pair: SharedRegion): ShmChannel {
    const capacity = this.#settings.capacity;
    const channel = new ShmChannel({
      region: pair,
      rxOffset: ringBytes(capacity),
      txOffset: 0,
      rxIndex: 1,
      waitName: this.#pairName,
      maxMessageBytes: this.#settings.maxMessageBytes,
      peerPid: block.serverPid(slot),
      peer: watchPeer(this.#backend, block.serverPid(slot)),
      wait: this.#options,
      doorbell: this.#doorbell,
      backend: this.#backend,
    });
    this.#pair = undefined;
    // Nobody else writes an accepted slot while its client lives: this compare-and-swap cannot fail.
    block.release(slot, SLOT_ACCEPTED, this.#backend.pid());
    this.#slot = -1;
    return channel;
  }

  /** Releases what the attempt still holds; after success that is only the control region and the listener watch. */
  release(): void {
    this.#ack?.close();
    this.#listener?.close();
    if (this.#slot >= 0 && this.#block) this.#giveBackSlot(this.#block, this.#slot);
    this.#pair?.close();
    this.#control?.close();
  }

  /** Frees the slot we hold, whatever state it is in (the listener may answer meanwhile). */
  #giveBackSlot(block: ControlBlock, slot: number): void {
    for (;;) {
      const state = block.slotState(slot);
      // Accepted after all, but we are failing: close our ends as §4 says,
      // so the listener's channel ends instead of waiting for us forever.
      if (state === SLOT_ACCEPTED && this.#ends) closeEnds(...this.#ends);
      if (block.release(slot, state, this.#backend.pid())) break;
    }
    this.#slot = -1;
  }

  /**
   * The listener refused us. When it said why (an OS error it met opening
   * our channel, such as EMFILE: it is out of descriptors), that error with
   * its code; otherwise ENOENT, as a listener that went away.
   */
  #refused(block: ControlBlock, slot: number): IpcError {
    const osError = block.refusal(slot);
    if (osError === 0) return this.#nobody();
    const error = systemError(osError, 'accept', this.#controlPath, `shm://${this.#name} is served, but its listener could not open this connection`);
    return error;
  }

  #nobody(why = ''): IpcError {
    return new IpcError('ENOENT', `nobody serves shm://${this.#name}${why}`, { path: this.#controlPath });
  }
}

/** Marks our ends of a pair closed (§4), without a channel object: the producer end of `tx`, the consumer end of `rx`. */
function closeEnds(tx: Int32Array, rx: Int32Array): void {
  Atomics.store(tx, W.producerState, STATE_CLOSED);
  Atomics.store(rx, W.consumerState, STATE_CLOSED);
  Atomics.add(tx, W.dataBell, 1);
  Atomics.add(rx, W.spaceBell, 1);
}
