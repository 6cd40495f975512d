/**
 * Issue 17 §5: floods of tcp:// connections held idle or half-sent
 * (slowloris) from another process: the flood limits of Rule 5, in the suite
 * every stream transport runs (@ipckit/core/testing's runFloodTests), and
 * (Linux, as root) at most half the backlog for another local user's
 * connections, told by /proc/net/tcp.
 */
import type { Server } from 'node:net';
import { endianness } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Channel, type Listener } from '@ipckit/core';
import { PEER_BACKLOG_SHARE } from '@ipckit/core/kit';
import { anotherUser, floodCounters, floodPeerAsAnotherUser, pollUntil, runFloodTests, within, type PeerProcess } from '@ipckit/core/testing';
import { procAddress, tcpPeerKey, tcpPeerUid, transport } from '@ipckit/tcp';
import { IS_LINUX } from '@ipckit/sys';

const WATCHDOG_MS = 60_000;

const port = (name: string): number => Number(name.split(':')[1]);

runFloodTests(
  { describe, test: (name, fn, ms) => it(name, fn, ms) },
  {
    label: 'tcp://',
    listen: (options) => transport.listen('127.0.0.1:0', options),
    target: (listener) => ({ host: '127.0.0.1', port: port(listener.name) }),
    address: (listener) => `tcp://${listener.name}`,
  },
);

describe('tcp:// under a flood from another local user', () => {
  const peers: PeerProcess[] = [];
  const listeners: Listener[] = [];
  const channels: Channel[] = [];

  afterEach(async () => {
    await Promise.all(channels.splice(0).map((channel) => channel.close()));
    await Promise.all(peers.splice(0).map((peer) => peer.kill()));
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  }, 120_000);

  it.runIf(IS_LINUX)('tells the user of a local client from /proc/net/tcp, and a remote host by its address', async () => {
    const listener = await transport.listen('127.0.0.1:0');
    listeners.push(listener);
    const accepted = new Promise<{ localAddress: string; localPort: number; remoteAddress: string; remotePort: number }>((resolve) => {
      (listener as unknown as { server: Server }).server.once('connection', (socket) =>
        resolve({ localAddress: socket.localAddress!, localPort: socket.localPort!, remoteAddress: socket.remoteAddress!, remotePort: socket.remotePort! }),
      );
    });
    channels.push(await connect(`tcp://${listener.name}`));
    const ends = await within(WATCHDOG_MS, 'the connection', accepted);
    // This process's own client: its uid, and no cap (our own user's processes are not told apart).
    expect(tcpPeerUid(ends)).toBe(process.getuid!());
    expect(tcpPeerKey(ends)).toBeUndefined();
    // A client on another machine (a documentation address, TEST-NET-3) is keyed by its address.
    expect(tcpPeerKey({ ...ends, remoteAddress: '203.0.113.9' })).toBe('host:203.0.113.9');
    expect(tcpPeerKey({ ...ends, remoteAddress: '::ffff:203.0.113.9' })).toBe('host:203.0.113.9');
  });

  it('reads /proc/net/tcp and tcp6 addresses in host byte order', () => {
    const le = endianness() === 'LE';
    expect(procAddress(le ? '0100007F:1F90' : '7F000001:1F90')).toBe('127.0.0.1:8080');
    expect(procAddress(le ? '00000000000000000000000001000000:0016' : '00000000000000000000000000000001:0016')).toBe('[0:0:0:0:0:0:0:1]:22');
    expect(procAddress(le ? '0000000000000000FFFF00000100007F:0050' : '00000000000000000000FFFF7F000001:0050')).toBe('127.0.0.1:80');
    expect(procAddress('nonsense')).toBeUndefined();
  });

  it.runIf(IS_LINUX && anotherUser() !== undefined)(
    "lets another user's connections hold at most half the backlog, so this user's client still gets a slot",
    async () => {
      const backlog = 8;
      const share = Math.floor(backlog * PEER_BACKLOG_SHARE);
      const listener = await transport.listen('127.0.0.1:0', { backlog, firstMessageTimeoutMs: 0 });
      listeners.push(listener);
      const counters = floodCounters(listener);
      // Nobody takes from the listener: 10 connections of the other user, only `share` of them may wait.
      const flood = floodPeerAsAnotherUser({ host: '127.0.0.1', port: port(listener.name) }, { count: 10 });
      peers.push(flood);
      await flood.waitForEvent('connected', WATCHDOG_MS);
      await flood.waitForEvent((event) => event['event'] === 'closed' && Number(event['closed']) === 10 - share, WATCHDOG_MS);
      expect(counters.pending).toBe(share);
      // This user's own client is let in beside them.
      channels.push(await connect(`tcp://${listener.name}`));
      await within(
        WATCHDOG_MS,
        "this user's connection being queued",
        pollUntil(() => counters.pending === share + 1),
      );
      // The flood leaves: its slots come back.
      flood.endInput();
      await flood.exit(WATCHDOG_MS);
      await within(
        WATCHDOG_MS,
        'the slots coming back',
        pollUntil(() => counters.pending === 1),
      );
    },
    120_000,
  );
});
