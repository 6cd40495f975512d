/**
 * The control region of an `shm://` topic (docs/topics-shm.md §2, §3): its
 * names, its header and slot words, and the small steps both sides take on
 * them. The publisher maps it read-write and writes the header; each
 * subscriber maps it read-write too but writes only its own slot and the
 * header's `bell` and `sleepers`. Every word another process may write is
 * read and written with Atomics (sequentially consistent, as the document
 * asks). A C subscriber speaks the same bytes (test/fixtures/topic-subscriber.c).
 */
import { openWaiter, type Waiter } from '@ipckit/native';
import { controlRegionName } from './rendezvous.js';

/** 'IPCT' as a little-endian u32, stored last so a reader never sees a half-made header. */
export const TOPIC_MAGIC = 0x54435049;
export const TOPIC_VERSION = 1;
/** The most slots (`maxSubscribers`) a control region has. */
export const MAX_TOPIC_SLOTS = 4096;
/** Bytes of the control header. */
export const TOPIC_HEADER_BYTES = 128;
/** Bytes of one subscriber slot (a cache line). */
export const TOPIC_SLOT_BYTES = 64;
/** Room for the data region's name in the header, NUL padding included. */
export const DATA_NAME_BYTES = 64;
/** Every data region's name ends so (after the pair prefix and a unique part). */
export const DATA_SUFFIX = '.topic';

/** Bytes of a control region with `maxSubscribers` slots. */
export function topicControlBytes(maxSubscribers: number): number {
  return TOPIC_HEADER_BYTES + maxSubscribers * TOPIC_SLOT_BYTES;
}

/** The control region of topic `name`: the name a channel listener would take, so one thing serves a name. */
export function topicControlName(name: string): string {
  return controlRegionName(name);
}

/** The event behind the header `bell` (Windows: `Local\ipckit-<name>.pub`; Linux waits on the word). */
export function publisherBellName(name: string): string {
  return `${name}.pub`;
}

/** The event behind slot `slot`'s `bell`. */
export function slotBellName(name: string, slot: number): string {
  return `${name}.${slot}`;
}

/** Header words (byte offset / 4). */
export const H = {
  magic: 0,
  version: 1,
  maxSubscribers: 2,
  publisherPid: 3,
  state: 4,
  bell: 5,
  publisherSleeping: 6,
  publisherToken: 7,
  publisherBell: 8,
  sleepers: 9,
  /** While `wakeAtSet` is 1: the publisher waits for every active cursor to reach this sequence number (docs/topics-shm.md §5). */
  wakeAt: 10,
  /** 1 while `wakeAt` holds (the publisher waits for room under `block`); 0 otherwise. */
  wakeAtSet: 11,
  /** The data region's name starts at this word (byte 64). */
  dataName: 16,
} as const;

/** Slot words, relative to the slot (byte offset / 4). */
export const S = {
  state: 0,
  pid: 1,
  cursor: 2,
  holding: 3,
  sleeping: 4,
  bell: 5,
  token: 6,
  doorbellThread: 7,
  flags: 8,
  start: 9,
  /** The high 32 bits of `start`, so subscribers number messages past 2^32 right. */
  startHigh: 10,
} as const;

/** Header and data `state`. */
export const TOPIC_OPEN = 1;
export const TOPIC_CLOSED = 2;

/** Slot `state`. */
export const SLOT_FREE = 0;
export const SLOT_CLAIMED = 1;
export const SLOT_REQUESTED = 2;
export const SLOT_ACTIVE = 3;
export const SLOT_REFUSED = 4;
export const SLOT_EVICTED = 5;
export const SLOT_LEFT = 6;

/** Slot `flags` bit 0: this subscriber rings doorbells (the publisher may sleep on its own). */
export const FLAG_RINGS_DOORBELLS = 1;

/** `sleeping` / `publisherSleeping`. */
export const AWAKE = 0;
export const ON_BELL = 1;
export const ON_DOORBELL = 2;

/** A mapped control region, with word access by name. */
export class TopicControl {
  readonly words: Int32Array;
  readonly #buffer: ArrayBuffer;
  readonly #byteOffset: number;

  /** `bytes` must hold at least {@link topicControlBytes}(`slots`). */
  constructor(
    bytes: Uint8Array,
    /** How many slots the region has (`maxSubscribers`). */
    readonly slots: number,
  ) {
    this.#buffer = bytes.buffer as ArrayBuffer;
    this.#byteOffset = bytes.byteOffset;
    this.words = new Int32Array(this.#buffer, this.#byteOffset, topicControlBytes(slots) / 4);
  }

  /** Index of word `word` of slot `slot`. */
  slotWord(slot: number, word: number): number {
    return (TOPIC_HEADER_BYTES + slot * TOPIC_SLOT_BYTES) / 4 + word;
  }

  /** The publisher's first step on a fresh (zeroed) region: fills the header, magic last. */
  init(maxSubscribers: number, publisherPid: number, dataName: string): void {
    const w = this.words;
    w[H.version] = TOPIC_VERSION;
    w[H.maxSubscribers] = maxSubscribers;
    w[H.publisherPid] = publisherPid;
    const name = new Uint8Array(this.#buffer, this.#byteOffset + H.dataName * 4, DATA_NAME_BYTES);
    name.fill(0);
    name.set(new TextEncoder().encode(dataName));
    Atomics.store(w, H.state, TOPIC_OPEN);
    Atomics.store(w, H.magic, TOPIC_MAGIC);
  }

  /** The data region's name as the header gives it (up to its first NUL). */
  dataName(): string {
    const bytes = new Uint8Array(this.#buffer, this.#byteOffset + H.dataName * 4, DATA_NAME_BYTES);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.subarray(0, end < 0 ? DATA_NAME_BYTES : end));
  }

  load(word: number): number {
    return Atomics.load(this.words, word);
  }

  store(word: number, value: number): void {
    Atomics.store(this.words, word, value);
  }

  /** A slot word. */
  slot(slot: number, word: number): number {
    return Atomics.load(this.words, this.slotWord(slot, word));
  }

  setSlot(slot: number, word: number, value: number): void {
    Atomics.store(this.words, this.slotWord(slot, word), value);
  }

  /** Compare-exchanges a slot word; true when it held `from`. */
  moveSlot(slot: number, word: number, from: number, to: number): boolean {
    return Atomics.compareExchange(this.words, this.slotWord(slot, word), from, to) === from;
  }

  /** Opens a waiter on the header `bell` (the publisher sleeps there; subscribers wake it). */
  openPublisherBell(name: string): Waiter {
    return openWaiter(this.#buffer, this.#byteOffset + H.bell * 4, publisherBellName(name));
  }

  /** Opens a waiter on slot `slot`'s `bell`. */
  openSlotBell(name: string, slot: number): Waiter {
    return openWaiter(this.#buffer, this.#byteOffset + this.slotWord(slot, S.bell) * 4, slotBellName(name, slot));
  }

  /** Byte offset of a word in the region's buffer (for {@link Bell}). */
  byteOffsetOf(word: number): number {
    return this.#byteOffset + word * 4;
  }

  /** The region's ArrayBuffer. */
  get buffer(): ArrayBuffer {
    return this.#buffer;
  }
}

/** The first u32 of a mapped region (little-endian), or undefined when it has fewer than 4 bytes. */
export function firstWord(bytes: Uint8Array): number | undefined {
  return bytes.length < 4 ? undefined : new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}

/** Distance from `from` to `to` as positions mod 2^32 (negative when `to` is behind). */
export function seqDiff(to: number, from: number): number {
  return (to - from) | 0;
}
