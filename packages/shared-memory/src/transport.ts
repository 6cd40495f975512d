/**
 * `shm://name`: the listener and connect. A small control region named after
 * the listener is the rendezvous; each client brings its own region holding
 * two rings (client→server, server→client) and registers it in a slot of the
 * control region. docs/ring-protocol.md describes every byte.
 */
import { openWaiter, type Waiter } from '@ipckit/native';
import { IpcError, type Capabilities, type Channel, type ConnectOptions, type Listener, type ListenOptions, type Transport } from '@ipckit/core';
import { AsyncQueue, recode, validateInteger, validateName } from '@ipckit/core/kit';
import { BACKEND, byBackend } from '@ipckit/sys';
import type { ShmBackend } from './backend.js';
import { ShmChannel, WATCHDOG_MS, type WaitOptions } from './channel.js';
import { SharedRegion, createRegion, openRegion, shmBackend } from './region.js';
import { RING_HEADER_BYTES, RING_MAGIC, RING_VERSION, STATE_CLOSED, W, checkCapacity, initRing, ringBytes } from './ring.js';

/** Default largest message: 16 MiB (larger ones travel in fragments). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The largest maximum a channel accepts (the fragment word has 31 bits). */
export const MAX_MESSAGE_BYTES_LIMIT = 0x7fffffff;
/** Default data bytes of each ring: 1 MiB. */
export const DEFAULT_RING_BYTES = 1024 * 1024;
/** Longest channel name, in UTF-8 bytes (object and event names are derived from it). */
export const MAX_CHANNEL_NAME_BYTES = 100;

// Control region layout (all u32, little-endian); see docs/ring-protocol.md.
export const CONTROL_MAGIC = 0x4c435049; // 'IPCL'
export const CONTROL_VERSION = 1;
export const SLOT_COUNT = 64;
export const SLOT_BYTES = 128;
export const SLOTS_OFFSET = 64;
export const CONTROL_BYTES = SLOTS_OFFSET + SLOT_COUNT * SLOT_BYTES;
const C = { magic: 0, version: 1, slots: 2, listenerPid: 3, state: 4, bell: 5 } as const;
/** Slot words, relative to the slot. */
const S = { state: 0, clientPid: 1, serverPid: 2, capacity: 3, nameBytes: 16 } as const;
const SLOT_NAME_BYTES = 64;
export const SLOT_FREE = 0;
export const SLOT_CLAIMED = 1;
export const SLOT_REQUESTED = 2;
export const SLOT_ACCEPTED = 3;
export const SLOT_REFUSED = 4;
/** The listener is setting the channel up (private to the listener; clients wait). */
export const SLOT_ACCEPTING = 5;
const LISTENING = 1;
const CLOSED = 2;

/** Options of {@link transport.listen} for shared memory. */
export interface ShmListenOptions extends ListenOptions, WaitOptions {}

/** Options of {@link transport.connect} for shared memory. */
export interface ShmConnectOptions extends ConnectOptions, WaitOptions {
  /** Data bytes of each of the two rings: a power of two, 4 KiB to 1 GiB. Default 1 MiB. */
  ringBytes?: number;
}

/** The OS name of the control region for a channel name. */
function controlName(backend: ShmBackend, name: string): string {
  return backend.osName(`ipckit.${name}`);
}

function checkChannelName(name: string): string {
  return validateName(name, { maxBytes: MAX_CHANNEL_NAME_BYTES, label: 'shared memory channel name' });
}

function maxBytesOf(options: { maxMessageBytes?: number } | undefined): number {
  const max = options?.maxMessageBytes;
  return max === undefined ? DEFAULT_MAX_MESSAGE_BYTES : validateInteger(max, 'maxMessageBytes', 0, MAX_MESSAGE_BYTES_LIMIT);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
let pairCounter = 0;

/**
 * Internal test hook, not part of the API (not exported from index.ts): a
 * listener made while this is above 0 pauses that many milliseconds in every
 * accept, with the slot in state 5 (accepting) and the channel built, just
 * before it answers the client. The tests use it to make a client give up
 * in that window. Only accepts look at it, never sends or receives.
 */
let acceptDelayMsForTests = 0;
export function setAcceptDelayForTests(ms: number): void {
  acceptDelayMsForTests = validateInteger(ms, 'ms', 0, 60_000);
}

function slotName(words: Int32Array, slot: number): string {
  const bytes = new Uint8Array(words.buffer, words.byteOffset + (SLOTS_OFFSET + slot * SLOT_BYTES + S.nameBytes * 4), SLOT_NAME_BYTES);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? SLOT_NAME_BYTES : end));
}

/** Index of a slot word in the control region's Int32Array. */
const sw = (slot: number, word: number): number => (SLOTS_OFFSET + slot * SLOT_BYTES) / 4 + word;

/** The listening side: accepts clients eagerly, as a socket server does. */
class ShmListener implements Listener {
  readonly name: string;
  readonly path: string;
  readonly #backend: ShmBackend;
  readonly #control: SharedRegion;
  readonly #words: Int32Array;
  readonly #bell: Waiter;
  readonly #queue = new AsyncQueue<Channel>(SLOT_COUNT);
  readonly #maxMessageBytes: number;
  readonly #wait: WaitOptions;
  #closed = false;
  readonly #loop: Promise<void>;
  /** Accepts in progress: close() waits for them before it unmaps the control region. */
  readonly #accepting = new Set<Promise<void>>();
  /** Slots with an accept in progress: a scan must not start a second one on them (see #accept). */
  readonly #acceptingSlots = new Set<number>();
  readonly #acceptDelayMs = acceptDelayMsForTests;

  constructor(backend: ShmBackend, name: string, control: SharedRegion, maxMessageBytes: number, wait: WaitOptions) {
    this.#backend = backend;
    this.name = name;
    this.path = control.path;
    this.#control = control;
    this.#maxMessageBytes = maxMessageBytes;
    this.#wait = wait;
    const bytes = control.bytes;
    this.#words = new Int32Array(bytes.buffer, bytes.byteOffset, CONTROL_BYTES / 4);
    this.#bell = openWaiter(bytes.buffer as ArrayBuffer, bytes.byteOffset + C.bell * 4, `${control.path.replace(/[\\/]/g, '')}.accept`);
    this.#loop = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      const seq = Atomics.load(this.#words, C.bell);
      this.#scan();
      if (this.#closed) return;
      await this.#bell.wait(seq, WATCHDOG_MS).catch(() => undefined);
    }
  }

  #scan(): void {
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const state = Atomics.load(this.#words, sw(slot, S.state));
      if (state === SLOT_REQUESTED) {
        // A client that gave up during an accept may have freed the slot, and
        // a new client requested it again: that request waits until the old
        // accept has failed its compare-exchange (it rescans then).
        if (this.#acceptingSlots.has(slot)) continue;
        // Ours now, so the next scan does not accept it twice.
        if (Atomics.compareExchange(this.#words, sw(slot, S.state), SLOT_REQUESTED, SLOT_ACCEPTING) === SLOT_REQUESTED) this.#accept(slot);
      } else if (state === SLOT_CLAIMED || state === SLOT_ACCEPTED || state === SLOT_REFUSED) {
        // A client that died mid-connect would keep its slot taken forever: free it.
        const watch = this.#backend.watchProcess(Atomics.load(this.#words, sw(slot, S.clientPid)));
        const alive = watch.alive();
        watch.close();
        if (!alive && Atomics.compareExchange(this.#words, sw(slot, S.state), state, SLOT_FREE) === state) {
          // Its pair region too, if it is still there (POSIX: only an ipckit
          // ring region whose ownership record names the dead client).
          const pairName = slotName(this.#words, slot);
          if (pairName !== '') {
            try {
              this.#backend.removeIfStale(this.#backend.osName(pairName), RING_MAGIC);
            } catch {
              // A name that is not a valid region name: nothing of ours to remove.
            }
          }
        }
      }
    }
  }

  #accept(slot: number): void {
    const words = this.#words;
    const pairName = slotName(words, slot);
    const clientPid = Atomics.load(words, sw(slot, S.clientPid));
    const capacity = Atomics.load(words, sw(slot, S.capacity));
    // The client may free the slot while it is 5 (it gave up: docs/ring-protocol.md §2),
    // and another client may claim it at once: answer only if it is still 5.
    const answer = (state: number): boolean => {
      if (Atomics.compareExchange(words, sw(slot, S.state), SLOT_ACCEPTING, state) !== SLOT_ACCEPTING) return false;
      this.#wakeSlot(slot, pairName);
      return true;
    };
    const refuse = (): void => {
      answer(SLOT_REFUSED);
    };
    const accepting = (async () => {
      try {
        const region = await openRegion(pairName);
        try {
          // The name comes from the client: check that it names a pair region
          // of two rings before unlinking it or writing a byte (a refused
          // region is the client's to remove).
          checkCapacity(capacity);
          if (region.size < 2 * ringBytes(capacity)) throw new IpcError('EIO', `${region.path} is too small for two rings of ${capacity} bytes`);
          const bytes = region.bytes;
          const ring0 = new Int32Array(bytes.buffer, bytes.byteOffset, RING_HEADER_BYTES / 4);
          const ring1 = new Int32Array(bytes.buffer, bytes.byteOffset + ringBytes(capacity), RING_HEADER_BYTES / 4);
          for (const ring of [ring0, ring1]) {
            if (Atomics.load(ring, W.magic) !== RING_MAGIC || Atomics.load(ring, W.version) !== RING_VERSION || Atomics.load(ring, W.capacity) !== capacity) {
              throw new IpcError('EIO', `${region.path} does not hold two ipckit rings of ${capacity} bytes`);
            }
          }
          // Both sides have it mapped now: the name is no longer needed (POSIX).
          this.#backend.unlink(region.path);
          ShmChannel.attach(ring0, ring1, this.#backend.pid());
          const channel = new ShmChannel({
            region,
            rxOffset: 0,
            txOffset: ringBytes(capacity),
            rxIndex: 0,
            waitName: pairName,
            maxMessageBytes: this.#maxMessageBytes,
            peer: this.#backend.watchProcess(clientPid),
            wait: this.#wait,
          });
          if (this.#acceptDelayMs > 0) await sleep(this.#acceptDelayMs);
          // Only this listener writes serverPid, always with the same value: a
          // slot that a new client has claimed meanwhile still reads right.
          Atomics.store(words, sw(slot, S.serverPid), this.#backend.pid());
          if (this.#closed || !answer(SLOT_ACCEPTED)) {
            // Closing, or the client gave up and freed the slot: nobody will
            // use this channel. Closing it marks both of our ring ends closed
            // (the pair's name is already unlinked; the client unmaps its side).
            await channel.close();
            refuse();
            return;
          }
          this.#queue.push(channel);
        } catch (error) {
          region.close();
          throw error;
        }
      } catch {
        refuse();
      }
    })();
    this.#accepting.add(accepting);
    this.#acceptingSlots.add(slot);
    void accepting.finally(() => {
      this.#accepting.delete(accepting);
      this.#acceptingSlots.delete(slot);
      // A request that came into this slot meanwhile was skipped: look again now.
      if (!this.#closed && Atomics.load(words, sw(slot, S.state)) === SLOT_REQUESTED) this.#scan();
    });
  }

  #wakeSlot(slot: number, pairName: string): void {
    if (this.#control.closed) return;
    const bytes = this.#control.bytes;
    try {
      const w = openWaiter(bytes.buffer as ArrayBuffer, bytes.byteOffset + sw(slot, S.state) * 4, `${pairName}.ack`);
      w.wake();
      w.close();
    } catch {
      // The client polls too; a lost wake only costs it a few milliseconds.
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    return this.#queue[Symbol.asyncIterator]();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.#words, C.state, CLOSED);
    this.#bell.close();
    await this.#loop.catch(() => undefined);
    // The control region stays mapped until every accept in progress has answered its slot.
    await Promise.all([...this.#accepting]);
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const state = Atomics.load(this.#words, sw(slot, S.state));
      if ((state === SLOT_REQUESTED || state === SLOT_ACCEPTING) && Atomics.compareExchange(this.#words, sw(slot, S.state), state, SLOT_REFUSED) === state) {
        this.#wakeSlot(slot, slotName(this.#words, slot));
      }
    }
    this.#control.close();
    this.#queue.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function listen(name: string, options: ShmListenOptions = {}): Promise<Listener> {
  checkChannelName(name);
  const maxMessageBytes = maxBytesOf(options);
  const backend = await shmBackend();
  // Leftovers of ipckit processes that were killed (SIGKILL, crash) while
  // serving or connecting: control regions and pair regions whose ownership
  // record names a dead process and whose first word is our magic (POSIX).
  backend.sweepStale(backend.osName('ipckit.'), CONTROL_MAGIC);
  backend.sweepStale(backend.osName('ipckit.p.'), RING_MAGIC);
  const control = await createRegion(controlName(backend, name), CONTROL_BYTES).catch((error: unknown) => {
    if (error instanceof IpcError && error.code === 'EADDRINUSE') {
      throw recode(error, 'EADDRINUSE', `shm://${name} is already served by a running process`);
    }
    throw error;
  });
  const bytes = control.bytes;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, CONTROL_BYTES / 4);
  words[C.version] = CONTROL_VERSION;
  words[C.slots] = SLOT_COUNT;
  words[C.listenerPid] = backend.pid();
  Atomics.store(words, C.state, LISTENING);
  Atomics.store(words, C.magic, CONTROL_MAGIC);
  const listener = new ShmListener(backend, name, control, maxMessageBytes, options);
  options.signal?.addEventListener('abort', () => void listener.close(), { once: true });
  return listener;
}

async function connect(name: string, options: ShmConnectOptions = {}): Promise<ShmChannel> {
  checkChannelName(name);
  const maxMessageBytes = maxBytesOf(options);
  const capacity = checkCapacity(options.ringBytes ?? DEFAULT_RING_BYTES);
  const timeoutMs = options.timeoutMs === undefined ? 10_000 : validateInteger(options.timeoutMs, 'timeoutMs', 1, 2 ** 31 - 1);
  const deadline = performance.now() + timeoutMs;
  const backend = await shmBackend();
  const nobody = (why = ''): IpcError => new IpcError('ENOENT', `nobody serves shm://${name}${why}`, { path: controlName(backend, name) });
  let control: SharedRegion;
  try {
    control = await openRegion(controlName(backend, name));
  } catch (error) {
    if (error instanceof IpcError && error.code === 'ENOENT') throw nobody();
    throw error;
  }
  let pair: SharedRegion | undefined;
  let slot = -1;
  let words: Int32Array | undefined;
  /** Our ends of the two rings (client→server, server→client), once attached. */
  let ends: [Int32Array, Int32Array] | undefined;
  try {
    // A listener that was killed leaves its control region behind (POSIX):
    // remove it, verified by its ownership record and magic, and say so.
    if (backend.removeIfStale(control.path, CONTROL_MAGIC)) throw nobody(' (the process that served it died; its control region was removed)');
    if (control.size < CONTROL_BYTES) throw nobody();
    const cbytes = control.bytes;
    words = new Int32Array(cbytes.buffer, cbytes.byteOffset, CONTROL_BYTES / 4);
    if (Atomics.load(words, C.magic) !== CONTROL_MAGIC || Atomics.load(words, C.state) !== LISTENING) throw nobody();
    const listenerWatch = backend.watchProcess(Atomics.load(words, C.listenerPid));
    try {
      if (!listenerWatch.alive()) throw nobody();
      // Our own region: two rings, client→server first.
      const pairName = `ipckit.p.${backend.pid()}.${(pairCounter++).toString(36)}.${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
      pair = await createRegion(pairName, 2 * ringBytes(capacity));
      const pbytes = pair.bytes;
      initRing(pbytes.buffer as ArrayBuffer, pbytes.byteOffset, capacity);
      initRing(pbytes.buffer as ArrayBuffer, pbytes.byteOffset + ringBytes(capacity), capacity);
      const ring0 = new Int32Array(pbytes.buffer, pbytes.byteOffset, RING_HEADER_BYTES / 4);
      const ring1 = new Int32Array(pbytes.buffer, pbytes.byteOffset + ringBytes(capacity), RING_HEADER_BYTES / 4);
      ShmChannel.attach(ring1, ring0, backend.pid());
      ends = [ring0, ring1];
      // Claim a free slot and describe ourselves in it.
      for (;;) {
        for (let i = 0; i < SLOT_COUNT && slot < 0; i++) {
          if (Atomics.compareExchange(words, sw(i, S.state), SLOT_FREE, SLOT_CLAIMED) === SLOT_FREE) slot = i;
        }
        if (slot >= 0) break;
        if (performance.now() > deadline) throw new IpcError('ETIMEDOUT', `every slot of shm://${name} stayed busy for ${timeoutMs} ms`);
        await sleep(5);
      }
      Atomics.store(words, sw(slot, S.clientPid), backend.pid());
      Atomics.store(words, sw(slot, S.serverPid), 0);
      Atomics.store(words, sw(slot, S.capacity), capacity);
      const nameBytes = new Uint8Array(cbytes.buffer, cbytes.byteOffset + sw(slot, S.nameBytes) * 4, SLOT_NAME_BYTES);
      nameBytes.fill(0);
      nameBytes.set(new TextEncoder().encode(pair.path.replace(/^\//, '')));
      const ack = openWaiter(cbytes.buffer as ArrayBuffer, cbytes.byteOffset + sw(slot, S.state) * 4, `${pairName}.ack`);
      try {
        Atomics.store(words, sw(slot, S.state), SLOT_REQUESTED);
        Atomics.add(words, C.bell, 1);
        const bell = openWaiter(cbytes.buffer as ArrayBuffer, cbytes.byteOffset + C.bell * 4, `${control.path.replace(/[\\/]/g, '')}.accept`);
        bell.wake();
        bell.close();
        for (;;) {
          const state = Atomics.load(words, sw(slot, S.state));
          if (state === SLOT_ACCEPTED) break;
          if (state === SLOT_REFUSED || Atomics.load(words, C.state) !== LISTENING || !listenerWatch.alive()) throw nobody();
          if (performance.now() > deadline) {
            // Give up by taking the slot back from the state we saw (1, 2 or
            // 5, accepting): a listener that answers first wins and we take
            // its answer; once we have it, the listener's accept sees that we
            // left and drops its side (docs/ring-protocol.md §2).
            if (Atomics.compareExchange(words, sw(slot, S.state), state, SLOT_FREE) === state) {
              slot = -1;
              throw new IpcError('ETIMEDOUT', `shm://${name} did not accept within ${timeoutMs} ms`);
            }
            continue;
          }
          await ack.wait(state, 20);
        }
      } finally {
        ack.close();
      }
      const serverPid = Atomics.load(words, sw(slot, S.serverPid));
      Atomics.store(words, sw(slot, S.state), SLOT_FREE);
      slot = -1;
      const channel = new ShmChannel({
        region: pair,
        rxOffset: ringBytes(capacity),
        txOffset: 0,
        rxIndex: 1,
        waitName: pairName,
        maxMessageBytes,
        peer: backend.watchProcess(serverPid),
        wait: options,
      });
      pair = undefined;
      return channel;
    } finally {
      listenerWatch.close();
    }
  } finally {
    if (slot >= 0 && words) {
      // Give the slot back, whatever state it is in (the listener may answer meanwhile).
      for (;;) {
        const state = Atomics.load(words, sw(slot, S.state));
        if (state === SLOT_ACCEPTED && ends) {
          // Accepted after all, but we are failing: close our ends as §4 says,
          // so the listener's channel ends instead of waiting for us forever.
          const [tx, rx] = ends;
          Atomics.store(tx, W.producerState, STATE_CLOSED);
          Atomics.store(rx, W.consumerState, STATE_CLOSED);
          Atomics.add(tx, W.dataBell, 1);
          Atomics.add(rx, W.spaceBell, 1);
        }
        if (Atomics.compareExchange(words, sw(slot, S.state), state, SLOT_FREE) === state) break;
      }
    }
    pair?.close();
    control.close();
  }
}

/** The shared-memory transport: its connect gives the richer {@link ShmChannel}. */
export interface ShmTransport extends Transport {
  listen(name: string, options?: ShmListenOptions): Promise<Listener>;
  connect(name: string, options?: ShmConnectOptions): Promise<ShmChannel>;
}

/** The shared-memory transport (`shm://name`). */
export const transport: ShmTransport = {
  scheme: 'shm',
  capabilities: {
    scheme: 'shm',
    duplex: true,
    messageBoundaries: true,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    manyWriters: true,
    crossesMachines: false,
    primitive: byBackend({
      win32: 'file mapping (CreateFileMappingW) with lock-free rings; named events for wake-ups',
      posix: 'POSIX shared memory (shm_open + mmap) with lock-free rings; futex for wake-ups',
    }),
    backend: BACKEND,
  } satisfies Capabilities,
  listen,
  connect,
};
