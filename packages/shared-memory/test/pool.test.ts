import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { patternMessage, sameBytes } from '@ipckit/core/testing';
import { RING_HEADERS } from '../src/channel.js';
import { transport, type ShmChannel } from '../src/index.js';
import { POOL_RECORD, READS_POOL, RECORD_HEADER_BYTES, RING_HEADER_BYTES, W } from '../src/ring.js';
import { PoolWriter, poolCapacityFor } from '../src/pool.js';
import { shmBackend } from '../src/region.js';
import { Doorbell } from '../src/doorbell.js';
import { nextTurn } from '../src/turns.js';
import { Child, fixture, shmLeftovers, watchdog } from './helpers.js';

// The payload pool (docs/ring-protocol.md §6): a message larger than a ring record crosses
// as one pool record, copied once in and once out. The C client (c-client.test.ts), which
// does not set READS_POOL, keeps getting fragments.
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const KiB = 1024;
const MiB = 1024 * KiB;
/** Bytes a pool record takes in the ring: an 8-byte record header and 16 bytes of payload. */
const POOL_RECORD_SIZE = RECORD_HEADER_BYTES + 16;
const headOf = (h: Int32Array): number => Atomics.load(h, W.head) >>> 0;

/** A client connected to an echo in another process (it sends every message back). */
async function echo(ringBytes: number): Promise<{ channel: ShmChannel; child: Child }> {
  const name = uniqueName('shmpool');
  const child = Child.node(fixture('channel-peer.mjs'), 'listen-echo', name);
  closers.push(() => child.kill());
  expect(await child.line()).toBe('ready');
  const channel = await transport.connect(name, { ringBytes });
  closers.push(() => channel.close());
  return { channel, child };
}

/** Both ends in this process (a connects, b is accepted), 4 KiB rings: a ring record holds at most 1016 bytes. */
async function pair(): Promise<{ a: ShmChannel; b: ShmChannel; closeListener: () => Promise<void> }> {
  const name = uniqueName('shmpoolp');
  const listener = await transport.listen(name);
  closers.push(() => listener.close());
  const accepted = listener[Symbol.asyncIterator]().next();
  const a = await transport.connect(name, { ringBytes: 4096 });
  const b = (await accepted).value as ShmChannel;
  closers.push(
    () => a.close(),
    () => b.close(),
  );
  return { a, b, closeListener: () => listener.close() };
}

/** Pool regions of this process's pairs in /dev/shm (Linux; the consumer unlinks a pool's name once it has mapped it). */
const poolNames = (): string[] => readdirSync('/dev/shm').filter((f) => f.startsWith(`ipckit.p.${process.pid}.`) && f.endsWith('pool'));

describe('shm payload pool', () => {
  it("rings a writer waiting for room at once when a large message is read, and defers the ring after a small one to the turn's end", async () => {
    // Deferring saves a syscall per small message (posix-doorbell.ts). After a large one, the writer
    // would sleep for as long as the reader's turn goes on, which a stream of large messages keeps
    // going for hundreds of µs (issue 20 §2).
    // The real ring, watched: each call's `defer` (omitted means false).
    const ring = vi.spyOn(Doorbell.prototype, 'ring');
    closers.push(() => ring.mockRestore());
    const defers = (): boolean[] => ring.mock.calls.map((call) => call[3] ?? false);
    const name = uniqueName('shmpoold');
    const listener = await transport.listen(name);
    closers.push(() => listener.close());
    const accepted = listener[Symbol.asyncIterator]().next();
    // 4 KiB rings (a record holds at most 1016 bytes); a 128 KiB pool holds two 64 KiB messages.
    const a = await transport.connect(name, { ringBytes: 4096, maxMessageBytes: 64 * KiB });
    const b = (await accepted).value as ShmChannel;
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    for (const [size, deferred] of [
      [64 * KiB, false],
      [600, true],
    ] as const) {
      // Fill the pool (large) or the ring (small) until a send has to wait, and let it fall asleep.
      const sends: Array<Promise<void>> = [];
      while (sends.length < 64) {
        sends.push(a.send(patternMessage(size, sends.length)));
        await nextTurn();
        await nextTurn();
        if (Atomics.load(a[RING_HEADERS]().tx, W.producerSleeping) !== 0) break;
      }
      expect(Atomics.load(a[RING_HEADERS]().tx, W.producerSleeping), `${size} B: the writer sleeps`).not.toBe(0);
      ring.mockClear();
      const got = await watchdog(b.receive(), 60_000, `a ${size}-byte message`);
      expect(got && sameBytes(got, patternMessage(size, 0))).toBe(true);
      expect(defers(), `${size} B`).toEqual([deferred]);
      for (let i = 1; i < sends.length; i++) await watchdog(b.receive(), 60_000, `message ${i}`);
      await watchdog(Promise.all(sends), 60_000, 'the sends');
    }
    // The same rule for a reader waiting for a message.
    for (const [size, deferred] of [
      [64 * KiB, false],
      [600, true],
    ] as const) {
      const receive = b.receive();
      for (let i = 0; i < 1000 && Atomics.load(a[RING_HEADERS]().tx, W.consumerSleeping) === 0; i++) await nextTurn();
      expect(Atomics.load(a[RING_HEADERS]().tx, W.consumerSleeping), `${size} B: the reader sleeps`).not.toBe(0);
      ring.mockClear();
      await a.send(patternMessage(size, 7));
      expect(defers(), `${size} B sent`).toEqual([deferred]);
      const got = await watchdog(receive, 60_000, `a ${size}-byte message`);
      expect(got && sameBytes(got, patternMessage(size, 7))).toBe(true);
    }
  });

  it('keeps two largest messages in flight: after the reader caught up, the next one does not skip to offset 0 over the rest of the pool', async () => {
    // A skip counts as used until the reader passes it. The writer used to start again at 0 whenever
    // the pool was empty, so a message of half the pool, written after the reader caught up, took the
    // whole pool: the writer waited for each message to be read before writing the next (issue 20 §2).
    const backend = await shmBackend();
    const h = new Int32Array(new SharedArrayBuffer(RING_HEADER_BYTES));
    Atomics.store(h, W.consumerFlags, READS_POOL);
    const writer = new PoolWriter(h, { backend, path: backend.osName(uniqueName('shmpoolw') + '.0pool') }, MiB);
    closers.push(() => writer.close());
    const capacity = poolCapacityFor(MiB);
    const big = patternMessage(capacity / 2, 1);
    const first = writer.write(big)!;
    expect(first.offset).toBe(0);
    Atomics.store(h, W.poolTail, first.end); // the reader caught up
    const second = writer.write(big)!;
    expect(second.offset).toBe(capacity / 2);
    // The first half is free again while the second message is still being read: the third goes in now.
    Atomics.store(h, W.poolTail, first.end);
    expect(writer.fits(big.length)).toBe(true);
    expect(writer.write(big)!.offset).toBe(0);
    expect(writer.fits(big.length)).toBe(false);
    // Small messages still start again at 0 once the reader caught up, when that leaves room for the next.
    const small = patternMessage(64 * KiB, 2);
    const writer2 = new PoolWriter(h, { backend, path: backend.osName(uniqueName('shmpoolw') + '.1pool') }, MiB);
    closers.push(() => writer2.close());
    Atomics.store(h, W.poolTail, 0);
    let end = 0;
    for (let i = 0; i < 2; i++) end = writer2.write(small)!.end;
    Atomics.store(h, W.poolTail, end);
    expect(writer2.write(small)!.offset).toBe(0);
  });

  it('keeps messages already sent readable after their sender closed, before the peer reached them (the pool stays until read)', async () => {
    const { a, b } = await pair();
    const sizes = [5000, 64 * KiB, MiB];
    for (const [i, size] of sizes.entries()) await a.send(patternMessage(size, i));
    // The sender is done and has closed; nothing was read yet: the messages are still b's to read,
    // as a socket's are after its sender exits. (It failed with EIO: the pool was unlinked at close.)
    await watchdog(a.close(), 60_000, "the sender's close");
    for (const [i, size] of sizes.entries()) {
      const got = await watchdog(b.receive(), 60_000, `message ${i}`);
      expect(got && sameBytes(got, patternMessage(size, i)), `message ${i}`).toBe(true);
    }
    expect(await watchdog(b.receive(), 60_000, 'the end')).toBeUndefined();
    // The reader unlinked the name once it had mapped the pool: nothing stays behind.
    expect(poolNames()).toEqual([]);
  });

  it('a pool left for a reader that closes without reading it is removed by that reader', async () => {
    const { a, b } = await pair();
    await a.send(patternMessage(64 * KiB, 1));
    await watchdog(a.close(), 60_000, "the sender's close");
    expect(poolNames()).toHaveLength(1);
    await b.close();
    expect(poolNames()).toEqual([]);
  });

  it('copies a pool message out once: one set() of its bytes per receive, async and sync', async () => {
    const { a, b } = await pair();
    const size = 64 * KiB;
    await a.send(patternMessage(size, 1));
    await a.send(patternMessage(size, 2));
    // Both records are in the ring now. Count the copies of `size` bytes that each receive makes
    // (a second set() after copyOut had doubled the cost of every large message, issue 20 §2).
    const set = vi.spyOn(Uint8Array.prototype, 'set');
    closers.push(() => set.mockRestore());
    const copies = (): number => set.mock.calls.filter((call) => call[0].length === size).length;
    const first = await watchdog(b.receive(), 60_000, 'the async receive');
    expect(copies(), 'async').toBe(1);
    const second = b.receiveSync(60_000);
    expect(copies(), 'sync').toBe(2);
    set.mockRestore();
    expect(first && sameBytes(first, patternMessage(size, 1))).toBe(true);
    expect(second && sameBytes(second, patternMessage(size, 2))).toBe(true);
  });

  it('carries messages from 64 KiB to 16 MiB whole and in order, as one record each, both ways (async)', async () => {
    const { channel } = await echo(4096);
    const { tx, rx } = channel[RING_HEADERS]();
    for (const [i, size] of [1017, 5000, 64 * KiB, MiB, 4 * MiB, 16 * MiB].entries()) {
      const message = patternMessage(size, i);
      const txBefore = headOf(tx);
      const rxBefore = headOf(rx);
      await channel.send(message);
      const back = await watchdog(channel.receive(), 60_000, `the echo of ${size} bytes`);
      // One 24-byte pool record (maybe after a pad) each way, not size / 1016 fragments.
      expect((headOf(tx) - txBefore) >>> 0).toBeLessThan(4096);
      expect((headOf(rx) - rxBefore) >>> 0).toBeLessThan(4096);
      expect(back?.length).toBe(size);
      expect(sameBytes(back!, message)).toBe(true);
    }
  });

  it('carries 64 KiB to 16 MiB through sendSync and receiveSync, with and without an array to copy into', async () => {
    const { channel } = await echo(4096);
    const into = new Uint8Array(16 * MiB);
    for (const [i, size] of [64 * KiB, MiB, 16 * MiB, 3 * MiB, 64 * KiB].entries()) {
      const message = patternMessage(size, 100 + i);
      channel.sendSync(message, 60_000);
      if (i % 2 === 0) {
        expect(channel.receiveSync(into, 60_000)).toBe(size);
        expect(sameBytes(into.subarray(0, size), message)).toBe(true);
      } else {
        const back = channel.receiveSync(60_000);
        expect(back?.length).toBe(size);
        expect(sameBytes(back!, message)).toBe(true);
      }
    }
  });

  it('keeps order across ring records and pool records mixed, sent back to back', async () => {
    const { channel } = await echo(4096);
    const sizes = [10, 300_000, 20, 1016, 1017, 0, 2_000_000, 7, 16 * MiB, 64 * KiB, 64 * KiB, 1];
    await Promise.all(sizes.map((size, i) => channel.send(patternMessage(size, i))));
    for (const [i, size] of sizes.entries()) {
      const back = await watchdog(channel.receive(), 60_000, `message ${i}`);
      expect(back?.length).toBe(size);
      expect(sameBytes(back!, patternMessage(size, i))).toBe(true);
    }
  });

  it('hands a pool message out in place, and the pool is reused after release', async () => {
    const { channel } = await echo(4096);
    const size = 2 * MiB;
    // 20 × 2 MiB is more than the 32 MiB pool: it only works if release() gives the bytes back.
    for (let round = 0; round < 20; round++) {
      const message = patternMessage(size, round);
      await channel.send(message);
      const held = await watchdog(channel.receiveInPlace(), 20_000, 'a message in place');
      expect(held?.bytes.length).toBe(size);
      expect(sameBytes(held!.bytes, message)).toBe(true);
      held!.release();
    }
  });

  it('sends fragments, and makes no pool, to a peer that does not read pool records (as the C client)', async () => {
    const { a, b } = await pair();
    const tx = a[RING_HEADERS]().tx;
    // What a consumer that knows nothing of the pool leaves in its flags.
    Atomics.and(tx, W.consumerFlags, ~READS_POOL);
    const incoming = b[Symbol.asyncIterator]();
    for (const [i, size] of [64 * KiB, MiB].entries()) {
      const message = patternMessage(size, i);
      const before = headOf(tx);
      const [, back] = await Promise.all([a.send(message), watchdog(incoming.next(), 60_000, `${size} bytes in fragments`)]);
      // Every byte went through the ring, in pieces of at most 1016 bytes.
      expect((headOf(tx) - before) >>> 0).toBeGreaterThan(size);
      expect(sameBytes(back.value as Uint8Array, message)).toBe(true);
    }
    expect(poolNames()).toEqual([]);
  });

  it('frees the pool objects on close, read or not: no /dev/shm leftovers', async () => {
    const { a, b, closeListener } = await pair();
    // b's pool, whose consumer (a) never reads it: only b's close can free it.
    await b.send(patternMessage(MiB, 1));
    expect(poolNames()).toHaveLength(1);
    // a's pool, read once (the consumer unlinks the name when it maps it).
    await a.send(patternMessage(MiB, 2));
    const back = await watchdog(b.receive(), 20_000, 'a pooled message');
    expect(back?.length).toBe(MiB);
    expect(poolNames()).toHaveLength(1);
    await a.close();
    await b.close();
    expect(poolNames()).toEqual([]);
    await closeListener();
    expect(shmLeftovers()).toEqual([]);
  });

  it("leaves no pool name in /dev/shm once each side has mapped its peer's pool, nor after close (echo in another process)", async () => {
    const { channel, child } = await echo(4096);
    await channel.send(patternMessage(4 * MiB, 3));
    expect((await watchdog(channel.receive(), 20_000, 'the echo'))?.length).toBe(4 * MiB);
    // Each consumer removed the name of the pool it mapped: nothing is left even if both sides died now.
    expect(poolNames()).toEqual([]);
    await channel.close();
    await child.kill();
    expect(poolNames()).toEqual([]);
    // The pair region (connect made it, under our pid) is gone too.
    expect(shmLeftovers([process.pid, child.proc.pid!]).filter((f) => f.startsWith('ipckit.p.'))).toEqual([]);
  });
});

// A same-user process with the pair mapped rewrites a pool record before the reader reads it.
const capacity = poolCapacityFor(16 * MiB);
const hostile: Array<[string, (words: Int32Array, at: number, header: Int32Array) => void]> = [
  ['an offset past the end of the pool', (words, at) => (words[at + 2] = capacity - 8)],
  ['an offset far beyond the pool', (words, at) => (words[at + 2] = 0xfffff000 | 0)],
  ['an end that leaves the message fewer pool bytes than its length', (words, at, header) => (words[at + 4] = Atomics.load(header, W.poolTail) + 32 * KiB)],
  ['an end a gigabyte ahead', (words, at) => (words[at + 4] = (words[at + 4]! + 2 ** 30) | 0)],
  ['a record length other than 16', (words, at) => (words[at] = 24)],
];
const readers: Array<[string, (b: ShmChannel, into: Uint8Array) => Promise<unknown>]> = [
  ['receive', (b) => b.receive()],
  ['receiveSync(into)', async (b, into) => b.receiveSync(into, 10_000)],
  ['receiveInPlace', (b) => b.receiveInPlace()],
];

describe('a hostile pool record', () => {
  for (const [what, corrupt] of hostile) {
    for (const [how, read] of readers) {
      it(`${what}: ${how} fails the channel with EIO and reads nothing out of place`, async () => {
        const { a, b } = await pair();
        const tx = a[RING_HEADERS]().tx;
        const words = new Int32Array(tx.buffer, tx.byteOffset + RING_HEADER_BYTES, 4096 / 4);
        // A real one first, so the reader has the pool mapped and a released position.
        await a.send(patternMessage(64 * KiB, 1));
        expect((await watchdog(b.receive(), 20_000, 'the first pooled message'))?.length).toBe(64 * KiB);
        await a.send(patternMessage(64 * KiB, 2));
        // The pool record a just wrote is the last 24 bytes before head.
        const at = (((headOf(tx) - POOL_RECORD_SIZE) >>> 0) & 4095) >> 2;
        expect(words[at + 1]! >>> 0).toBe(POOL_RECORD);
        corrupt(words, at, tx);
        const into = new Uint8Array(64 * KiB).fill(0xa5);
        const error = await watchdog(
          read(b, into).then(
            (value) => ({ value }),
            (e: unknown) => e,
          ),
          20_000,
          'the read of a hostile record',
        );
        expect((error as { code?: unknown }).code, String(error)).toBe('EIO');
        expect(into.every((x) => x === 0xa5)).toBe(true);
        expect(b.closed).toBe(true);
      });
    }
  }
});
