/**
 * What shm:// topics promise beyond the conformance section (issue 19 §2):
 * subscribers read the publisher's one copy in place, from a mapping they
 * cannot write; another user can neither read, publish on, nor squat a name.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { anotherUser, asAnotherUser } from '@ipckit/core/testing';
import { IS_LINUX } from '@ipckit/sys';
import type { ShmBackend } from '../src/backend.js';
import type { Doorbell } from '../src/doorbell.js';
import { publishTopic, subscribeTopic } from '../src/index.js';
import { SlotTable } from '../src/topic-admission.js';
import { poolCapacityFor } from '../src/topic-data.js';
import { H, ON_DOORBELL, S, TopicControl, topicControlBytes } from '../src/topic-control.js';
import { fixture, watchdog } from './helpers.js';

describe('shm:// topics: in place and read-only', () => {
  it('receiveInPlace hands out a view of the shared pool, the same bytes for every subscriber', async () => {
    const name = uniqueName('shmtopic');
    const publisher = await publishTopic(name);
    try {
      const a = await subscribeTopic(name, { readAhead: 0 });
      const b = await subscribeTopic(name, { readAhead: 0 });
      await publisher.send(new Uint8Array([1, 2, 3, 4]));
      const ina = await a.receiveInPlace!({ timeoutMs: 10_000 });
      const inb = await b.receiveInPlace!({ timeoutMs: 10_000 });
      expect([...ina!.data]).toEqual([1, 2, 3, 4]);
      expect([...inb!.data]).toEqual([1, 2, 3, 4]);
      // A view into the mapped data region (past its header and descriptors), not a copy of four bytes.
      expect(ina!.data.buffer.byteLength).toBeGreaterThan(4096);
      expect(ina!.data.byteOffset).toBeGreaterThanOrEqual(4096);
      // While held, a second receive is refused (one message at a time).
      await expect(a.receiveInPlace!()).rejects.toMatchObject({ code: 'EINVAL' });
      ina!.release();
      inb!.release();
      await publisher.send(new Uint8Array([5]));
      expect([...(await a.receive({ timeoutMs: 10_000 }))!.data]).toEqual([5]);
      await a.close();
      await b.close();
    } finally {
      await publisher.close();
    }
  });

  it('a subscriber that writes into a message it holds dies (the data region is mapped read-only); the others read it intact', async () => {
    const name = uniqueName('shmtopic');
    const publisher = await publishTopic(name);
    try {
      const child = spawn(process.execPath, [fixture('topic-writer.mjs'), name], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      await watchdog(publisher.waitForSubscribers(1), 20_000, 'the writer to subscribe');
      const honest = await subscribeTopic(name, { readAhead: 0 });
      await publisher.send(new Uint8Array([0x11, 0x22]));
      const ended = await watchdog(exited, 20_000, 'the writer to exit');
      expect(out).toContain('got 17');
      expect(out).not.toContain('wrote');
      expect(ended.signal === 'SIGSEGV' || ended.signal === 'SIGBUS' || (ended.code !== 0 && ended.code !== null)).toBe(true);
      const got = await honest.receive({ timeoutMs: 10_000 });
      expect([...got!.data]).toEqual([0x11, 0x22]);
      await honest.close();
    } finally {
      await publisher.close();
    }
  });
});

const other = anotherUser();

describe.runIf(other !== undefined)('another user and an shm:// topic', () => {
  it('cannot open a topic to subscribe (its regions are 0600) nor publish on its name', async () => {
    const name = uniqueName('shmtopic-attack');
    const publisher = await publishTopic(name);
    try {
      const probe = (path: string): string =>
        asAnotherUser(
          `${process.execPath} -e "try { require('node:fs').openSync('${path}', 'r+'); console.log('opened') } catch (e) { console.log(e.code) }"`,
        ).trim();
      expect(probe(`/dev/shm/ipckit.${name}`)).toBe('EACCES');
      expect(publisher.subscriberCount).toBe(0);
      // The topic still works for its own user.
      const mine = await subscribeTopic(name);
      await publisher.send(new TextEncoder().encode('mine'));
      expect(new TextDecoder().decode((await mine.receive({ timeoutMs: 10_000 }))!.data)).toBe('mine');
      await mine.close();
    } finally {
      await publisher.close();
    }
  });

  it('a name another user made first is refused: publish fails, subscribe gives EACCES', async () => {
    const name = uniqueName('shmtopic-squat');
    const path = `/dev/shm/ipckit.${name}`;
    // The squatter makes a region readable by all, with a topic's magic, under the name.
    asAnotherUser(
      `${process.execPath} -e "const b = Buffer.alloc(4096); b.writeUInt32LE(0x54435049, 0); b.writeUInt32LE(1, 4); b.writeUInt32LE(1, 8); b.writeUInt32LE(1, 12); b.writeUInt32LE(1, 16); require('node:fs').writeFileSync('${path}', b, { mode: 0o666 })"`,
    );
    try {
      const refused = await publishTopic(name).then(
        () => undefined,
        (error: unknown) => (error as { code?: string }).code,
      );
      expect(['EADDRINUSE', 'EACCES']).toContain(refused);
      await expect(subscribeTopic(name)).rejects.toMatchObject({ code: 'EACCES' });
    } finally {
      asAnotherUser(`rm -f ${path}`);
    }
  });
});

describe('shm:// topics: wake-ups', () => {
  /** The header `bell` of topic `name`'s control region (docs/topics-shm.md §3: word 5), read from /dev/shm. */
  const headerBell = (name: string): number => readFileSync(`/dev/shm/ipckit.${name}`).readInt32LE(20);

  /** Header word `index` of topic `name`'s control region. */
  const headerWord = (name: string, index: number): number => readFileSync(`/dev/shm/ipckit.${name}`).readInt32LE(4 * index);

  it.runIf(IS_LINUX)('a publisher waiting for room is woken by the last subscriber to reach half of what is in flight, not by each', async () => {
    const name = uniqueName('shmtopic');
    const capacity = 4;
    const publisher = await publishTopic(name, { capacity, policy: 'block', blockTimeoutMs: 60_000 });
    try {
      const subs = [];
      for (let i = 0; i < 3; i++) subs.push(await subscribeTopic(name, { readAhead: 0 }));
      await watchdog(publisher.waitForSubscribers(3), 20_000, 'the subscribers to be counted in');
      for (let i = 0; i < capacity; i++) await publisher.send(new Uint8Array([i]));
      // The fifth message overwrites the first: the publisher needs every cursor at 1, and asks to be
      // woken when all are at 2 (1 + half of the 3 messages in flight past it).
      let sent = false;
      const blocked = publisher.send(new Uint8Array([capacity])).then(() => (sent = true));
      expect(headerWord(name, 11)).toBe(1); // wakeAtSet
      expect(headerWord(name, 10)).toBe(2); // wakeAt
      const before = headerBell(name);
      for (const sub of subs.slice(0, 2)) {
        for (const i of [0, 1]) expect([...(await sub.receive({ timeoutMs: 10_000 }))!.data]).toEqual([i]);
      }
      // Two of three are past it: neither rang, the third (at 0) still holds the publisher back.
      expect(headerBell(name) - before).toBe(0);
      expect(sent).toBe(false);
      // The third reaches 1, which is room, but not 2: it rings nobody (the publisher's watchdog finds the room).
      expect([...(await subs[2]!.receive({ timeoutMs: 10_000 }))!.data]).toEqual([0]);
      expect(headerBell(name) - before).toBe(0);
      expect([...(await subs[2]!.receive({ timeoutMs: 10_000 }))!.data]).toEqual([1]);
      await watchdog(blocked, 30_000, 'the blocked send');
      // One ring at most: the third reaching 2, unless the watchdog let the publisher go first.
      expect(headerBell(name) - before).toBeLessThanOrEqual(1);
      expect(headerWord(name, 11)).toBe(0);
      for (const sub of subs) {
        for (let i = 2; i <= capacity; i++) expect([...(await sub.receive({ timeoutMs: 10_000 }))!.data]).toEqual([i]);
        await sub.close();
      }
    } finally {
      await publisher.close();
    }
  });

  it.runIf(IS_LINUX)('a subscriber reading ahead wakes a blocked publisher once per run of messages, not once per message', async () => {
    const name = uniqueName('shmtopic');
    const capacity = 64;
    const publisher = await publishTopic(name, { capacity, policy: 'block', blockTimeoutMs: 60_000 });
    try {
      const subscriber = await subscribeTopic(name);
      await watchdog(publisher.waitForSubscribers(1), 20_000, 'the subscriber to be counted in');
      // Fill the ring without letting the event loop turn: the subscriber cannot read yet.
      for (let i = 0; i < capacity; i++) await publisher.send(new Uint8Array([i]));
      const before = headerBell(name);
      // This send finds no room and waits; the subscriber's read-ahead then copies all 64 in one run.
      await watchdog(publisher.send(new Uint8Array([capacity])), 30_000, 'the blocked send');
      const rings = headerBell(name) - before;
      // One ring per half ring of descriptors freed (2 here), where it used to be one per message (64).
      expect(rings).toBeGreaterThanOrEqual(1);
      expect(rings).toBeLessThanOrEqual(4);
      for (let i = 0; i <= capacity; i++) expect([...(await subscriber.receive({ timeoutMs: 10_000 }))!.data]).toEqual([i]);
      await subscriber.close();
    } finally {
      await publisher.close();
    }
  });
});

describe('shm:// topics: a burst wakes each sleeping subscriber once or twice, not once per message', () => {
  /** A slot table over a control region in plain memory, its one subscriber marked asleep on its doorbell before every send. */
  function table(): { slots: SlotTable; control: TopicControl; rings: () => number; sleep: () => void } {
    let rings = 0;
    const doorbell = { ring: () => (rings++, true) } as unknown as Doorbell;
    const control = new TopicControl(new Uint8Array(new SharedArrayBuffer(topicControlBytes(1))), 1);
    const slots = new SlotTable(control, 'unit', undefined as unknown as ShmBackend, doorbell, () => undefined);
    slots.active.add(0);
    const sleep = (): void => {
      control.setSlot(0, S.sleeping, ON_DOORBELL);
      Atomics.store(control.words, H.sleepers, 1);
    };
    return { slots, control, rings: () => rings, sleep };
  }

  it('within one turn of the event loop the first send rings at once and the rest once at its end', async () => {
    const { slots, rings, sleep } = table();
    try {
      for (let head = 1; head <= 100; head++) {
        sleep();
        slots.wakeSleepers(head, true);
      }
      expect(rings()).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(rings()).toBe(2);
      // The next turn starts afresh: its first send rings at once.
      sleep();
      slots.wakeSleepers(101, true);
      expect(rings()).toBe(3);
    } finally {
      slots.dispose();
    }
  });

  it('flushWakes rings what was deferred at once (the publisher is about to wait), and sendSync never defers', () => {
    const { slots, rings, sleep } = table();
    try {
      sleep();
      slots.wakeSleepers(1, true);
      sleep();
      slots.wakeSleepers(2, true);
      expect(rings()).toBe(1);
      slots.flushWakes();
      expect(rings()).toBe(2);
      for (let head = 3; head <= 12; head++) {
        sleep();
        slots.wakeSleepers(head, false);
      }
      expect(rings()).toBe(12);
    } finally {
      slots.dispose();
    }
  });
});

describe('shm:// topics: the pool', () => {
  it('holds `capacity` messages of maxMessageBytes up to 8 MiB, and always two', () => {
    const MiB = 1024 * 1024;
    expect(poolCapacityFor(64, 64)).toBe(64 * 1024); // 4 KiB in flight: the smallest pool
    expect(poolCapacityFor(64, 64 * 1024)).toBe(4 * MiB);
    expect(poolCapacityFor(64, MiB)).toBe(8 * MiB); // the default topic
    expect(poolCapacityFor(4, MiB)).toBe(4 * MiB);
    expect(poolCapacityFor(64, 16 * MiB)).toBe(32 * MiB);
    expect(poolCapacityFor(1, 512 * MiB)).toBe(1024 * MiB);
  });
});
