/**
 * Issue 17 §5: floods of connections held idle or half-sent (slowloris) from
 * another process. The listener keeps the flood limits of Rule 5: the partial
 * frames of all its channels share one byte budget, and a connection that
 * sends no whole message within firstMessageTimeoutMs is closed, so a
 * legitimate client is served again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, serve, type Channel, type Listener } from '@ipckit/core';
import { sleep, type StreamListener } from '@ipckit/core/kit';
import { floodPeer, within, type PeerProcess } from '@ipckit/core/testing';
import { transport } from '@ipckit/tcp';

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

describe('tcp:// under a flood', () => {
  const peers: PeerProcess[] = [];
  const listeners: Listener[] = [];

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.kill()));
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  }, 120_000);

  it('holds at most maxPartialFrameBytes of partial frames: the connections that find no room are closed, the budget comes back', async () => {
    const budget = 4 * MIB;
    const listener = await streamListener(transport.listen('127.0.0.1:0', { maxPartialFrameBytes: budget, firstMessageTimeoutMs: 0 }));
    listeners.push(listener);
    const codes: string[] = [];
    const serving = serve(listener, echo, { onError: (error) => codes.push((error as { code?: string }).code ?? String(error)) });
    const port = Number(listener.name.split(':')[1]);
    // 16 connections announce 16 MiB frames and send 1 MiB of each: 16 MiB would be held without a bound.
    const flood = floodPeer({ host: '127.0.0.1', port }, { count: 16, announce: 16 * MIB, send: MIB });
    peers.push(flood);
    let most = 0;
    // At most 4 of them fit in 4 MiB: at least 12 must be closed once their bytes arrived.
    for (let closed = 1; closed <= 12; closed++) {
      await flood.waitForEvent((event) => event.event === 'closed' && Number(event.closed) >= closed, WATCHDOG_MS);
      most = Math.max(most, listener.partialFrameBytes);
    }
    expect(most).toBeLessThanOrEqual(budget);
    expect(listener.partialFrameBytes).toBeLessThanOrEqual(budget);
    expect(listener.partialFrameBytes).toBeGreaterThan(0);
    // Their handlers' receives failed with ENOMEM.
    expect(codes).toContain('ENOMEM');
    // A legitimate client's whole messages need no budget: it is still served.
    const client = await connect(`tcp://${listener.name}`);
    await client.send(new Uint8Array([1, 2, 3]));
    expect(Array.from((await within(WATCHDOG_MS, 'the echo', client.receive())) ?? [])).toEqual([1, 2, 3]);
    await client.close();
    // The flood leaves: every byte it held goes back to the budget.
    flood.endInput();
    await flood.exit(WATCHDOG_MS);
    await within(
      WATCHDOG_MS,
      'the budget coming back',
      waitFor(() => listener.partialFrameBytes === 0),
    );
    expect(listener.partialFrameBytes).toBe(0);
    await listener.close();
    await within(WATCHDOG_MS, 'serve() ending', serving);
  }, 120_000);

  it('closes connections held idle past firstMessageTimeoutMs, so a legitimate client is served again', async () => {
    const listener = await transport.listen('127.0.0.1:0', { backlog: 8, firstMessageTimeoutMs: 300 });
    listeners.push(listener);
    const serving = serve(listener, echo, { concurrency: 4 });
    const port = Number(listener.name.split(':')[1]);
    // 4 idle connections take every serve() slot, 8 more the whole backlog, 8 more are refused at once.
    const flood = floodPeer({ host: '127.0.0.1', port }, { count: 20 });
    peers.push(flood);
    await flood.waitForEvent('connected', WATCHDOG_MS);
    // Without a deadline the first 12 would be held for ever; with it, every one is closed.
    await flood.waitForEvent((event) => event.event === 'closed' && Number(event.closed) === 20, WATCHDOG_MS);
    const client = await connect(`tcp://${listener.name}`);
    await client.send(new Uint8Array([4, 5, 6]));
    expect(Array.from((await within(WATCHDOG_MS, 'the echo', client.receive())) ?? [])).toEqual([4, 5, 6]);
    await client.close();
    await listener.close();
    await within(WATCHDOG_MS, 'serve() ending', serving);
  }, 120_000);
});
