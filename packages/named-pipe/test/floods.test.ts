/**
 * Issue 17 §5: floods of pipe:// connections held idle or half-sent from
 * another process of the same user. The listener keeps the flood limits of
 * Rule 5: one byte budget for the partial frames of all its channels, a
 * first-message deadline, and (POSIX, where SO_PEERCRED names the peer's
 * process) at most half the backlog for the connections of one other process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, serve, uniqueName, type Channel, type Listener } from '@ipckit/core';
import { PEER_BACKLOG_SHARE, sleep, type StreamListener } from '@ipckit/core/kit';
import { floodPeer, within, type PeerProcess } from '@ipckit/core/testing';
import { transport } from '@ipckit/named-pipe';
import { BACKEND } from '@ipckit/sys';

const MIB = 1024 * 1024;
const WATCHDOG_MS = 60_000;

/** The listener `listen` made, as the StreamListener it is (its counters are read here). */
async function streamListener(made: Promise<Listener>): Promise<StreamListener> {
  const listener = await made;
  // By its counters, not instanceof: vitest may load @ipckit/core/kit once for the test and once for the package.
  if (!('partialFrameBytes' in listener) || !('pending' in listener)) throw new Error('expected a StreamListener');
  return listener as StreamListener;
}

/** Resolves once `condition` holds, looking every 20 ms (the caller's watchdog bounds it). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(20);
}

/** A handler that sends back what it receives. */
async function echo(channel: Channel): Promise<void> {
  for await (const message of channel) await channel.send(message);
}

/** Sends one message as a legitimate client and expects it back. */
async function echoed(name: string, bytes: number[]): Promise<void> {
  const client = await connect(`pipe://${name}`);
  try {
    await client.send(new Uint8Array(bytes));
    expect(Array.from((await within(WATCHDOG_MS, 'the echo', client.receive())) ?? [])).toEqual(bytes);
  } finally {
    await client.close();
  }
}

describe('pipe:// under a flood', () => {
  const peers: PeerProcess[] = [];
  const listeners: Listener[] = [];

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.kill()));
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  }, 120_000);

  it('holds at most maxPartialFrameBytes of partial frames: the connections that find no room are closed, the budget comes back', async () => {
    const budget = 4 * MIB;
    const name = uniqueName('flood-budget');
    const listener = await streamListener(transport.listen(name, { maxPartialFrameBytes: budget, firstMessageTimeoutMs: 0 }));
    listeners.push(listener);
    const codes: string[] = [];
    const serving = serve(listener, echo, { onError: (error) => codes.push((error as { code?: string }).code ?? String(error)) });
    // 16 connections announce 16 MiB frames and send 1 MiB of each; at most 4 fit in 4 MiB.
    const flood = floodPeer({ path: listener.path }, { count: 16, announce: 16 * MIB, send: MIB });
    peers.push(flood);
    let most = 0;
    for (let closed = 1; closed <= 12; closed++) {
      await flood.waitForEvent((event) => event.event === 'closed' && Number(event.closed) >= closed, WATCHDOG_MS);
      most = Math.max(most, listener.partialFrameBytes);
    }
    expect(most).toBeLessThanOrEqual(budget);
    expect(listener.partialFrameBytes).toBeLessThanOrEqual(budget);
    expect(listener.partialFrameBytes).toBeGreaterThan(0);
    expect(codes).toContain('ENOMEM');
    await echoed(name, [1, 2, 3]);
    flood.endInput();
    await flood.exit(WATCHDOG_MS);
    await within(
      WATCHDOG_MS,
      'the budget coming back',
      waitFor(() => listener.partialFrameBytes === 0),
    );
    await listener.close();
    await within(WATCHDOG_MS, 'serve() ending', serving);
  }, 120_000);

  it('closes connections held idle past firstMessageTimeoutMs, so a legitimate client is served again', async () => {
    const name = uniqueName('flood-idle');
    const listener = await transport.listen(name, { backlog: 8, firstMessageTimeoutMs: 300 });
    listeners.push(listener);
    const serving = serve(listener, echo, { concurrency: 4 });
    const flood = floodPeer({ path: listener.path }, { count: 20 });
    peers.push(flood);
    await flood.waitForEvent('connected', WATCHDOG_MS);
    await flood.waitForEvent((event) => event.event === 'closed' && Number(event.closed) === 20, WATCHDOG_MS);
    await echoed(name, [4, 5, 6]);
    await listener.close();
    await within(WATCHDOG_MS, 'serve() ending', serving);
  }, 120_000);

  it.runIf(BACKEND === 'posix')(
    'lets the connections of one other process hold at most half the backlog (SO_PEERCRED)',
    async () => {
      const backlog = 8;
      const share = Math.floor(backlog * PEER_BACKLOG_SHARE);
      const listener = await streamListener(transport.listen(uniqueName('flood-uid'), { backlog, firstMessageTimeoutMs: 0 }));
      listeners.push(listener);
      // Nobody takes from the listener: 10 connections of one other process, only `share` of them may wait.
      const flood = floodPeer({ path: listener.path }, { count: 10 });
      peers.push(flood);
      await flood.waitForEvent('connected', WATCHDOG_MS);
      await flood.waitForEvent((event) => event.event === 'closed' && Number(event.closed) === 10 - share, WATCHDOG_MS);
      expect(listener.pending).toBe(share);
      // The flood leaves: its slots come back.
      flood.endInput();
      await flood.exit(WATCHDOG_MS);
      await within(
        WATCHDOG_MS,
        'the slots coming back',
        waitFor(() => listener.pending === 0),
      );
    },
    120_000,
  );
});
