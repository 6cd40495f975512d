/**
 * The conformance suite: one call runs the same tests on any transport, with
 * peers in separate OS processes. It only needs `describe` and a `test` that
 * takes a timeout, so it runs under Vitest on Linux and under node:test in
 * the Windows lane alike. Assertions use node:assert.
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runConformance } from '@ipckit/core/testing';
 * import { conformanceOptions } from '../src/testing.js';
 * runConformance({ describe, test: (name, fn, ms) => it(name, fn, ms) }, conformanceOptions);
 * ```
 *
 * It also holds the test support every package shares, so none keeps a copy:
 * `PeerProcess` (run a peer script or native program, read its stdout lines
 * and JSON events, wait, write, kill), `report`/`runPeer` (the peer script's
 * side of those events), and `within` (the one watchdog).
 */
import { strict as assert } from 'node:assert';
import { IpcError } from '../errors.js';
import { uniqueName as defaultUniqueName } from '../names.js';
import type { Channel, Listener, Transport } from '../transport.js';
import { SequenceChecker, patternMessage, sameBytes, sequenceMessage } from './messages.js';
import type { PeerProcess } from './peer-process.js';
import { PeerSet } from './peers.js';
import { within } from './watchdog.js';

export { OTHER_USER, anotherUser, asAnotherUser, type OtherUser } from './another-user.js';
export { SequenceChecker, fnv1a, patternMessage, readSequenceMessage, sameBytes, sequenceMessage } from './messages.js';
export { PeerProcess, type EventMatch, type LineMatch, type PeerEvent, type PeerProcessOptions, type RunResult } from './peer-process.js';
export { PeerSet } from './peers.js';
export { report, runPeer } from './report.js';
export { within } from './watchdog.js';

/** The two functions of a test framework the suite needs. */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  /** Registers a test; the framework must fail it after `timeoutMs`. */
  test(name: string, fn: () => Promise<void>, timeoutMs: number): void;
}

/** How to run the suite on one transport. */
export interface ConformanceOptions {
  /** A label for the describe block, e.g. "named-pipe". */
  label: string;
  /**
   * URL (file://) of a module exporting `transport`. Peer processes import it,
   * and so does the suite, so both sides run the same code.
   */
  moduleUrl: string;
  /** Makes a fresh name for each test; defaults to a unique short name. */
  uniqueName?: () => string | Promise<string>;
  /** Extra names the transport must reject with EINVAL. */
  badNames?: string[];
  /** How many messages the sequence tests send (default 10,000). */
  sequenceCount?: number;
  /** How many client processes the "several clients" test runs (default 4). */
  clients?: number;
  /** Multiplies every watchdog (slow machines, emulation). Default 1. */
  timeoutScale?: number;
}

/** The names every transport must reject with EINVAL before any syscall. */
export const COMMON_BAD_NAMES: readonly string[] = ['', 'x'.repeat(4096), 'nul\0byte', 'a/b', 'a\\b', '..', '.', '../escape', 'line\nbreak'];

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
async function nextOf<T>(iterator: AsyncIterator<T>, what: string): Promise<T> {
  const result = await iterator.next();
  assert.ok(!result.done, `${what} ended early`);
  return result.value;
}

/** Registers the conformance tests for one transport. */
export function runConformance(api: TestApi, options: ConformanceOptions): void {
  const scale = options.timeoutScale ?? 1;
  const sequenceCount = options.sequenceCount ?? 10_000;
  const clientCount = options.clients ?? 4;
  let loaded: Promise<Transport> | undefined;
  const transport = (): Promise<Transport> => (loaded ??= import(options.moduleUrl).then((m: { transport: Transport }) => m.transport));
  const freshName = async (): Promise<string> => (options.uniqueName ? options.uniqueName() : defaultUniqueName('ipc'));

  /** Runs a test body with its own peers and resources, all cleaned up afterwards. */
  const test = (name: string, timeoutMs: number, body: (ctx: TestContext) => Promise<void>): void => {
    const budget = timeoutMs * scale;
    api.test(
      name,
      async () => {
        const ctx = new TestContext(await transport(), await freshName(), new PeerSet(options.moduleUrl, budget), freshName);
        try {
          // Our own watchdog fires a little before the framework's, so peers are killed and the reason is clear.
          await within(budget - 500, name, body(ctx));
        } finally {
          await ctx.cleanup();
        }
      },
      budget,
    );
  };

  api.describe(`conformance: ${options.label}`, () => {
    test('reports honest capabilities', 5_000, async ({ t }) => {
      const caps = t.capabilities;
      assert.equal(caps.scheme, t.scheme);
      // Which backend runs is @ipckit/sys's one platform fact (its own tests pin it to the OS).
      // Typed as the union, but the transport under test may say anything: checked as a string.
      const backend: string = caps.backend;
      assert.ok(backend === 'win32' || backend === 'posix', `backend ${backend}`);
      assert.ok(caps.maxMessageBytes >= 64 * 1024, 'every transport carries at least 64 KiB messages');
      assert.ok(caps.primitive.length > 0);
      for (const key of ['duplex', 'messageBoundaries', 'manyWriters', 'crossesMachines'] as const) {
        assert.equal(typeof caps[key], 'boolean', key);
      }
    });

    test('bad names are rejected with EINVAL before anything is created', 10_000, async ({ t }) => {
      for (const bad of [...COMMON_BAD_NAMES, ...(options.badNames ?? [])]) {
        await failsWith(() => t.listen(bad), 'EINVAL');
        await failsWith(() => t.connect(bad), 'EINVAL');
      }
    });

    test('connecting where nobody listens gives ENOENT quickly', 5_000, async ({ t, name }) => {
      await rejectsWith(t.connect(name), 'ENOENT');
    });

    test('listening twice on one name gives EADDRINUSE, in-process and across processes', 15_000, async (ctx) => {
      const { t, name } = ctx;
      const first = ctx.track(await t.listen(name));
      await rejectsWith(t.listen(name), 'EADDRINUSE');
      await first.close();
      // The name is free again once closed.
      await ctx.track(await t.listen(name)).close();
      const other = await ctx.freshName();
      await ctx.peers.start('hold', other).waitForEvent('ready');
      await rejectsWith(t.listen(other), 'EADDRINUSE');
    });

    test('closing a listener frees the name and ends its iteration', 10_000, async (ctx) => {
      const { t, name } = ctx;
      const listener = ctx.track(await t.listen(name));
      const iteration = (async () => {
        for await (const _ of listener) {
          // Drained: only the end of the iteration matters.
        }
      })();
      await listener.close();
      await iteration;
      await rejectsWith(t.connect(name), 'ENOENT');
    });

    test('a message over the maximum is rejected with EMSGSIZE and the channel stays usable', 30_000, async (ctx) => {
      const { receiver, sender } = await ctx.pair();
      const max = sender.maxMessageBytes;
      await rejectsWith(sender.send(new Uint8Array(max + 1)), 'EMSGSIZE');
      await sender.send(patternMessage(10, 1));
      assert.ok(sameBytes(await nextOf(receiver, 'channel'), patternMessage(10, 1)));
    });

    test('a send after close rejects with ECLOSED', 10_000, async (ctx) => {
      const { sender } = await ctx.pair();
      await sender.close();
      assert.equal(sender.closed, true);
      await rejectsWith(sender.send(new Uint8Array([1])), 'ECLOSED');
      await sender.close(); // closing twice is harmless
    });

    test('messages from a peer process arrive whole, in order: 0 B, 1 B, 64 KiB and the maximum', 60_000, async (ctx) => {
      const { t } = ctx;
      const max = t.capabilities.maxMessageBytes;
      const sizes = [0, 1, 2, 100, 64 * 1024, 64 * 1024 + 1, max, 3];
      const listener = ctx.track(await t.listen(ctx.name));
      const writer = ctx.peers.start('send-sizes', ctx.name, sizes.join(','));
      const channel = ctx.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
      const incoming = channel[Symbol.asyncIterator]();
      for (const [i, size] of sizes.entries()) {
        const got = await nextOf(incoming, 'channel');
        assert.equal(got.length, size, `message ${i}`);
        assert.ok(sameBytes(got, patternMessage(size, i)), `message ${i} (${size} bytes) content`);
      }
      await writer.finished();
    });

    test(`${sequenceCount} messages from a peer process: none lost, duplicated, reordered or corrupted`, 60_000, async (ctx) => {
      const listener = ctx.track(await ctx.t.listen(ctx.name));
      const writer = ctx.peers.start('send-sequence', ctx.name, '7', String(sequenceCount));
      const channel = ctx.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
      const checker = new SequenceChecker();
      const incoming = channel[Symbol.asyncIterator]();
      while (checker.received < sequenceCount) checker.accept(await nextOf(incoming, 'channel'));
      assert.equal(checker.countOf(7), sequenceCount);
      await writer.finished();
    });

    test(`${clientCount} client processes at once, each one's messages complete and in order`, 90_000, async (ctx) => {
      const { t } = ctx;
      const perClient = Math.ceil(sequenceCount / 10);
      const listener = ctx.track(await t.listen(ctx.name));
      const writers = Array.from({ length: clientCount }, (_, i) => ctx.peers.start('send-sequence', ctx.name, String(i + 1), String(perClient)));
      const checker = new SequenceChecker();
      const total = clientCount * perClient;
      // A receiving error (lost, duplicated, reordered, corrupt) fails this test at once.
      // Boxed: a thrown value can be anything, even undefined.
      let failure: { error: unknown } | undefined;
      let reportFailure: (error: unknown) => void = () => undefined;
      const failed = new Promise<never>((_, reject) => {
        reportFailure = reject;
      });
      failed.catch(() => undefined);
      const drain = async (channel: Channel): Promise<void> => {
        try {
          for await (const message of channel) checker.accept(message);
        } catch (error) {
          failure ??= { error };
          reportFailure(error);
        }
      };
      const drains: Promise<void>[] = [];
      const accepting = (async () => {
        for await (const channel of listener) {
          drains.push(drain(ctx.trackChannel(channel)));
          // A one-way transport hands over a single channel carrying every writer.
          if (!t.capabilities.duplex || drains.length === clientCount) break;
        }
      })();
      await Promise.race([Promise.all(writers.map((w) => w.finished())), failed]);
      await Promise.race([accepting, failed]);
      if (t.capabilities.duplex) {
        // Each channel ends when its writer closes; all it sent must have arrived by then.
        await Promise.race([Promise.all(drains), failed]);
      } else {
        // The one receive channel does not end by itself: wait until everything arrived.
        while (checker.received < total && failure === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      if (failure !== undefined) throw failure.error;
      for (let i = 1; i <= clientCount; i++) assert.equal(checker.countOf(i), perClient, `client ${i}`);
    });

    test('closing a channel ends its own iteration cleanly', 10_000, async (ctx) => {
      const { receiver, receiverChannel } = await ctx.pair();
      const iteration = (async () => {
        for await (const _ of { [Symbol.asyncIterator]: () => receiver }) {
          // Drained: only the end of the iteration matters.
        }
      })();
      await receiverChannel.close();
      await iteration;
    });

    api.describe('duplex', () => {
      const duplexTest = (name: string, timeoutMs: number, body: (ctx: TestContext) => Promise<void>): void =>
        test(name, timeoutMs, async (ctx) => {
          if (!ctx.t.capabilities.duplex) {
            // One-way transports state it in their Capabilities; check that the connect side really is send-only.
            return assertSendOnly(ctx);
          }
          return body(ctx);
        });

      duplexTest('a round trip through an echo peer process', 15_000, async (ctx) => {
        const channel = await ctx.echoChannel();
        const incoming = channel[Symbol.asyncIterator]();
        await channel.send(new Uint8Array([1, 2, 3]));
        assert.deepEqual([...(await nextOf(incoming, 'channel'))], [1, 2, 3]);
      });

      duplexTest('order kept and sizes 0 B to the maximum survive a round trip', 60_000, async (ctx) => {
        const channel = await ctx.echoChannel();
        const incoming = channel[Symbol.asyncIterator]();
        const sizes = [0, 1, 64 * 1024, channel.maxMessageBytes, 0, 5];
        // Send all before reading any: the transport must keep them in order.
        const sending = Promise.all(sizes.map((size, i) => channel.send(patternMessage(size, i))));
        for (const [i, size] of sizes.entries()) {
          const got = await nextOf(incoming, 'channel');
          assert.equal(got.length, size, `message ${i}`);
          assert.ok(sameBytes(got, patternMessage(size, i)), `message ${i} content`);
        }
        await sending;
      });

      duplexTest(`${sequenceCount} messages through an echo peer and back, checked`, 60_000, async (ctx) => {
        const channel = await ctx.echoChannel();
        const incoming = channel[Symbol.asyncIterator]();
        const checker = new SequenceChecker();
        const sending = (async () => {
          for (let seq = 0; seq < sequenceCount; seq++) await channel.send(sequenceMessage(3, seq));
        })();
        while (checker.received < sequenceCount) checker.accept(await nextOf(incoming, 'channel'));
        await sending;
      });

      duplexTest("a peer that closes ends the other side's iteration cleanly", 15_000, async (ctx) => {
        const listener = ctx.track(await ctx.t.listen(ctx.name));
        const peer = ctx.peers.start('send-and-close', ctx.name);
        const channel = ctx.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
        const received: string[] = [];
        for await (const message of channel) received.push(new TextDecoder().decode(message));
        assert.deepEqual(received, ['bye']);
        await peer.finished();
      });

      duplexTest('a peer process that dies is noticed: iteration ends and sends reject', 15_000, async (ctx) => {
        const channel = await ctx.echoChannel();
        await ctx.echoPeer?.kill();
        let ended: boolean;
        try {
          for await (const _ of channel) {
            // Drained: only the end of the iteration matters.
          }
          ended = true;
        } catch (error) {
          assert.ok(error instanceof IpcError, String(error));
          assert.ok(['ECONNRESET', 'EPIPE'].includes(error.code), error.code);
          ended = true;
        }
        assert.ok(ended);
        await rejectsWith(
          (async () => {
            for (;;) {
              await channel.send(new Uint8Array(16));
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          })(),
          'ECONNRESET',
          'EPIPE',
        );
      });
    });
  });
}

/** For a one-way transport, the connecting side's channel yields nothing and ends. */
async function assertSendOnly(ctx: TestContext): Promise<void> {
  const { sender } = await ctx.pair();
  const received: Uint8Array[] = [];
  const iteration = (async () => {
    for await (const message of sender) received.push(message);
  })();
  await sender.close();
  await iteration;
  assert.equal(received.length, 0, 'a send-only channel receives nothing');
}

/** What each test gets: the transport, a fresh name, its peers, and cleanup. */
class TestContext {
  private readonly closers: Array<() => Promise<void>> = [];
  echoPeer: PeerProcess | undefined;

  constructor(
    readonly t: Transport,
    readonly name: string,
    readonly peers: PeerSet,
    /** Another fresh name, from the same generator as the test's own. */
    readonly freshName: () => Promise<string>,
  ) {}

  track<T extends Listener>(listener: T): T {
    this.closers.push(() => listener.close());
    return listener;
  }

  trackChannel<T extends Channel>(channel: T): T {
    this.closers.push(() => channel.close());
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
  async pair(): Promise<{ sender: Channel; receiver: AsyncIterator<Uint8Array>; receiverChannel: Channel }> {
    const listener = this.track(await this.t.listen(this.name));
    const sender = this.trackChannel(await this.t.connect(this.name));
    const receiverChannel = this.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
    return { sender, receiver: receiverChannel[Symbol.asyncIterator](), receiverChannel };
  }

  async cleanup(): Promise<void> {
    await this.peers.killAll();
    for (const close of this.closers.reverse()) {
      await within(5_000, 'cleanup close', close()).catch(() => undefined);
    }
  }
}
