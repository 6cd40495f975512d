import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName, type Channel, type Listener } from '@ipckit/core';
import { patternMessage, sameBytes } from '@ipckit/core/testing';
import { openRegion, transport, type ShmChannel } from '../src/index.js';
import { RING_HEADERS } from '../src/channel.js';
import { READS_POOL, W } from '../src/ring.js';
import { Child, fixture, shmLeftovers, watchdog } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});
afterAll(() => {
  expect(shmLeftovers()).toEqual([]);
});

async function pair(ringBytes?: number, maxMessageBytes?: number): Promise<{ client: ShmChannel; server: ShmChannel; listener: Listener }> {
  const name = uniqueName('shmc');
  const listener = await transport.listen(name, maxMessageBytes === undefined ? {} : { maxMessageBytes });
  closers.push(() => listener.close());
  const client = await transport.connect(name, {
    ...(ringBytes === undefined ? {} : { ringBytes }),
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
  });
  closers.push(() => client.close());
  const accepted = await listener[Symbol.asyncIterator]().next();
  const server = accepted.value as ShmChannel;
  closers.push(() => server.close());
  return { client, server, listener };
}

describe('shm channel', () => {
  it('a full ring makes send wait; nothing is dropped or overwritten', async () => {
    const { client, server } = await pair(4096);
    const count = 500;
    let settled = 0;
    const sends = Array.from({ length: count }, (_, i) => client.send(patternMessage(100 + (i % 50), i)).then(() => settled++));
    // Let the event loop run: with nobody reading, the 4 KiB ring holds only a few dozen of them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBeLessThan(count);
    const incoming = server[Symbol.asyncIterator]();
    for (let i = 0; i < count; i++) {
      const got = await incoming.next();
      expect(got.done).toBe(false);
      expect(sameBytes(got.value as Uint8Array, patternMessage(100 + (i % 50), i)), `message ${i}`).toBe(true);
    }
    await watchdog(Promise.all(sends), 5_000, 'sends');
    expect(settled).toBe(count);
  });

  it('messages larger than the ring travel in pieces and are put back together', async () => {
    const { client, server } = await pair(4096, 1 << 20);
    const incoming = server[Symbol.asyncIterator]();
    const sizes = [5000, 4096, 1 << 20, 1017, 0, 1016, 3];
    const sending = Promise.all(sizes.map((size, i) => client.send(patternMessage(size, i))));
    for (const [i, size] of sizes.entries()) {
      const got = (await incoming.next()).value as Uint8Array;
      expect(got.length).toBe(size);
      expect(sameBytes(got, patternMessage(size, i)), `message ${i}`).toBe(true);
    }
    await sending;
    const tooBig = await client.send(new Uint8Array((1 << 20) + 1)).catch((e: unknown) => e);
    expect(isIpcError(tooBig, 'EMSGSIZE')).toBe(true);
  });

  it('bad options are rejected with EINVAL', async () => {
    for (const ringBytes of [1000, 2048, 3 * 4096, 2 ** 31]) {
      const error = await transport.connect(uniqueName('x'), { ringBytes }).catch((e: unknown) => e);
      expect(isIpcError(error, 'EINVAL'), String(ringBytes)).toBe(true);
    }
  });

  it.each([
    ['a new array per message', undefined],
    ['one reused array (receiveSync(into))', 32_768],
  ])('synchronous send and receive in a worker thread: %s', async (_what, into) => {
    const name = uniqueName('shmw');
    const listener = await transport.listen(name);
    closers.push(() => listener.close());
    const worker = new Worker(fixture('sync-worker.mjs'), { workerData: { name, ringBytes: 8192, into } });
    closers.push(async () => {
      await worker.terminate();
    });
    const result = new Promise<{ echoed: number }>((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null) resolve(m as { echoed: number });
      });
      worker.on('error', reject);
    });
    const accepted = await listener[Symbol.asyncIterator]().next();
    const channel = accepted.value as Channel;
    closers.push(() => channel.close());
    const incoming = channel[Symbol.asyncIterator]();
    const sizes = [1, 64, 0, 20_000, 3];
    for (let round = 0; round < 200; round++) {
      const size = sizes[round % sizes.length] as number;
      await channel.send(patternMessage(size, round));
      const back = (await incoming.next()).value as Uint8Array;
      expect(sameBytes(back, patternMessage(size, round)), `round ${round}`).toBe(true);
    }
    await channel.close();
    expect((await watchdog(result, 10_000, 'worker end')).echoed).toBe(200);
  });

  it('a sync sender that sleeps for room is always woken by a slow reader (nothing lost, nothing stuck)', async () => {
    const name = uniqueName('shmr');
    const listener = await transport.listen(name);
    closers.push(() => listener.close());
    const count = 3000;
    const worker = new Worker(fixture('sync-sender.mjs'), { workerData: { name, ringBytes: 4096, count, size: 200 } });
    closers.push(async () => {
      await worker.terminate();
    });
    const done = new Promise<{ sent: number }>((resolve, reject) => {
      worker.on('message', (m: unknown) => resolve(m as { sent: number }));
      worker.on('error', reject);
    });
    const channel = (await listener[Symbol.asyncIterator]().next()).value as Channel;
    closers.push(() => channel.close());
    let i = 0;
    const reading = (async () => {
      for await (const m of channel) {
        expect(m.length).toBe(200);
        expect(new DataView(m.buffer, m.byteOffset).getUint32(0, true)).toBe(i);
        i++;
        // Pause now and then, long enough for the sender to give up spinning and sleep.
        if (i % 97 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await watchdog(reading, 20_000, 'reading every message');
    expect(i).toBe(count);
    expect((await watchdog(done, 5_000, 'sender end')).sent).toBe(count);
  });

  it('a peer process that dies is a peer that went away: a pending receive ends, sends get EPIPE (Rule 1)', async () => {
    const name = uniqueName('shmd');
    const listener = await transport.listen(name);
    closers.push(() => listener.close());
    const child = Child.node(fixture('channel-peer.mjs'), 'connect-hold', name);
    closers.push(() => child.kill());
    const channel = (await listener[Symbol.asyncIterator]().next()).value as ShmChannel;
    closers.push(() => channel.close());
    expect(await child.line()).toBe('ready');
    const pending = channel[Symbol.asyncIterator]().next();
    const killedAt = performance.now();
    await child.kill();
    const result = await watchdog(pending, 5_000, 'death noticed');
    const noticedMs = performance.now() - killedAt;
    expect(result.done).toBe(true);
    expect(channel.closed).toBe(true);
    const sendError = await channel.send(new Uint8Array(1)).catch((e: unknown) => e);
    expect(isIpcError(sendError, 'EPIPE'), String(sendError)).toBe(true);
    expect(channel.receiveSync(0)).toBeUndefined();
    console.log(`peer death noticed after ${noticedMs.toFixed(0)} ms`);
  });

  it('receiveSync(into) copies into the array and returns the length; a short array gets EMSGSIZE and the message stays', async () => {
    const { client, server } = await pair(16_384);
    const sync = server;
    const sizes = [64, 0, 3, 1016, 3000, 65];
    for (const [i, size] of sizes.entries()) await client.send(patternMessage(size, i));
    const into = new Uint8Array(4000);
    expect(sync.receiveSync(into, 5_000)).toBe(64);
    expect(sameBytes(into.subarray(0, 64), patternMessage(64, 0))).toBe(true);
    expect(sync.receiveSync(into, 5_000)).toBe(0);
    // An unaligned array works too (the copy is then bytewise).
    const odd = new Uint8Array(new ArrayBuffer(4001), 1);
    expect(sync.receiveSync(odd, 5_000)).toBe(3);
    expect(sameBytes(odd.subarray(0, 3), patternMessage(3, 2))).toBe(true);
    expect(sync.receiveSync(into, 5_000)).toBe(1016);
    expect(sameBytes(into.subarray(0, 1016), patternMessage(1016, 3))).toBe(true);
    let error: unknown;
    try {
      sync.receiveSync(new Uint8Array(100), 5_000);
    } catch (e) {
      error = e;
    }
    expect(isIpcError(error, 'EMSGSIZE'), String(error)).toBe(true);
    // Nothing was consumed and the channel is fine: a large enough array gets it.
    expect(sync.closed).toBe(false);
    expect(sync.receiveSync(into, 5_000)).toBe(3000);
    expect(sameBytes(into.subarray(0, 3000), patternMessage(3000, 4))).toBe(true);
    // The allocating form and the into form mix.
    expect(sameBytes(sync.receiveSync(5_000) as Uint8Array, patternMessage(65, 5))).toBe(true);
    await client.close();
    expect(sync.receiveSync(into, 5_000)).toBeUndefined();
    // The fast sendSync path still sees the closes: EPIPE for the peer's, ECLOSED for ours.
    const codeOf = (fn: () => void): unknown => {
      try {
        fn();
      } catch (e) {
        return isIpcError(e) ? e.code : e;
      }
      return 'no error';
    };
    expect(codeOf(() => sync.sendSync(new Uint8Array(8)))).toBe('EPIPE');
    await sync.close();
    expect(codeOf(() => sync.sendSync(new Uint8Array(8)))).toBe('ECLOSED');
    expect(sync.receiveSync(into)).toBeUndefined();
  });

  it('close: pending sends reject with ECLOSED, the peer gets EPIPE on send and its receive ends', async () => {
    const { client, server } = await pair(4096);
    const stuck = Array.from({ length: 100 }, () => client.send(new Uint8Array(500)).catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.close({ timeoutMs: 0 });
    const results = await Promise.all(stuck);
    expect(results.some((r) => isIpcError(r, 'ECLOSED'))).toBe(true);
    // What was in the ring is still delivered, then the iteration ends.
    let received = 0;
    for await (const _ of server) received++;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(100);
    const sendError = await server.send(new Uint8Array(1)).catch((e: unknown) => e);
    expect(isIpcError(sendError, 'EPIPE')).toBe(true);
  });

  it('a send that times out with part of its message in the ring closes the channel; the peer drops the part (Rule 4)', async () => {
    const { client, server } = await pair(4096);
    // A peer that does not read pool records (a C client, ring-protocol §6) gets large messages in fragments.
    Atomics.and(client[RING_HEADERS]().tx, W.consumerFlags, ~READS_POOL);
    // 64 KiB through a 4 KiB ring: fragments of 1,016 bytes, and nobody reads.
    const big = new Uint8Array(64 * 1024).fill(7);
    const error = await client.send(big, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isIpcError(error, 'ETIMEDOUT'), String(error)).toBe(true);
    expect(client.closed).toBe(true);
    expect(isIpcError(await client.send(new Uint8Array(1)).catch((e: unknown) => e), 'ECLOSED')).toBe(true);
    // The reader sees the channel end, without the part of the message that got in.
    expect(await watchdog(server.receive(), 5_000, 'the end')).toBeUndefined();
  });

  it('a send that times out before any of it went is withdrawn: the channel goes on (Rule 4)', async () => {
    const { client, server } = await pair(4096);
    // Fill the ring with whole records nobody reads.
    let sent = 0;
    while (
      await client.send(new Uint8Array(500).fill(sent & 0xff), { timeoutMs: 50 }).then(
        () => true,
        () => false,
      )
    )
      sent++;
    expect(client.closed).toBe(false);
    const late = client.send(new Uint8Array([0xaa]));
    for (let i = 0; i < sent; i++) expect((await server.receive())?.[0]).toBe(i & 0xff);
    await late;
    expect([...((await server.receive()) ?? [])]).toEqual([0xaa]);
  });

  it('slots bound how many clients connect at once, not how many channels: 2 slots serve 12 clients', async () => {
    for (const slots of [0, -1, 1.5, 4097, 'x']) {
      expect(isIpcError(await transport.listen(uniqueName('shms'), { slots: slots as number }).catch((e: unknown) => e), 'EINVAL')).toBe(true);
    }
    const name = uniqueName('shms');
    const listener = await transport.listen(name, { slots: 2 });
    closers.push(() => listener.close());
    // The control region is the header and two slots: 64 + 2 x 128 bytes.
    const control = await openRegion(`ipckit.${name}`, { readOnly: true });
    expect(control.size).toBe(64 + 2 * 128);
    control.close();
    const accepted: Channel[] = [];
    void (async () => {
      for await (const channel of listener) accepted.push(channel);
    })();
    const clients = await Promise.all(Array.from({ length: 12 }, () => transport.connect(name)));
    for (const client of clients) closers.push(() => client.close());
    for (const [i, client] of clients.entries()) await client.send(new Uint8Array([i]));
    await watchdog(
      (async () => {
        while (accepted.length < 12) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      10_000,
      'every client accepted',
    );
    const got = await Promise.all(accepted.map(async (channel) => (await channel.receive())?.[0]));
    expect(got.sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const channel of accepted) closers.push(() => channel.close());
  });
});
