import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName, type Channel } from '@ipckit/core';
import { createRegion, openRegion, transport, type ShmListenOptions } from '../src/index.js';
import { ACCEPT_DELAY_MS, type ListenInternals } from '../src/listener.js';
import { SLOTS_OFFSET, SLOT_ACCEPTING, SLOT_BYTES, SLOT_CLAIMED, SLOT_COUNT, SLOT_FREE } from '../src/rendezvous.js';
import { Child, fixture, shmLeftovers, watchdog } from './helpers.js';

const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
});
afterAll(() => {
  expect(shmLeftovers()).toEqual([]);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const slotState = (words: Int32Array, slot: number): number => Atomics.load(words, (SLOTS_OFFSET + slot * SLOT_BYTES) / 4);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('a client whose connect times out while the listener is accepting it', () => {
  it('frees its slot; the listener drops that channel and serves the next client in the same slot', async () => {
    const name = uniqueName('shmrace');
    // The listener pauses with the slot in state 5 (accepting) and the channel built.
    const options: ShmListenOptions & ListenInternals = { [ACCEPT_DELAY_MS]: 1500 };
    const listener = await transport.listen(name, options);
    const iterator = listener[Symbol.asyncIterator]();
    const control = await openRegion(`ipckit.${name}`);
    try {
      const words = new Int32Array(control.bytes.buffer, control.bytes.byteOffset, control.size >> 2);
      let sawAccepting = false;
      let done = false;
      // A named function, not an inline one: TypeScript would read `done` in it as the `false` above.
      const watch = async (): Promise<void> => {
        while (!done) {
          if (slotState(words, 0) === SLOT_ACCEPTING) sawAccepting = true;
          await sleep(1);
        }
      };
      const watching = watch();
      const first = await transport.connect(name, { timeoutMs: 400 }).then(
        () => 'connected',
        (error: unknown) => (isIpcError(error) ? error.code : String(error)),
      );
      done = true;
      await watching;
      expect(first).toBe('ETIMEDOUT');
      // It gave up in the window under test (the listener had taken its request), and freed its slot.
      expect(sawAccepting).toBe(true);
      expect(slotState(words, 0)).toBe(SLOT_FREE);

      // A second client takes the first free slot: the one the first client just gave back.
      const client = await watchdog(transport.connect(name), 10_000, "the second client's connect");
      try {
        await client.send(text('hello'));
        // The listener's first channel must be this client's, not one to the client that gave up.
        const server = (await watchdog(iterator.next(), 10_000, "the listener's first channel")).value as Channel;
        const got = await watchdog(server[Symbol.asyncIterator]().next(), 5_000, "the first message on the listener's first channel");
        expect(new TextDecoder().decode(got.value as Uint8Array)).toBe('hello');
        await server.close();
      } finally {
        await client.close();
      }
      // No slot stays taken by the exchange.
      await watchdog(
        (async () => {
          for (;;) {
            const busy = Array.from({ length: SLOT_COUNT }, (_, i) => slotState(words, i)).filter((s) => s !== SLOT_FREE);
            if (busy.length === 0) return;
            await sleep(5);
          }
        })(),
        5_000,
        'every slot to be free again',
      );
    } finally {
      control.close();
      await listener.close();
    }
    // And the listener yielded no other channel (a dead one to the first client).
    const rest: Channel[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
    for (const channel of rest) await channel.close();
    expect(rest).toHaveLength(0);
  });
});

describe.runIf(process.platform === 'linux')('openOrCreateRegion from many processes at once', () => {
  it('succeeds in every process, and all of them see one region', async () => {
    const peers = 6;
    const rounds = 15;
    const size = 4096;
    const start = await createRegion(uniqueName('shmrace-start'), 4096);
    const startWord = new Int32Array(start.bytes.buffer, start.bytes.byteOffset, 1);
    const names: string[] = [];
    try {
      for (let i = 0; i < peers; i++) children.push(Child.node(fixture('region-peer.mjs'), 'race', start.path, String(size)));
      for (let round = 1; round <= rounds; round++) {
        const regionName = uniqueName('shmrace-r');
        names.push(regionName);
        for (const child of children) child.proc.stdin!.write(`go ${round} ${regionName}\n`);
        for (const child of children) expect(await child.line(20_000)).toBe(`ready ${round}`);
        Atomics.store(startWord, 0, round);
        const results = await Promise.all(children.map((child) => child.line(20_000)));
        const errors = results.filter((r) => !r.startsWith('ok '));
        expect(errors, `round ${round}`).toEqual([]);
        expect(
          results.filter((r) => r === `ok false ${size}`),
          `round ${round}: one creator`,
        ).toHaveLength(1);
        expect(
          results.filter((r) => r === `ok true ${size}`),
          `round ${round}: the others opened it`,
        ).toHaveLength(peers - 1);
        const region = await openRegion(regionName);
        try {
          expect(
            Atomics.load(new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 1), 0),
            `round ${round}: every peer counted in the same region`,
          ).toBe(peers);
        } finally {
          region.close();
        }
      }
      for (const child of children) child.proc.stdin!.write('end\n');
      for (const child of children) expect(await watchdog(child.exited, 10_000, 'a peer to exit')).toBe(0);
    } finally {
      // After a failure: the peers are killed, and a region one of them made is
      // then stale; creating it again replaces it, and closing removes it.
      for (const c of children.splice(0)) await c.kill();
      for (const n of names) (await createRegion(n, size).catch(() => undefined))?.close();
      start.close();
    }
  });
});

describe('a client between claiming a slot and writing its request', () => {
  it('keeps its slot: the listener does not take the claim of a client whose pid is not written yet, or was an earlier client', async () => {
    const name = uniqueName('shmclaim');
    const listener = await transport.listen(name, { slots: 1 });
    const control = await openRegion(`ipckit.${name}`);
    try {
      const words = new Int32Array(control.bytes.buffer, control.bytes.byteOffset, control.size >> 2);
      const pidWord = (SLOTS_OFFSET + 4) / 4;
      // A client connects and leaves: the slot must come back free, with no pid left in it.
      const first = await transport.connect(name);
      const accepted = (await listener[Symbol.asyncIterator]().next()).value as Channel;
      expect(slotState(words, 0)).toBe(SLOT_FREE);
      expect(Atomics.load(words, pidWord)).toBe(0);
      // Another client claims the only slot (0 → 1) and is descheduled before it writes its pid:
      // here by hand, for longer than the listener's 250 ms scans.
      expect(Atomics.compareExchange(words, (SLOTS_OFFSET + 0) / 4, SLOT_FREE, SLOT_CLAIMED)).toBe(SLOT_FREE);
      await sleep(700);
      // Before the fix, a scan took pid 0 for a dead client and freed the slot under it.
      expect(slotState(words, 0)).toBe(SLOT_CLAIMED);
      // Its pid written, it is a live claimant: still its slot.
      Atomics.store(words, pidWord, process.pid);
      await sleep(300);
      expect(slotState(words, 0)).toBe(SLOT_CLAIMED);
      // Given back, a later client connects through the same slot.
      Atomics.store(words, (SLOTS_OFFSET + 0) / 4, SLOT_FREE);
      Atomics.store(words, pidWord, 0);
      const second = await watchdog(transport.connect(name, { timeoutMs: 5000 }), 6000, 'a connect after the claim was given back');
      await second.close();
      await first.close();
      await accepted.close();
    } finally {
      control.close();
      await listener.close();
    }
  });
});
