/**
 * The rendezvous of `shm://name`: the control region's wire layout, the
 * steps a listener and a client take on its slots, and every name a channel
 * derives from its own. docs/ring-protocol.md §1–§2 is the contract; this
 * file is its one implementation (as ring.ts is for §3), so the listener and
 * connect never touch a control word or build a name themselves. A C client
 * speaks the same bytes (test/fixtures/ring-client.c): change nothing here
 * without changing the document and the protocol version.
 */
import { openWaiter, type Waiter } from '@ipckit/native';
import { validateName } from '@ipckit/core/kit';

// ---- Names (§1) -----------------------------------------------------------

/** Longest channel name, in UTF-8 bytes (object and event names are derived from it). */
export const MAX_CHANNEL_NAME_BYTES = 100;
/** Every control region's name starts so; listen() sweeps stale ones under it. */
export const CONTROL_PREFIX = 'ipckit.';
/** Every pair region ipckit makes starts so; listen() sweeps stale ones under it. */
export const PAIR_PREFIX = 'ipckit.p.';

/** Checks a channel name (EINVAL): it is embedded in region and event names, so no separators. */
export function checkChannelName(name: string): string {
  return validateName(name, { maxBytes: MAX_CHANNEL_NAME_BYTES, label: 'shared memory channel name' });
}

/** The control region of channel `name`, before the backend makes it an OS name. */
export function controlRegionName(name: string): string {
  return `${CONTROL_PREFIX}${name}`;
}

/** The event behind the control `bell` (Windows; Linux waits on the word itself). */
export function acceptBellName(name: string): string {
  return `${controlRegionName(name)}.accept`;
}

let pairCounter = 0;
/**
 * A fresh pair region name for a client of process `pid`: unique across the
 * machine (pid, a counter, and a random part for a pid that was reused).
 */
export function newPairName(pid: number): string {
  return `${PAIR_PREFIX}${pid}.${(pairCounter++).toString(36)}.${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
}

/** The event behind a slot's `state` word while `pairName`'s client waits on it. */
export function ackBellName(pairName: string): string {
  return `${pairName}.ack`;
}

/** The event behind ring `ring`'s `dataBell` or `spaceBell` in the pair region `pairName`. */
export function ringBellName(pairName: string, ring: 0 | 1, bell: 'data' | 'space'): string {
  return `${pairName}.${ring}${bell === 'data' ? 'd' : 's'}`;
}

// ---- Layout (§2; all u32, little-endian) ----------------------------------

/** 'IPCL' as a little-endian u32, stored last so a reader never sees a half-made header. */
export const CONTROL_MAGIC = 0x4c435049;
export const CONTROL_VERSION = 1;
/** Slots of a control region unless the listener asks for another count (`slots` option). */
export const SLOT_COUNT = 64;
/** The most slots a listener may ask for (a 512 KiB control region). */
export const MAX_SLOTS = 4096;
export const SLOT_BYTES = 128;
export const SLOTS_OFFSET = 64;
/** Bytes of a control region of `slots` slots. */
export function controlBytes(slots: number): number {
  return SLOTS_OFFSET + slots * SLOT_BYTES;
}
/** Room for a pair region's name in a slot, NUL padding included. */
export const SLOT_NAME_BYTES = 64;

/** Header words (byte offset / 4). */
const C = { magic: 0, version: 1, slots: 2, listenerPid: 3, state: 4, bell: 5 } as const;
/** Slot words, relative to the slot (byte offset / 4). */
const S = { state: 0, clientPid: 1, serverPid: 2, capacity: 3, refusal: 4, name: 16 } as const;

/** Header `state`. */
export const CONTROL_LISTENING = 1;
export const CONTROL_CLOSED = 2;

/** Slot `state`. */
export const SLOT_FREE = 0;
export const SLOT_CLAIMED = 1;
export const SLOT_REQUESTED = 2;
export const SLOT_ACCEPTED = 3;
export const SLOT_REFUSED = 4;
/** The listener is setting the channel up (private to the listener; clients wait, or free the slot when they give up). */
export const SLOT_ACCEPTING = 5;

/** Index of word `word` of slot `slot` in the control region's Int32Array. */
export function slotWord(slot: number, word: number): number {
  return (SLOTS_OFFSET + slot * SLOT_BYTES) / 4 + word;
}

/** What a client asks for in its slot. */
export interface SlotRequest {
  clientPid: number;
  /** Data bytes of each ring in the pair region. */
  capacity: number;
  /** The pair region's name, without a leading `/`. */
  pairName: string;
}

/** The first u32 of a mapped region, or undefined when it has fewer than 4 bytes. */
export function magicOf(bytes: Uint8Array): number | undefined {
  return bytes.length < 4 ? undefined : new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}

/**
 * The slot count a control region's header gives, when the region (`bytes`,
 * all of it) is large enough to hold that many; undefined otherwise (not a
 * control region a client can use).
 */
export function slotsOf(bytes: Uint8Array): number | undefined {
  if (bytes.length < SLOTS_OFFSET) return undefined;
  const slots = new DataView(bytes.buffer, bytes.byteOffset, SLOTS_OFFSET).getUint32(C.slots * 4, true);
  return slots >= 1 && slots <= MAX_SLOTS && bytes.length >= controlBytes(slots) ? slots : undefined;
}

/** A control region's header words, read once (for looking, not for taking part). */
export interface ControlHeader {
  version: number;
  slots: number;
  listenerPid: number;
  /** 1 listening, 2 closed. */
  state: number;
  bell: number;
}

/** The header of the control region in `bytes` (at least {@link SLOTS_OFFSET} bytes). */
export function controlHeader(bytes: Uint8Array): ControlHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SLOTS_OFFSET);
  const word = (index: number): number => view.getUint32(index * 4, true);
  return { version: word(C.version), slots: word(C.slots), listenerPid: word(C.listenerPid), state: word(C.state), bell: word(C.bell) };
}

/**
 * A mapped control region, with the protocol's steps as methods. Every word
 * another process may write is read and written with Atomics (sequentially
 * consistent, as the document's introduction asks).
 */
export class ControlBlock {
  readonly #buffer: ArrayBuffer;
  readonly #byteOffset: number;
  /** The whole region as words. */
  readonly words: Int32Array;

  /** `bytes` must hold at least {@link controlBytes}(`slots`) (the caller checks, e.g. with {@link slotsOf}). */
  constructor(
    bytes: Uint8Array,
    /** How many slots the region has. */
    readonly slots: number,
  ) {
    this.#buffer = bytes.buffer as ArrayBuffer;
    this.#byteOffset = bytes.byteOffset;
    this.words = new Int32Array(this.#buffer, this.#byteOffset, controlBytes(slots) / 4);
  }

  // -- the header --

  /** The listener's first step: fills the header of a fresh (zeroed) region, magic last. */
  publish(listenerPid: number): void {
    const w = this.words;
    w[C.version] = CONTROL_VERSION;
    w[C.slots] = this.slots;
    w[C.listenerPid] = listenerPid;
    Atomics.store(w, C.state, CONTROL_LISTENING);
    Atomics.store(w, C.magic, CONTROL_MAGIC);
  }

  /** True while a listener made this region and has not closed it (its pid is checked apart). */
  get listening(): boolean {
    return Atomics.load(this.words, C.magic) === CONTROL_MAGIC && Atomics.load(this.words, C.state) === CONTROL_LISTENING;
  }

  /** The pid of the process that serves this region. */
  get listenerPid(): number {
    return Atomics.load(this.words, C.listenerPid);
  }

  /** The listener's last word: clients waiting on a slot see it and give up. */
  markClosed(): void {
    Atomics.store(this.words, C.state, CONTROL_CLOSED);
  }

  /** The control `bell`'s current count (the listener waits for it to change). */
  get bell(): number {
    return Atomics.load(this.words, C.bell);
  }

  /** Opens the waiter on the control `bell` of channel `name` (the listener sleeps on it; clients wake it). */
  openAcceptBell(name: string): Waiter {
    return openWaiter(this.#buffer, this.#byteOffset + C.bell * 4, acceptBellName(name));
  }

  // -- one slot --

  /** A slot's `state`. */
  slotState(slot: number): number {
    return Atomics.load(this.words, slotWord(slot, S.state));
  }

  /** Compare-exchanges a slot's `state` from `from` to `to`; true when it held `from`. */
  moveSlot(slot: number, from: number, to: number): boolean {
    return Atomics.compareExchange(this.words, slotWord(slot, S.state), from, to) === from;
  }

  /**
   * The client's step 3: claims the first free slot (0 → 1) and writes
   * `clientPid` into it at once, so that the listener never judges the claim
   * by an earlier client's pid; -1 when none is free.
   */
  claimSlot(clientPid: number): number {
    for (let slot = 0; slot < this.slots; slot++) {
      if (this.moveSlot(slot, SLOT_FREE, SLOT_CLAIMED)) {
        Atomics.store(this.words, slotWord(slot, S.clientPid), clientPid);
        return slot;
      }
    }
    return -1;
  }

  /**
   * Frees `slot` by compare-and-swap from `from` (true when it was), then
   * clears its `clientPid` if it still names `clientPid`: a slot is never
   * left free with the pid of a client that may die, which the listener
   * would take for a dead claimant of the next client's claim.
   */
  release(slot: number, from: number, clientPid: number): boolean {
    if (!this.moveSlot(slot, from, SLOT_FREE)) return false;
    Atomics.compareExchange(this.words, slotWord(slot, S.clientPid), clientPid, 0);
    return true;
  }

  /**
   * The client's step 4 on a slot it claimed: describes itself, stores
   * `requested`, and counts the bell. The caller then wakes the bell.
   */
  request(slot: number, request: SlotRequest): void {
    const w = this.words;
    Atomics.store(w, slotWord(slot, S.clientPid), request.clientPid);
    Atomics.store(w, slotWord(slot, S.serverPid), 0);
    Atomics.store(w, slotWord(slot, S.capacity), request.capacity);
    Atomics.store(w, slotWord(slot, S.refusal), 0);
    const name = new Uint8Array(this.#buffer, this.#byteOffset + slotWord(slot, S.name) * 4, SLOT_NAME_BYTES);
    name.fill(0);
    name.set(new TextEncoder().encode(request.pairName));
    Atomics.store(w, slotWord(slot, S.state), SLOT_REQUESTED);
    Atomics.add(w, C.bell, 1);
  }

  /** What the client of `slot` wrote there (read by the listener, which trusts none of it). */
  requestOf(slot: number): SlotRequest {
    return { clientPid: this.clientPid(slot), capacity: Atomics.load(this.words, slotWord(slot, S.capacity)), pairName: this.slotName(slot) };
  }

  /** The pid of the client holding `slot`. */
  clientPid(slot: number): number {
    return Atomics.load(this.words, slotWord(slot, S.clientPid));
  }

  /** The pair region name in `slot` (up to its first NUL). */
  slotName(slot: number): string {
    const bytes = new Uint8Array(this.#buffer, this.#byteOffset + slotWord(slot, S.name) * 4, SLOT_NAME_BYTES);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.subarray(0, end < 0 ? SLOT_NAME_BYTES : end));
  }

  /** The listener's pid in an accepted slot (the client reads it before freeing the slot). */
  serverPid(slot: number): number {
    return Atomics.load(this.words, slotWord(slot, S.serverPid));
  }

  /**
   * Stores the listener's pid before it answers. Only the listener writes
   * it, always with its own pid, so a slot claimed meanwhile by another
   * client still reads right.
   */
  setServerPid(slot: number, pid: number): void {
    Atomics.store(this.words, slotWord(slot, S.serverPid), pid);
  }

  /**
   * The listener's answer, `accepted` or `refused`: a compare-exchange from
   * `accepting`, never a store, because a client that gave up may have freed
   * the slot (and another claimed it) meanwhile. True when it was delivered.
   */
  answer(slot: number, state: typeof SLOT_ACCEPTED | typeof SLOT_REFUSED): boolean {
    return this.moveSlot(slot, SLOT_ACCEPTING, state);
  }

  /**
   * Why the listener refused `slot`: the OS error number (errno on POSIX,
   * GetLastError() on Windows) that kept it from opening the client's
   * channel, or 0 when it gave none (an invalid request, or a listener that
   * predates the word). The listener stores it before it answers `refused`.
   */
  refusal(slot: number): number {
    return Atomics.load(this.words, slotWord(slot, S.refusal));
  }

  /** The listener's side of {@link refusal}: stored before the answer. */
  setRefusal(slot: number, osError: number): void {
    Atomics.store(this.words, slotWord(slot, S.refusal), osError);
  }

  /** Opens the waiter on `slot`'s `state` word, named after the client's pair region. */
  openAckBell(slot: number, pairName: string): Waiter {
    return openWaiter(this.#buffer, this.#byteOffset + slotWord(slot, S.state) * 4, ackBellName(pairName));
  }
}
