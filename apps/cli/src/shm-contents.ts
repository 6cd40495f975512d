/**
 * What an ipckit shared-memory object holds, told by its first bytes: a
 * topic's control region ('IPCT'), a topic's data region ('TOPD'), a mutex
 * ('IPCM'), a semaphore's record ('IPCS') or an event ('IPCE'), or else a
 * plain region; and for a topic, what its headers say (publisher, subscribers
 * counted in, history, how many messages so far). The layouts are the
 * documented ones: docs/topics-shm.md §3 and §4, docs/sync.md ("POSIX
 * layouts"), the same bytes a C program reads.
 *
 * It only reads (read(2), never a mapping that a truncation could fault),
 * without following a link or blocking on a FIFO, and only files of this
 * user: whether an object is live or stale is never judged here, but by the
 * one ownership-and-liveness rule (@ipckit/shared-memory's listShmObjects).
 * Linux only, where shm objects are files in /dev/shm.
 */
import { DATA_MAGIC, TOPIC_MAGIC, readShmObject } from '@ipckit/shared-memory';
import type { SlowSubscriberPolicy } from '@ipckit/core';

/** The magics of docs/sync.md: the first u32 of each sync object's region. */
const SYNC_MAGICS: Readonly<Record<number, 'mutex' | 'semaphore' | 'event'>> = {
  0x4d435049: 'mutex',
  0x53435049: 'semaphore',
  0x45435049: 'event',
};

/** docs/topics-shm.md §3: the control header's size and words, and a slot's. */
const TOPIC_HEADER_BYTES = 128;
const TOPIC_SLOT_BYTES = 64;
const MAX_TOPIC_SLOTS = 4096;
const CONTROL = { maxSubscribers: 8, publisherPid: 12, state: 16, dataName: 64 } as const;
const DATA_NAME_BYTES = 64;
const SLOT_ACTIVE = 3;
const TOPIC_OPEN = 1;
/** docs/topics-shm.md §4: the data header. */
const DATA_HEADER_BYTES = 128;
const DATA = { maxMessageBytes: 16, policy: 20, history: 24, capacity: 28, head: 64, state: 72 } as const;
const POLICIES: readonly SlowSubscriberPolicy[] = ['block', 'drop-oldest', 'disconnect'];
/** A data region's name as ipckit makes it (docs/topics-shm.md §2): `ipckit.p.<pid>.<counter>.<random>.topic`. */
const DATA_NAME = /^ipckit\.p\.[A-Za-z0-9._-]+\.topic$/;

const MY_UID = process.getuid?.();

/** What a shm object holds, by its magic; undefined for anything else (a plain region, a listener's control region). */
export type ShmContent = 'topic' | 'topic-data' | 'mutex' | 'semaphore' | 'event';

/** A shm:// topic, as its control and data headers say at the moment they were read. */
export interface TopicInfo {
  /** The publisher's pid, as the control header names it. */
  readonly publisherPid: number;
  /** The subscribers the publisher has counted in (slots in state active). */
  readonly subscribers: number;
  readonly maxSubscribers: number;
  /** False once the publisher has closed the topic (it is going away). */
  readonly open: boolean;
  /** Messages a late subscriber receives first. From the data region, like the rest (absent when it could not be read). */
  readonly history?: number;
  /** Messages a subscriber may fall behind before the policy applies. */
  readonly capacity?: number;
  readonly policy?: SlowSubscriberPolicy;
  readonly maxMessageBytes?: number;
  /** Messages published so far, modulo 2^32 (the data header's `head`). */
  readonly published?: number;
  /** The data region's name. */
  readonly dataRegion?: string;
  /**
   * Messages per second since the previous look: set by a watching
   * `discover()` only (a single look has nothing to compare with).
   */
  readonly messageRate?: number;
}

/** Up to `length` bytes at 0 of the file `path`, when it is a regular file of this user; undefined otherwise. */
function readHead(path: string, length: number): Uint8Array | undefined {
  try {
    const object = readShmObject(path, length);
    if (object === undefined || (MY_UID !== undefined && object.info.uid !== MY_UID)) return undefined;
    return object.bytes;
  } catch {
    return undefined;
  }
}

function u32(bytes: Uint8Array, offset: number): number | undefined {
  return bytes.length < offset + 4 ? undefined : new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(offset, true);
}

/** What the object at `path` holds, by its first word (see {@link ShmContent}). */
export function shmContent(path: string): ShmContent | undefined {
  const bytes = readHead(path, 4);
  const magic = bytes === undefined ? undefined : u32(bytes, 0);
  if (magic === undefined) return undefined;
  if (magic === TOPIC_MAGIC) return 'topic';
  if (magic === DATA_MAGIC) return 'topic-data';
  return SYNC_MAGICS[magic];
}

/** The topic whose control region is the file `path` (docs/topics-shm.md §3, §4); undefined when it is not one. */
export function readTopic(path: string, shmDir = '/dev/shm'): TopicInfo | undefined {
  const header = readHead(path, TOPIC_HEADER_BYTES);
  if (header === undefined || header.length < TOPIC_HEADER_BYTES || u32(header, 0) !== TOPIC_MAGIC) return undefined;
  const maxSubscribers = Math.min(u32(header, CONTROL.maxSubscribers) ?? 0, MAX_TOPIC_SLOTS);
  const whole = readHead(path, TOPIC_HEADER_BYTES + maxSubscribers * TOPIC_SLOT_BYTES) ?? header;
  let subscribers = 0;
  for (let slot = 0; slot < maxSubscribers; slot++) {
    if (u32(whole, TOPIC_HEADER_BYTES + slot * TOPIC_SLOT_BYTES) === SLOT_ACTIVE) subscribers++;
  }
  const nameBytes = header.subarray(CONTROL.dataName, CONTROL.dataName + DATA_NAME_BYTES);
  const end = nameBytes.indexOf(0);
  const dataName = new TextDecoder('utf-8', { fatal: false }).decode(nameBytes.subarray(0, end < 0 ? nameBytes.length : end));
  const topic: TopicInfo = {
    publisherPid: u32(header, CONTROL.publisherPid) ?? 0,
    subscribers,
    maxSubscribers,
    open: u32(header, CONTROL.state) === TOPIC_OPEN,
  };
  // Only a name of ipckit's own shape is followed: the header is bytes another process wrote.
  if (!DATA_NAME.test(dataName)) return topic;
  const data = readHead(`${shmDir}/${dataName}`, DATA_HEADER_BYTES);
  if (data === undefined || data.length < DATA_HEADER_BYTES || u32(data, 0) !== DATA_MAGIC) return topic;
  const policy = POLICIES[u32(data, DATA.policy) ?? -1];
  return {
    ...topic,
    dataRegion: dataName,
    history: u32(data, DATA.history) ?? 0,
    capacity: u32(data, DATA.capacity) ?? 0,
    maxMessageBytes: u32(data, DATA.maxMessageBytes) ?? 0,
    published: u32(data, DATA.head) ?? 0,
    ...(policy === undefined ? {} : { policy }),
  };
}
