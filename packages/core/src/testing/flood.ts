import { strict as assert } from 'node:assert';
import type { NetConnectOpts } from 'node:net';
import { connect } from '../address.js';
import { serve } from '../serve.js';
import { sleep } from '../kit/cancel.js';
import type { Channel, ListenOptions, Listener } from '../transport.js';
import type { TestApi } from './index.js';
import { peerAsAnotherUser } from './another-user.js';
import { PeerProcess, type PeerProcessOptions } from './peer-process.js';
import { within } from './watchdog.js';

/**
 * A flood of connections from a separate process, for the flood limits of
 * Rule 5: `count` sockets connect to `target` and hold. With `announce`, each
 * sends a frame header announcing that many bytes, then `send` bytes of its
 * body, and never the rest (a half-sent frame, slowloris). It prints
 * `{"event":"connected","count":n}` once every socket connected (or failed),
 * and `{"event":"closed","closed":n}` each time one is closed, by either
 * side. It exits when its stdin ends.
 */
const FLOOD = `
import net from 'node:net';
const [target, countText, announceText, sendText] = process.argv.slice(1);
const options = JSON.parse(target);
const count = Number(countText);
const announce = Number(announceText);
const send = Number(sendText);
let settled = 0;
let closed = 0;
const settle = () => {
  if (++settled === count) console.log(JSON.stringify({ event: 'connected', count }));
};
for (let i = 0; i < count; i++) {
  const socket = net.connect(options);
  let counted = false;
  socket.on('connect', () => {
    counted = true;
    settle();
    if (announce > 0) {
      const header = Buffer.alloc(4);
      header.writeUInt32LE(announce, 0);
      socket.write(header);
      if (send > 0) socket.write(Buffer.alloc(send, 7));
    }
  });
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (!counted) settle();
    counted = true;
    console.log(JSON.stringify({ event: 'closed', closed: ++closed }));
  });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** What each connection of a {@link floodPeer} sends. */
export interface FloodShape {
  /** How many connections. */
  count: number;
  /** The length announced by one frame header each sends; 0: they send nothing (held idle). */
  announce?: number;
  /** Bytes of that frame's body each sends (fewer than announced: a frame left half-sent). */
  send?: number;
}

/**
 * Starts a process that opens `shape.count` connections to `target` (the
 * options of node:net's connect: `{ host, port }` or `{ path }`) and holds
 * them idle or half-sent. Wait for its "closed" events to see the listener
 * close them; end its input (or kill it) to drop the rest.
 */
export function floodPeer(target: NetConnectOpts, shape: FloodShape, options: PeerProcessOptions = {}): PeerProcess {
  return PeerProcess.module(FLOOD, floodArgs(target, shape), { label: 'flood peer', ...options });
}

/**
 * {@link floodPeer} run as the second local user (Linux, as root: see
 * another-user.ts), for the per-user share of a listener's backlog.
 */
export function floodPeerAsAnotherUser(target: NetConnectOpts, shape: FloodShape, options: PeerProcessOptions = {}): PeerProcess {
  return peerAsAnotherUser(process.execPath, ['--input-type=module', '-e', FLOOD, ...floodArgs(target, shape)], {
    label: 'flood peer (another user)',
    ...options,
  });
}

/** The flood program's arguments for `target` and `shape`. */
function floodArgs(target: NetConnectOpts, shape: FloodShape): string[] {
  return [JSON.stringify(target), String(shape.count), String(shape.announce ?? 0), String(shape.send ?? 0)];
}

/** How to run the flood tests on one stream transport. */
export interface FloodTestOptions {
  /** A label for the describe block, e.g. "tcp://". */
  label: string;
  /** Listens on a fresh name with these options (the transport's own `listen`). */
  listen(options: ListenOptions): Promise<Listener>;
  /** Where a raw socket reaches `listener` (node:net's connect options). */
  target(listener: Listener): NetConnectOpts;
  /** The address a legitimate client connects to (`tcp://127.0.0.1:port`, `pipe://name`). */
  address(listener: Listener): string;
}

/** The counters of a {@link StreamListener} the flood tests read, checked by shape (a test may load the kit twice). */
interface FloodCounters {
  readonly partialFrameBytes: number;
  readonly pending: number;
}

/** `listener` as the StreamListener a stream transport makes, for its counters. */
export function floodCounters(listener: Listener): FloodCounters {
  if (!('partialFrameBytes' in listener) || !('pending' in listener)) throw new Error('expected a StreamListener (pipe:// or tcp://)');
  return listener as unknown as FloodCounters;
}

const MIB = 1024 * 1024;
const FLOOD_WATCHDOG_MS = 60_000;

/** Resolves once `condition` holds, looking every 20 ms (the caller's watchdog bounds it). */
export async function pollUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(20);
}

/** A handler that sends back what it receives. */
async function echo(channel: Channel): Promise<void> {
  for await (const message of channel) await channel.send(message);
}

/** Sends one message as a legitimate client and expects it back. */
async function echoed(address: string, bytes: number[]): Promise<void> {
  const client = await connect(address);
  try {
    await client.send(new Uint8Array(bytes));
    assert.deepEqual(Array.from((await within(FLOOD_WATCHDOG_MS, 'the echo', client.receive())) ?? []), bytes);
  } finally {
    await client.close();
  }
}

/**
 * The flood limits of Rule 5 on a stream transport (issue 17 §5), against a
 * flood from another process: the partial-frame byte budget and the
 * first-message deadline, each leaving a legitimate client served. Runs
 * under Vitest and node:test alike (assertions are node:assert).
 */
export function runFloodTests(api: TestApi, options: FloodTestOptions): void {
  api.describe(`${options.label} under a flood`, () => {
    /** Runs `body` with a listener and a flood peer that are closed and killed whatever happens. */
    const withFlood = async (listenOptions: ListenOptions, body: (listener: Listener, peers: PeerProcess[]) => Promise<void>): Promise<void> => {
      const listener = await options.listen(listenOptions);
      const peers: PeerProcess[] = [];
      try {
        await body(listener, peers);
      } finally {
        await Promise.all(peers.map((peer) => peer.kill()));
        await listener.close();
      }
    };

    api.test(
      'holds at most maxPartialFrameBytes of partial frames: the connections that find no room are closed, the budget comes back',
      () =>
        withFlood({ maxPartialFrameBytes: 4 * MIB, firstMessageTimeoutMs: 0 }, async (listener, peers) => {
          const budget = 4 * MIB;
          const counters = floodCounters(listener);
          const codes: string[] = [];
          const serving = serve(listener, echo, { onError: (error) => codes.push((error as { code?: string }).code ?? String(error)) });
          // 16 connections announce 16 MiB frames and send 1 MiB of each: 16 MiB would be held without a bound.
          const flood = floodPeer(options.target(listener), { count: 16, announce: 16 * MIB, send: MIB });
          peers.push(flood);
          let most = 0;
          // At most 4 of them fit in 4 MiB: at least 12 must be closed once their bytes arrived.
          for (let closed = 1; closed <= 12; closed++) {
            await flood.waitForEvent((event) => event['event'] === 'closed' && Number(event['closed']) >= closed, FLOOD_WATCHDOG_MS);
            most = Math.max(most, counters.partialFrameBytes);
          }
          assert.ok(most <= budget, `${most} bytes held, over the budget of ${budget}`);
          assert.ok(counters.partialFrameBytes > 0, 'the frames that fit are still held');
          // Their handlers' receives failed with ENOMEM.
          assert.ok(codes.includes('ENOMEM'), `handler errors: ${codes.join(', ')}`);
          // A legitimate client's whole messages need no budget: it is still served.
          await echoed(options.address(listener), [1, 2, 3]);
          // The flood leaves: every byte it held goes back to the budget.
          flood.endInput();
          await flood.exit(FLOOD_WATCHDOG_MS);
          await within(
            FLOOD_WATCHDOG_MS,
            'the budget coming back',
            pollUntil(() => counters.partialFrameBytes === 0),
          );
          await listener.close();
          await within(FLOOD_WATCHDOG_MS, 'serve() ending', serving);
        }),
      120_000,
    );

    api.test(
      'closes connections held idle past firstMessageTimeoutMs, so a legitimate client is served again',
      () =>
        withFlood({ backlog: 8, firstMessageTimeoutMs: 300 }, async (listener, peers) => {
          const serving = serve(listener, echo, { concurrency: 4 });
          // 4 idle connections take every serve() slot, 8 more the whole backlog, 8 more are refused at once.
          const flood = floodPeer(options.target(listener), { count: 20 });
          peers.push(flood);
          await flood.waitForEvent('connected', FLOOD_WATCHDOG_MS);
          // Without a deadline the first 12 would be held for ever; with it, every one is closed.
          await flood.waitForEvent((event) => event['event'] === 'closed' && Number(event['closed']) === 20, FLOOD_WATCHDOG_MS);
          await echoed(options.address(listener), [4, 5, 6]);
          await listener.close();
          await within(FLOOD_WATCHDOG_MS, 'serve() ending', serving);
        }),
      120_000,
    );
  });
}
