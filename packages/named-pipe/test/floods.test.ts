/**
 * Issue 17 §5: floods of pipe:// connections held idle or half-sent from
 * another process of the same user: the flood limits of Rule 5 in the suite
 * every stream transport runs (@ipckit/core/testing's runFloodTests), and
 * (POSIX, where SO_PEERCRED names the peer's process) at most half the
 * backlog for the connections of one other process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName, type Listener } from '@ipckit/core';
import { PEER_BACKLOG_SHARE } from '@ipckit/core/kit';
import { floodCounters, floodPeer, pollUntil, runFloodTests, within, type PeerProcess } from '@ipckit/core/testing';
import { transport } from '@ipckit/named-pipe';
import { BACKEND } from '@ipckit/sys';

const WATCHDOG_MS = 60_000;

runFloodTests(
  { describe, test: (name, fn, ms) => it(name, fn, ms) },
  {
    label: 'pipe://',
    listen: (options) => transport.listen(uniqueName('flood'), options),
    target: (listener) => ({ path: listener.path }),
    address: (listener) => `pipe://${listener.name}`,
  },
);

describe('pipe:// under a flood from one process', () => {
  const peers: PeerProcess[] = [];
  const listeners: Listener[] = [];

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.kill()));
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  }, 120_000);

  it.runIf(BACKEND === 'posix')(
    'lets the connections of one other process hold at most half the backlog (SO_PEERCRED)',
    async () => {
      const backlog = 8;
      const share = Math.floor(backlog * PEER_BACKLOG_SHARE);
      const listener = await transport.listen(uniqueName('flood-pid'), { backlog, firstMessageTimeoutMs: 0 });
      const counters = floodCounters(listener);
      listeners.push(listener);
      // Nobody takes from the listener: 10 connections of one other process, only `share` of them may wait.
      const flood = floodPeer({ path: listener.path }, { count: 10 });
      peers.push(flood);
      await flood.waitForEvent('connected', WATCHDOG_MS);
      await flood.waitForEvent((event) => event.event === 'closed' && Number(event.closed) === 10 - share, WATCHDOG_MS);
      expect(counters.pending).toBe(share);
      // The flood leaves: its slots come back.
      flood.endInput();
      await flood.exit(WATCHDOG_MS);
      await within(
        WATCHDOG_MS,
        'the slots coming back',
        pollUntil(() => counters.pending === 0),
      );
    },
    120_000,
  );
});
