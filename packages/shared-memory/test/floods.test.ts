/**
 * Issue 17 §5, shm://: the flood limits of Rule 5 (@ipckit/core's
 * transport.ts) on a shared-memory listener, against floods from separate
 * processes (fixtures/shm-flood.mjs): the first-message deadline closes
 * channels held idle, taken or not, and spares those that exchanged a
 * message; one other process holds at most its share of the backlog; bad
 * option values are EINVAL before anything is made. Nothing here asserts on
 * timing: the tests wait for the flood's channels to end (events), under
 * watchdogs far longer than the deadlines.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { PEER_BACKLOG_SHARE } from '@ipckit/core/kit';
import { PeerProcess } from '@ipckit/core/testing';
import { isIpcError, serve, uniqueName, type Channel, type Listener } from '@ipckit/core';
import { transport } from '../src/index.js';
import { fixture, watchdog } from './helpers.js';

/** Generous: the deadlines below are half a second; a loaded CI machine is slow. */
const WATCHDOG_MS = 60_000;
const TEST_MS = 120_000;
const DEADLINE_MS = 500;

const peers: PeerProcess[] = [];
const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.kill()));
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

/**
 * Starts a flooding process: `count` channels to `name`, idle (they echo what
 * they get), quiet (they never send), or each sending [tag, index] once,
 * padded to `bytes`.
 */
function flood(name: string, count: number, mode: 'idle' | 'send' | 'quiet', tag = 0, bytes = 2): PeerProcess {
  const args = [name, String(count), mode, String(tag), String(bytes)];
  const peer = PeerProcess.node(fixture('shm-flood.mjs'), args, { timeoutMs: WATCHDOG_MS, label: `shm flood ${tag}` });
  peers.push(peer);
  return peer;
}

/** Waits until `peer` reported at least `count` of its channels ended. */
async function closedAtLeast(peer: PeerProcess, count: number): Promise<void> {
  await peer.waitForEvent((event) => event['event'] === 'closed' && Number(event['closed']) >= count, WATCHDOG_MS);
}

/** How many of `peer`'s channels ended so far. */
const closedCount = (peer: PeerProcess): number => peer.events.filter((event) => event['event'] === 'closed').length;

/** Bytes of a message that goes through the pool on the fixture's 4 KiB rings (a ring record holds at most 1,016). */
const LARGE = 4000;
/** The first two bytes of a message: [tag, index] of the fixture's. */
const head = (message: Uint8Array | undefined): number[] => Array.from(message?.subarray(0, 2) ?? []);

async function listen(options: Parameters<typeof transport.listen>[1]): Promise<{ name: string; listener: Listener }> {
  const name = uniqueName('flood');
  const listener = await transport.listen(name, options);
  listeners.push(listener);
  return { name, listener };
}

/** A handler that sends back what it receives. */
async function echo(channel: Channel): Promise<void> {
  for await (const message of channel) await channel.send(message);
}

describe('shm:// under a flood (Rule 5)', () => {
  it(
    'closes channels held idle past firstMessageTimeoutMs, taken or not, so a legitimate client is served',
    async () => {
      const { name, listener } = await listen({ backlog: 8, firstMessageTimeoutMs: DEADLINE_MS });
      const serving = serve(listener, echo, { concurrency: 4 });
      // 20 idle channels: 4 take every serve() slot, the share of the backlog waits, the rest are closed at once.
      const peer = flood(name, 20, 'idle');
      await peer.waitForEvent('connected', WATCHDOG_MS);
      // A legitimate client comes while the flood holds every serve() slot: its message waits for one.
      const client = await transport.connect(name);
      try {
        await client.send(new Uint8Array([4, 5, 6]));
        // Without a deadline the idle channels would hold their slots for ever: the echo would never come.
        expect(Array.from((await watchdog(client.receive(), WATCHDOG_MS, 'the echo')) ?? [])).toEqual([4, 5, 6]);
      } finally {
        await client.close();
      }
      // Every one of the flood's channels ends: those in serve() slots and those in the queue too.
      await closedAtLeast(peer, 20);
      await listener.close();
      await watchdog(serving, WATCHDOG_MS, 'serve() ending');
    },
    TEST_MS,
  );

  it(
    'does not close a channel whose client sent a message: read by its handler, or waiting unread in the queue',
    async () => {
      const { name, listener } = await listen({ firstMessageTimeoutMs: DEADLINE_MS });
      const accepted = listener[Symbol.asyncIterator]();
      // Two channels that each send one message at once, large enough to go through the pool: the
      // ring then holds only a pool record, whose reading gives the ring's room back at once.
      const talker = flood(name, 2, 'send', 1, LARGE);
      await talker.waitForEvent('connected', WATCHDOG_MS);
      const read = (await watchdog(accepted.next(), WATCHDOG_MS, 'the first accept')).value as Channel;
      expect(head(await watchdog(read.receive(), WATCHDOG_MS, 'its message'))).toEqual([1, 0]);
      // The second stays in the listener's queue with its message unread.
      const idle = flood(name, 1, 'idle');
      await idle.waitForEvent('connected', WATCHDOG_MS);
      // The idle process connected after the talker's channels were all accepted, so its deadline is
      // later than theirs: once its channel has ended, theirs have passed.
      await closedAtLeast(idle, 1);
      const unread = (await watchdog(accepted.next(), WATCHDOG_MS, 'the second accept')).value as Channel;
      expect(head(await watchdog(unread.receive(), WATCHDOG_MS, 'the unread message'))).toEqual([1, 1]);
      // Both are open still, and carry messages both ways (the talker echoes).
      expect(closedCount(talker)).toBe(0);
      for (const [channel, bytes] of [
        [read, [7]],
        [unread, [8]],
      ] as const) {
        expect(channel.closed).toBe(false);
        await channel.send(new Uint8Array(bytes));
        expect(Array.from((await watchdog(channel.receive(), WATCHDOG_MS, 'the echo')) ?? [])).toEqual(bytes);
      }
      expect(closedCount(talker)).toBe(0);
    },
    TEST_MS,
  );

  it(
    'does not close a channel the server spoke to first',
    async () => {
      const { name, listener } = await listen({ firstMessageTimeoutMs: DEADLINE_MS });
      const accepted = listener[Symbol.asyncIterator]();
      // A client that never sends anything.
      const quiet = flood(name, 1, 'quiet');
      await quiet.waitForEvent('connected', WATCHDOG_MS);
      const greeted = (await watchdog(accepted.next(), WATCHDOG_MS, 'the accept')).value as Channel;
      // The server greets; the client reports what it got.
      await greeted.send(new Uint8Array([9]));
      await quiet.waitForEvent((event) => event['event'] === 'message' && event['first'] === 9, WATCHDOG_MS);
      // A later idle channel's end says the greeted one's deadline has passed too.
      const idle = flood(name, 1, 'idle');
      await idle.waitForEvent('connected', WATCHDOG_MS);
      await closedAtLeast(idle, 1);
      expect(closedCount(quiet)).toBe(0);
      expect(greeted.closed).toBe(false);
      await greeted.send(new Uint8Array([10]));
      await quiet.waitForEvent((event) => event['event'] === 'message' && event['first'] === 10, WATCHDOG_MS);
    },
    TEST_MS,
  );

  it(
    'lets one other process hold at most its share of the backlog while nobody takes from the listener',
    async () => {
      const backlog = 8;
      const share = Math.max(1, Math.floor(backlog * PEER_BACKLOG_SHARE));
      // No deadline: only the share may close anything here.
      const { name, listener } = await listen({ backlog, firstMessageTimeoutMs: 0 });
      // One process connects as many channels as the whole backlog; each sends [1, index].
      const greedy = flood(name, backlog, 'send', 1);
      await greedy.waitForEvent('connected', WATCHDOG_MS);
      // Those beyond its share are closed at once (without a share, none would be).
      await closedAtLeast(greedy, backlog - share);
      // Another process still finds room for its channels: each sends [2, index].
      const other = flood(name, backlog - share, 'send', 2);
      await other.waitForEvent('connected', WATCHDOG_MS);
      // What waits in the backlog: `share` channels of each process, nothing closed of the second.
      const accepted = listener[Symbol.asyncIterator]();
      const tags: number[] = [];
      for (let i = 0; i < backlog; i++) {
        const channel = (await watchdog(accepted.next(), WATCHDOG_MS, `accept ${i}`)).value as Channel;
        const message = await watchdog(channel.receive(), WATCHDOG_MS, `the message of accept ${i}`);
        tags.push(message?.[0] ?? -1);
      }
      expect(tags.filter((tag) => tag === 1).length).toBe(share);
      expect(tags.filter((tag) => tag === 2).length).toBe(backlog - share);
      expect(closedCount(greedy)).toBe(backlog - share);
      expect(closedCount(other)).toBe(0);
    },
    TEST_MS,
  );

  it('rejects bad firstMessageTimeoutMs (and maxPartialFrameBytes) values with EINVAL before anything is made', async () => {
    const bad: Array<Record<string, unknown>> = [
      { firstMessageTimeoutMs: -1 },
      { firstMessageTimeoutMs: 1.5 },
      { firstMessageTimeoutMs: 2 ** 31 },
      { firstMessageTimeoutMs: Number.NaN },
      { firstMessageTimeoutMs: '500' },
      { maxPartialFrameBytes: 0 },
    ];
    for (const options of bad) {
      const name = uniqueName('flood-bad');
      const error = await transport.listen(name, options as never).then(
        (listener) => listener.close().then(() => 'listened'),
        (e: unknown) => e,
      );
      expect(isIpcError(error) && error.code, JSON.stringify(options)).toBe('EINVAL');
      // Nothing was made: no control region, nobody serves the name.
      if (process.platform === 'linux') expect(existsSync(`/dev/shm/ipckit.${name}`)).toBe(false);
      const connectError = await transport.connect(name, { timeoutMs: 1_000 }).then(
        (channel) => channel.close().then(() => 'connected'),
        (e: unknown) => e,
      );
      expect(isIpcError(connectError) && connectError.code).toBe('ENOENT');
    }
    // The limits of the option are accepted: 0 (never) and 2^31 - 1.
    for (const firstMessageTimeoutMs of [0, 2 ** 31 - 1]) {
      const { listener } = await listen({ firstMessageTimeoutMs });
      await listener.close();
    }
  });
});
