/**
 * The suite's first part: names, capabilities, listen and connect, message
 * sizes and order, many clients, and round trips through a peer process.
 */
import { strict as assert } from 'node:assert';
import type { Channel } from '../transport.js';
import { failsWith, nextOf, rejectsWith, type Suite } from './context.js';
import { SequenceChecker, patternMessage, sameBytes, sequenceMessage } from './messages.js';

/** The names every transport must reject with EINVAL before any syscall. */
export const COMMON_BAD_NAMES: readonly string[] = ['', 'x'.repeat(4096), 'nul\0byte', 'a/b', 'a\\b', '..', '.', '../escape', 'line\nbreak'];

/** Registers the basic tests. */
export function basicTests({ test, duplexTest }: Suite, settings: { sequenceCount: number; clientCount: number; badNames: readonly string[] }): void {
  const { sequenceCount, clientCount } = settings;
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
    for (const bad of [...COMMON_BAD_NAMES, ...settings.badNames]) {
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
}
