/**
 * What every conformance test gets (the transport, a fresh name, its peers,
 * cleanup) and the assertions the suite files share.
 */
import { strict as assert } from 'node:assert';
import { IpcError } from '../errors.js';
import type { Channel, Listener, Transport } from '../transport.js';
import { STOP_MARKER } from './messages.js';
import type { PeerProcess } from './peer-process.js';
import type { PeerSet } from './peers.js';
import { within } from './watchdog.js';

/** Registers one test: a name, a watchdog budget in ms (scaled by the suite), a body. */
export type SuiteTest = (name: string, timeoutMs: number, body: (ctx: TestContext) => Promise<void>) => void;

/** What a suite file needs from runConformance. */
export interface Suite {
  describe: (name: string, fn: () => void) => void;
  /** A test for every transport. */
  test: SuiteTest;
  /** A test for duplex transports; on a one-way one it checks instead that the connecting side is send-only. */
  duplexTest: SuiteTest;
}

/** Asserts that `promise` rejects with an IpcError of one of `codes`; returns it. */
export async function rejectsWith(promise: Promise<unknown>, ...codes: string[]): Promise<IpcError> {
  let settled: unknown;
  let rejected = false;
  try {
    await promise;
  } catch (error) {
    settled = error;
    rejected = true;
  }
  assert.ok(settled instanceof IpcError, `expected an IpcError ${codes.join('|')}, got ${rejected ? String(settled) : 'success'}`);
  assert.ok(codes.includes(settled.code), `expected ${codes.join('|')}, got ${settled.code}: ${settled.message}`);
  return settled;
}

/** Calls `fn` and asserts it throws or rejects with an IpcError of code `code`. */
export async function failsWith(fn: () => unknown, code: string): Promise<IpcError> {
  return rejectsWith((async () => fn())(), code);
}

/** Takes the next item of an async iterator, failing when it ends. */
export async function nextOf<T>(iterator: AsyncIterator<T>, what: string): Promise<T> {
  const result = await iterator.next();
  assert.ok(!result.done, `${what} ended early`);
  return result.value;
}

/** The channel's receive(), bound (so that tests can hold it as a function). */
export function receiver(channel: Channel): (options?: Parameters<Channel['receive']>[0]) => Promise<Uint8Array | undefined> {
  return (options) => channel.receive(options);
}

/** Iterates `channel` to its end; asserts that the end is clean (no error, Rule 1). Returns what came. */
export async function drainToEnd(channel: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const received: Uint8Array[] = [];
  try {
    for await (const message of channel) received.push(message);
  } catch (error) {
    assert.fail(`the iteration threw instead of ending (Rule 1: a peer that goes away ends it cleanly): ${String(error)}`);
  }
  return received;
}

/**
 * Sends `make(i)` for i = 0, 1, ... one after the other until a send
 * rejects; returns how many resolved and the error. A pause of `pauseMs`
 * between sends lets a transport that learns late (a one-way writer) learn.
 */
export async function sendUntilRejected(
  channel: Channel,
  make: (i: number) => Uint8Array,
  options: { timeoutMs?: number; pauseMs?: number } = {},
): Promise<{ resolved: number; error: unknown }> {
  for (let i = 0; ; i++) {
    try {
      await channel.send(make(i), options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs });
    } catch (error) {
      return { resolved: i, error };
    }
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
}

/** What each test gets: the transport, a fresh name, its peers, and cleanup. */
export class TestContext {
  private readonly closers: Array<() => Promise<void>> = [];
  echoPeer: PeerProcess | undefined;

  constructor(
    readonly t: Transport,
    readonly name: string,
    readonly peers: PeerSet,
    /** Another fresh name, from the same generator as the test's own. */
    readonly freshName: () => Promise<string>,
  ) {}

  /** True for a duplex transport. */
  get duplex(): boolean {
    return this.t.capabilities.duplex;
  }

  track<T extends Listener>(listener: T): T {
    this.closers.push(() => listener.close());
    return listener;
  }

  trackChannel<T extends Pick<Channel, 'close'>>(channel: T): T {
    this.closers.push(() => channel.close({ timeoutMs: 0 }));
    return channel;
  }

  /** Connects to an echo server running in a peer process. */
  async echoChannel(): Promise<Channel> {
    this.echoPeer = this.peers.start('echo-server', this.name);
    await this.echoPeer.waitForEvent('ready');
    return this.trackChannel(await this.t.connect(this.name));
  }

  /**
   * A connected pair inside this process: listen, connect, accept. For a
   * one-way transport the receiver is the listener's receive channel.
   */
  async pair(listenOptions?: Parameters<Transport['listen']>[1]): Promise<{ sender: Channel; receiver: AsyncIterator<Uint8Array>; receiverChannel: Channel }> {
    const listener = this.track(await this.t.listen(this.name, listenOptions));
    const sender = this.trackChannel(await this.t.connect(this.name));
    const receiverChannel = this.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
    return { sender, receiver: receiverChannel[Symbol.asyncIterator](), receiverChannel };
  }

  /**
   * A channel to a `stall` peer: it accepted us and reads nothing until
   * {@link drainStalled} tells it to; then it counts the bulk messages of
   * `size` bytes that arrive in order.
   */
  async stalledChannel(size: number): Promise<{ peer: PeerProcess; channel: Channel }> {
    const peer = this.peers.start('stall', this.name, String(size));
    await peer.waitForEvent('ready');
    const channel = this.trackChannel(await this.t.connect(this.name));
    await peer.waitForEvent('accepted');
    return { peer, channel };
  }

  /** Lets a `stall` peer start reading. */
  releaseStalled(peer: PeerProcess): void {
    peer.write('go\n');
  }

  /**
   * How many bulk messages a released `stall` peer got, in order, once its
   * channel ended. On a one-way transport the slot never ends by itself: a
   * second writer sends the stop marker, which queues behind everything sent
   * so far (call this once the sends of interest settled).
   */
  async stalledCount(peer: PeerProcess): Promise<number> {
    if (!this.duplex) {
      const marker = await this.t.connect(this.name);
      await marker.send(new Uint8Array([STOP_MARKER]));
      await marker.close();
    }
    const drained = await peer.waitForEvent('drained');
    return drained.count as number;
  }

  /** {@link releaseStalled}, then {@link stalledCount}. */
  async drainStalled(peer: PeerProcess): Promise<number> {
    this.releaseStalled(peer);
    return this.stalledCount(peer);
  }

  /**
   * False where the OS queues without limit, so that sends to a peer that
   * does not read never wait: a Windows mailslot (WriteFile never blocks;
   * Wine's does). Tests of what happens to pending sends need pending sends.
   */
  get hasBackpressure(): boolean {
    return this.duplex || this.t.capabilities.backend !== 'win32';
  }

  /**
   * False where a writer is never told that its reader went away: a Windows
   * mailslot, whose queue lives on while a writer holds it (docs/mailslot.md,
   * "writer learns the reader is gone"). Its sends keep resolving; what they
   * carry is lost with the reader, as Rule 2 allows for a peer that goes away.
   */
  get writerLearnsPeerLoss(): boolean {
    return this.duplex || this.t.capabilities.backend !== 'win32';
  }

  async cleanup(): Promise<void> {
    await this.peers.killAll();
    for (const close of this.closers.reverse()) {
      await within(5_000, 'cleanup close', close()).catch(() => undefined);
    }
  }
}

/** For a one-way transport, the connecting side's channel yields nothing and ends. */
export async function assertSendOnly(ctx: TestContext): Promise<void> {
  const { sender } = await ctx.pair();
  const received: Uint8Array[] = [];
  const iteration = (async () => {
    for await (const message of sender) received.push(message);
  })();
  await sender.close();
  await iteration;
  assert.equal(received.length, 0, 'a send-only channel receives nothing');
}
