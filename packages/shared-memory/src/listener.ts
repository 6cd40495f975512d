/**
 * The listening side of `shm://name`: makes the control region, then
 * accepts clients eagerly, as a socket server does (docs/ring-protocol.md
 * §2 "Accepting"). The bytes it reads and writes are rendezvous.ts's. It
 * keeps the limits of Rule 5 (@ipckit/core's transport.ts) as the stream
 * listeners do: the backlog, one other process's share of it, and the
 * first-message deadline of every channel it accepts.
 */
import { threadDoorbell, type Doorbell } from './doorbell.js';
import type { Waiter } from '@ipckit/native';
import { IpcError, type Channel, type Listener } from '@ipckit/core';
import { AsyncQueue, PEER_BACKLOG_SHARE, backlogOption, recode, validateInteger, validateSignal } from '@ipckit/core/kit';
import type { ShmBackend } from './backend.js';
import { ShmChannel, WATCHDOG_MS, type WaitOptions } from './channel.js';
import { firstMessageTimeoutOf, maxMessageBytesOf, type ShmListenOptions } from './options.js';
import { watchPeer } from './peer-watch.js';
import { SharedRegion, createRegionAt, openRegionAt, shmBackend } from './region.js';
import {
  CONTROL_MAGIC,
  CONTROL_PREFIX,
  ControlBlock,
  PAIR_PREFIX,
  SLOT_ACCEPTED,
  SLOT_ACCEPTING,
  SLOT_CLAIMED,
  SLOT_COUNT,
  MAX_SLOTS,
  controlBytes,
  SLOT_REFUSED,
  SLOT_REQUESTED,
  checkChannelName,
  controlRegionName,
  type SlotRequest,
} from './rendezvous.js';
import { RING_HEADER_BYTES, RING_MAGIC, RING_VERSION, W, checkCapacity, ringBytes } from './ring.js';

/**
 * @internal The key of a test-only listen option, reachable from this
 * package's own tests and nowhere else (index.ts does not export it, and
 * the package exports only index and testing): a listener given
 * `{ [ACCEPT_DELAY_MS]: ms }` pauses that long in every accept, with the
 * slot in state 5 (accepting) and the channel built, just before it answers.
 * races.test.ts uses it to make a client give up in that window.
 */
export const ACCEPT_DELAY_MS = Symbol('ipckit.shm.acceptDelayMs');

/** @internal The listen options this module takes beyond the public ones. */
export interface ListenInternals {
  [ACCEPT_DELAY_MS]?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Serves `shm://name`: sweeps what killed ipckit processes left behind,
 * makes the control region (EADDRINUSE when a live process serves the
 * name), and starts accepting.
 */
export async function listen(name: string, options: ShmListenOptions & ListenInternals = {}): Promise<Listener> {
  checkChannelName(name);
  const maxMessageBytes = maxMessageBytesOf(options);
  const backlog = backlogOption(options);
  const firstMessageTimeoutMs = firstMessageTimeoutOf(options);
  const slots = options.slots === undefined ? SLOT_COUNT : validateInteger(options.slots, 'slots', 1, MAX_SLOTS);
  const signal = validateSignal(options.signal);
  const acceptDelayMs = validateInteger(options[ACCEPT_DELAY_MS] ?? 0, 'acceptDelayMs', 0, 60_000);
  const backend = await shmBackend();
  const doorbell = threadDoorbell(backend.doorbell());
  // Leftovers of ipckit processes that were killed (SIGKILL, crash) while
  // serving or connecting: control regions and pair regions whose ownership
  // record names a dead process and whose first word is our magic (POSIX).
  backend.sweepStale(backend.osName(CONTROL_PREFIX), CONTROL_MAGIC);
  backend.sweepStale(backend.osName(PAIR_PREFIX), RING_MAGIC);
  let control: SharedRegion;
  try {
    control = createRegionAt(backend, backend.osName(controlRegionName(name)), controlBytes(slots));
  } catch (error) {
    if (error instanceof IpcError && error.code === 'EADDRINUSE') {
      throw recode(error, 'EADDRINUSE', `shm://${name} is already served by a running process`);
    }
    throw error;
  }
  const block = new ControlBlock(control.bytes, slots);
  block.publish(backend.pid());
  const listener = new ShmListener({ backend, doorbell, name, control, block, maxMessageBytes, backlog, firstMessageTimeoutMs, wait: options, acceptDelayMs });
  signal?.addEventListener('abort', () => void listener.close(), { once: true });
  return listener;
}

interface ListenerInit {
  backend: ShmBackend;
  doorbell: Doorbell;
  name: string;
  control: SharedRegion;
  block: ControlBlock;
  maxMessageBytes: number;
  /** The most accepted channels waiting to be taken (Rule 5). */
  backlog: number;
  /** A channel with no whole message either way this long after its accept is closed (Rule 5); 0 never. */
  firstMessageTimeoutMs: number;
  wait: WaitOptions;
  acceptDelayMs: number;
}

/** The listening side: accepts clients eagerly, as a socket server does. */
class ShmListener implements Listener {
  readonly name: string;
  readonly path: string;
  readonly #backend: ShmBackend;
  readonly #doorbell: Doorbell;
  readonly #control: SharedRegion;
  readonly #block: ControlBlock;
  readonly #bell: Waiter;
  readonly #queue = new AsyncQueue<ShmChannel>(Number.MAX_SAFE_INTEGER);
  readonly #backlog: number;
  /** The most of the backlog the channels of one other process may hold (Rule 5). */
  readonly #peerCap: number;
  /** Each channel waiting in the queue, and the client pid it is counted against (undefined: not counted). */
  readonly #waiting = new Map<ShmChannel, number | undefined>();
  /** Channels waiting in the queue, by client pid. */
  readonly #waitingByPeer = new Map<number, number>();
  readonly #firstMessageTimeoutMs: number;
  readonly #maxMessageBytes: number;
  readonly #wait: WaitOptions;
  readonly #acceptDelayMs: number;
  #closed = false;
  readonly #loop: Promise<void>;
  /** Accepts in progress: close() waits for them before it unmaps the control region. */
  readonly #accepting = new Set<Promise<void>>();
  /** Slots with an accept in progress: a scan must not start a second one on them (see #scan). */
  readonly #acceptingSlots = new Set<number>();

  constructor(init: ListenerInit) {
    this.#backend = init.backend;
    this.#doorbell = init.doorbell;
    this.name = init.name;
    this.path = init.control.path;
    this.#control = init.control;
    this.#block = init.block;
    this.#maxMessageBytes = init.maxMessageBytes;
    this.#backlog = init.backlog;
    this.#peerCap = Math.max(1, Math.floor(init.backlog * PEER_BACKLOG_SHARE));
    this.#firstMessageTimeoutMs = init.firstMessageTimeoutMs;
    this.#wait = init.wait;
    this.#acceptDelayMs = init.acceptDelayMs;
    this.#bell = init.block.openAcceptBell(init.name);
    this.#loop = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      const seq = this.#block.bell;
      this.#scan();
      await this.#bell.wait(seq, WATCHDOG_MS).catch(() => undefined);
    }
  }

  /** One look at every slot: starts accepts of requests, frees slots of dead clients. */
  #scan(): void {
    const block = this.#block;
    for (let slot = 0; slot < block.slots; slot++) {
      const state = block.slotState(slot);
      if (state === SLOT_REQUESTED) {
        // A client that gave up during an accept may have freed the slot, and
        // a new client requested it again: that request waits until the old
        // accept has failed its compare-exchange (it rescans then), or the
        // old accept's answer (5 → 3) would go to the new client.
        if (this.#acceptingSlots.has(slot)) continue;
        // Ours now, so the next scan does not accept it twice.
        if (block.moveSlot(slot, SLOT_REQUESTED, SLOT_ACCEPTING)) this.#accept(slot);
      } else if (state === SLOT_CLAIMED || state === SLOT_ACCEPTED || state === SLOT_REFUSED) {
        this.#freeIfClientDied(slot, state);
      }
    }
  }

  /** A client that died mid-connect would keep its slot taken forever: free it, and its pair region. */
  #freeIfClientDied(slot: number, state: number): void {
    const clientPid = this.#block.clientPid(slot);
    // 0: a client has just claimed the slot and not yet written its pid (it does so at once).
    // Taking its slot then would leave it waiting for an answer that never comes.
    if (clientPid === 0) return;
    const watch = this.#backend.watchProcess(clientPid);
    const alive = watch.alive();
    watch.close();
    if (alive) return;
    // Read before the slot is freed: another client may write its own name at once after.
    const pairName = this.#block.slotName(slot);
    if (!this.#block.release(slot, state, clientPid) || pairName === '') return;
    try {
      // POSIX: only an ipckit ring region whose ownership record names the dead client.
      this.#backend.removeIfStale(this.#backend.checkRegionName(pairName), RING_MAGIC);
    } catch {
      // The name came from the client: not a valid region name, nothing of ours to remove.
    }
  }

  /** Starts accepting `slot` (state 5, ours); the slot is skipped by scans until the accept is over. */
  #accept(slot: number): void {
    this.#acceptingSlots.add(slot);
    const accepting: Promise<void> = this.#acceptSlot(slot).then(() => {
      this.#accepting.delete(accepting);
      this.#acceptingSlots.delete(slot);
      // A request that came into this slot meanwhile was skipped: look again now.
      if (!this.#closed && this.#block.slotState(slot) === SLOT_REQUESTED) this.#scan();
    });
    this.#accepting.add(accepting);
  }

  /** Opens the client's pair region, builds our channel end, and answers; never throws. */
  async #acceptSlot(slot: number): Promise<void> {
    const request = this.#block.requestOf(slot);
    try {
      const channel = this.#openChannel(request);
      if (this.#acceptDelayMs > 0) await sleep(this.#acceptDelayMs);
      this.#block.setServerPid(slot, this.#backend.pid());
      if (!this.#closed && this.#answer(slot, SLOT_ACCEPTED, request.pairName)) {
        // Connections of this very process are not a flood from outside (as pipe:// does): not counted.
        const peer = request.clientPid === this.#backend.pid() ? undefined : request.clientPid;
        // Rule 5: beyond the backlog, or beyond its process's share of it, the connection is
        // closed at once; its client sees its channel end.
        if (this.#full(peer)) await channel.close({ timeoutMs: 0 });
        else this.#enqueue(channel, peer);
        return;
      }
      // Closing, or the client gave up and freed the slot: nobody will use
      // this channel. Closing it marks both of our ring ends closed (the
      // pair's name is already unlinked; the client unmaps its side).
      await channel.close();
    } catch (error) {
      // Refused below: the client unlinks its own pair region. An OS failure (out of descriptors,
      // of memory) is the listener's, not the client's: say which, so the client does not hear "nobody serves".
      if (error instanceof IpcError && typeof error.errno === 'number') this.#block.setRefusal(slot, error.errno);
    }
    this.#answer(slot, SLOT_REFUSED, request.pairName);
  }

  /**
   * True when a new channel of client `peer` finds no room: the backlog is
   * full, or `peer`'s channels hold their share of it. Channels whose client
   * left while they waited give their room back first (nothing else tells
   * the listener they ended).
   */
  #full(peer: number | undefined): boolean {
    const over = (): boolean => this.#queue.size >= this.#backlog || (peer !== undefined && (this.#waitingByPeer.get(peer) ?? 0) >= this.#peerCap);
    if (!over()) return false;
    for (const channel of [...this.#waiting.keys()]) {
      if (channel.closed && this.#queue.remove(channel)) {
        this.#left(channel);
        void channel.close({ timeoutMs: 0 });
      }
    }
    return over();
  }

  /** Queues an accepted channel, counted against its client `peer`. */
  #enqueue(channel: ShmChannel, peer: number | undefined): void {
    this.#waiting.set(channel, peer);
    if (peer !== undefined) this.#waitingByPeer.set(peer, (this.#waitingByPeer.get(peer) ?? 0) + 1);
    this.#queue.push(channel);
  }

  /** `channel` left the queue (taken, closed while waiting, or the listener closed): its room comes back. */
  #left(channel: ShmChannel): void {
    if (!this.#waiting.has(channel)) return;
    const peer = this.#waiting.get(channel);
    this.#waiting.delete(channel);
    if (peer === undefined) return;
    const count = (this.#waitingByPeer.get(peer) ?? 1) - 1;
    if (count > 0) this.#waitingByPeer.set(peer, count);
    else this.#waitingByPeer.delete(peer);
  }

  /**
   * Our end of the client's pair region. The name and capacity come from
   * the client: the region must hold two rings of that capacity before we
   * unlink it or write a byte (a refused region is the client's to remove).
   */
  #openChannel(request: SlotRequest): ShmChannel {
    const backend = this.#backend;
    const region = openRegionAt(backend, backend.checkRegionName(request.pairName));
    try {
      const [ring0, ring1] = ringsOf(region, request.capacity);
      // Both sides have it mapped now: the name is no longer needed (POSIX).
      backend.unlink(region.path);
      ShmChannel.attach(ring0, ring1, backend.pid());
      const channel: ShmChannel = new ShmChannel({
        region,
        rxOffset: 0,
        txOffset: ringBytes(request.capacity),
        rxIndex: 0,
        waitName: request.pairName,
        maxMessageBytes: this.#maxMessageBytes,
        peerPid: request.clientPid,
        peer: watchPeer(backend, request.clientPid),
        wait: this.#wait,
        doorbell: this.#doorbell,
        backend,
        // Rule 5: closed, taken or not, when idle past the deadline; one still queued gives its room back.
        firstMessage: {
          timeoutMs: this.#firstMessageTimeoutMs,
          onExpired: () => {
            if (this.#queue.remove(channel)) this.#left(channel);
          },
        },
      });
      return channel;
    } catch (error) {
      region.close();
      throw error;
    }
  }

  /** Answers `slot` by compare-exchange from 5 (see ControlBlock.answer) and wakes its client. */
  #answer(slot: number, state: typeof SLOT_ACCEPTED | typeof SLOT_REFUSED, pairName: string): boolean {
    if (!this.#block.answer(slot, state)) return false;
    this.#wakeSlot(slot, pairName);
    return true;
  }

  #wakeSlot(slot: number, pairName: string): void {
    if (this.#control.closed) return;
    try {
      const ack = this.#block.openAckBell(slot, pairName);
      ack.wake();
      ack.close();
    } catch {
      // The client polls too; a lost wake only costs it a few milliseconds.
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    const inner = this.#queue[Symbol.asyncIterator]();
    return {
      next: async () => {
        const result = await inner.next();
        if (result.done !== true) this.#left(result.value);
        return result;
      },
      return: async () => (inner.return ? inner.return() : { done: true, value: undefined }),
    };
  }

  /**
   * Stops accepting: waits for accepts in progress, refuses pending
   * requests, and removes the control region. Channels already taken from
   * the iteration stay open; those not yet taken are closed. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const block = this.#block;
    block.markClosed();
    this.#bell.close();
    await this.#loop.catch(() => undefined);
    // The control region stays mapped until every accept in progress has answered its slot.
    await Promise.all([...this.#accepting]);
    for (let slot = 0; slot < block.slots; slot++) {
      const state = block.slotState(slot);
      if ((state === SLOT_REQUESTED || state === SLOT_ACCEPTING) && block.moveSlot(slot, state, SLOT_REFUSED)) {
        this.#wakeSlot(slot, block.slotName(slot));
      }
    }
    this.#control.close();
    const left = this.#queue.drain();
    for (const channel of left) this.#left(channel);
    await Promise.all(left.map((channel) => channel.close({ timeoutMs: 0 })));
    this.#queue.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * The two ring headers of a client's pair region, checked: big enough for
 * two rings of `capacity`, each with the ring magic, version and that
 * capacity (EIO otherwise).
 */
function ringsOf(region: SharedRegion, capacity: number): [Int32Array, Int32Array] {
  checkCapacity(capacity);
  if (region.size < 2 * ringBytes(capacity)) throw new IpcError('EIO', `${region.path} is too small for two rings of ${capacity} bytes`);
  const bytes = region.bytes;
  const rings: [Int32Array, Int32Array] = [
    new Int32Array(bytes.buffer, bytes.byteOffset, RING_HEADER_BYTES / 4),
    new Int32Array(bytes.buffer, bytes.byteOffset + ringBytes(capacity), RING_HEADER_BYTES / 4),
  ];
  for (const ring of rings) {
    if (Atomics.load(ring, W.magic) !== RING_MAGIC || Atomics.load(ring, W.version) !== RING_VERSION || Atomics.load(ring, W.capacity) !== capacity) {
      throw new IpcError('EIO', `${region.path} does not hold two ipckit rings of ${capacity} bytes`);
    }
  }
  return rings;
}
