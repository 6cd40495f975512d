/**
 * The suite's second part: the rules of the Channel contract (transport.ts),
 * one `describe` per rule, each checked on every transport.
 */
import { strict as assert } from 'node:assert';
import { IpcError } from '../errors.js';
import type { Channel } from '../transport.js';
import { sleep as pause } from '../kit/cancel.js';
import { messages } from '../messages.js';
import { drainToEnd, failsWith, nextOf, receiver, rejectsWith, sendUntilRejected, type Suite } from './context.js';
import { SequenceChecker, bulkMessage, sameBytes, sequenceMessage } from './messages.js';
import type { PeerProcess } from './peer-process.js';

/** Bulk messages sent at a peer that does not read: far more than the OS and the peer buffer (16 MiB). */
const STALL_SIZE = 1024;
const STALL_COUNT = 16 * 1024;

/** Settles every send and sorts them: how many resolved, and every rejection's code. */
async function outcomes(sends: Promise<void>[]): Promise<{ resolved: number; codes: Set<string>; firstRejected: number }> {
  const results = await Promise.allSettled(sends);
  const codes = new Set<string>();
  let resolved = 0;
  let firstRejected = -1;
  for (const [i, result] of results.entries()) {
    if (result.status === 'fulfilled') {
      resolved++;
      assert.equal(firstRejected, -1, `send ${i} resolved after send ${firstRejected} was rejected: sends keep their order`);
    } else {
      if (firstRejected < 0) firstRejected = i;
      const error: unknown = result.reason;
      codes.add(error instanceof IpcError ? error.code : String(error));
    }
  }
  return { resolved, codes, firstRejected };
}

/** A writer that is never told its reader is gone (see TestContext.writerLearnsPeerLoss): its sends keep resolving. */
async function assertNeverTold(channel: Channel): Promise<void> {
  for (let i = 0; i < 20; i++) await channel.send(sequenceMessage(1, i), { timeoutMs: 10_000 });
  assert.equal(channel.closed, false);
}

/** Registers the tests of Rules 1 to 5. */
export function ruleTests({ describe, test, duplexTest }: Suite): void {
  describe('rule 1: a peer that goes away', () => {
    duplexTest('a client that closes: its messages, then a clean end; receive gives undefined, send gets EPIPE', 15_000, async (ctx) => {
      const listener = ctx.track(await ctx.t.listen(ctx.name));
      const peer = ctx.peers.start('send-and-close', ctx.name);
      const channel = ctx.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
      const received = await drainToEnd(channel);
      assert.deepEqual(
        received.map((m) => new TextDecoder().decode(m)),
        ['bye'],
      );
      await peer.finished();
      assert.equal(await receiver(channel)(), undefined, 'receive after the end');
      assert.equal(channel.closed, true);
      await rejectsWith(channel.send(new Uint8Array([1])), 'EPIPE');
    });

    duplexTest('a client process killed while idle: the iteration ends without an error, send gets EPIPE', 15_000, async (ctx) => {
      const listener = ctx.track(await ctx.t.listen(ctx.name));
      const peer = ctx.peers.start('connect-idle', ctx.name);
      const channel = ctx.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
      await peer.waitForEvent('ready');
      await peer.kill();
      assert.deepEqual(await drainToEnd(channel), []);
      assert.equal(channel.closed, true);
      await rejectsWith(channel.send(new Uint8Array([1])), 'EPIPE');
    });

    // The busy cases crash the peer from inside (it exits mid-stream, closing nothing) rather than
    // killing it: under Wine a TCP socket of a process terminated in the middle of a send stays open
    // (wineserver keeps both ends: `ss -tanp`), which real Windows and Linux never do. The chaos test
    // (tools/e2e) kills busy peers with SIGKILL on Linux.
    duplexTest('a client process that crashes while sending: whole messages in order, then a clean end', 20_000, async (ctx) => {
      const listener = ctx.track(await ctx.t.listen(ctx.name));
      const peer = ctx.peers.start('flood', ctx.name, 'connect', '5');
      const channel = ctx.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'));
      const incoming = channel[Symbol.asyncIterator]();
      const checker = new SequenceChecker();
      await crashMidStream(peer, incoming, checker);
      assert.ok(checker.countOf(5) >= 500);
      await rejectsWith(channel.send(new Uint8Array([1])), 'EPIPE');
    });

    test('the listening process killed while idle: sends get EPIPE (never ECONNRESET), then receive gives undefined', 15_000, async (ctx) => {
      const server = ctx.peers.start('hold', ctx.name);
      await server.waitForEvent('ready');
      const channel = ctx.trackChannel(await ctx.t.connect(ctx.name));
      await channel.send(new Uint8Array([1]));
      await server.kill();
      if (!ctx.writerLearnsPeerLoss) return assertNeverTold(channel);
      if (ctx.duplex) assert.equal(await receiver(channel)(), undefined, 'receive once the listener died');
      // A one-way writer learns it on its next send; a duplex channel already knows.
      const { error } = await sendUntilRejected(channel, () => new Uint8Array(16), { pauseMs: 20 });
      assert.ok(error instanceof IpcError && error.code === 'EPIPE', `expected EPIPE, got ${String(error)}`);
      assert.equal(channel.closed, true);
      assert.equal(await receiver(channel)(), undefined, 'receive on a channel whose peer is gone');
      await rejectsWith(channel.send(new Uint8Array([2])), 'EPIPE');
    });

    test('the listening process killed while we send: every later send gets EPIPE', 20_000, async (ctx) => {
      const server = ctx.peers.start('hold', ctx.name);
      await server.waitForEvent('ready');
      const channel = ctx.trackChannel(await ctx.t.connect(ctx.name));
      if (!ctx.writerLearnsPeerLoss) {
        await server.kill();
        return assertNeverTold(channel);
      }
      const sending = sendUntilRejected(channel, (i) => sequenceMessage(1, i));
      await pause(50);
      await server.kill();
      const { resolved, error } = await sending;
      assert.ok(resolved > 0, 'some sends went before the kill');
      assert.ok(error instanceof IpcError && error.code === 'EPIPE', `expected EPIPE, got ${String(error)}`);
      await rejectsWith(channel.send(new Uint8Array([1])), 'EPIPE');
    });

    duplexTest('the listening process crashes while it sends to us: whole messages in order, then a clean end', 20_000, async (ctx) => {
      const server = ctx.peers.start('flood', ctx.name, 'listen', '6');
      await server.waitForEvent('ready');
      const channel = ctx.trackChannel(await ctx.t.connect(ctx.name));
      const checker = new SequenceChecker();
      const incoming = channel[Symbol.asyncIterator]();
      await crashMidStream(server, incoming, checker);
      await rejectsWith(channel.send(new Uint8Array([1])), 'EPIPE');
    });
  });

  describe('rule 2: what send promises, and close() with sends pending', () => {
    test('close({ timeoutMs: 0 }) with a peer that does not read: pending sends get ECLOSED, exactly the resolved ones arrive', 60_000, async (ctx) => {
      const { peer, channel } = await ctx.stalledChannel(STALL_SIZE);
      const settled = outcomes(Array.from({ length: STALL_COUNT }, (_, i) => channel.send(bulkMessage(i, STALL_SIZE))));
      await pause(100);
      await channel.close({ timeoutMs: 0 });
      // Released before the sends are awaited: a write the OS is doing when close() gives up may
      // only end once the peer reads (a Windows WriteFile under Wine); it settles as the OS says.
      ctx.releaseStalled(peer);
      const { resolved, codes } = await settled;
      if (ctx.hasBackpressure) {
        assert.ok(resolved < STALL_COUNT, 'some sends were still pending at close (else the test proves nothing)');
        assert.deepEqual([...codes], ['ECLOSED']);
      }
      assert.equal(await ctx.stalledCount(peer), resolved, 'every resolved send arrived, and no rejected one');
    });

    test('close() gives pending sends its timeout: they all go once the peer reads', 60_000, async (ctx) => {
      const { peer, channel } = await ctx.stalledChannel(STALL_SIZE);
      const settled = outcomes(Array.from({ length: STALL_COUNT }, (_, i) => channel.send(bulkMessage(i, STALL_SIZE))));
      await pause(100);
      const closing = channel.close({ timeoutMs: 45_000 });
      ctx.releaseStalled(peer);
      await closing;
      const { resolved, codes } = await settled;
      assert.deepEqual([...codes], [], 'no send was given up');
      assert.equal(resolved, STALL_COUNT);
      assert.equal(await ctx.stalledCount(peer), STALL_COUNT);
    });

    test('close() with its default timeout gives up on a peer that never reads: it settles, pending sends get ECLOSED', 30_000, async (ctx) => {
      const { peer, channel } = await ctx.stalledChannel(STALL_SIZE);
      const settled = outcomes(Array.from({ length: STALL_COUNT }, (_, i) => channel.send(bulkMessage(i, STALL_SIZE))));
      await pause(100);
      await channel.close();
      ctx.releaseStalled(peer);
      const { resolved, codes } = await settled;
      if (ctx.hasBackpressure) {
        assert.ok(resolved < STALL_COUNT, 'some sends were still pending at close');
        assert.deepEqual([...codes], ['ECLOSED']);
      }
      assert.equal(await ctx.stalledCount(peer), resolved);
    });

    test('a loop of awaited sends to a peer that keeps up still lets timers run', 30_000, async (ctx) => {
      const server = ctx.peers.start('hold', ctx.name);
      await server.waitForEvent('ready');
      const channel = ctx.trackChannel(await ctx.t.connect(ctx.name));
      let sent = 0;
      let timerRanAt = -1;
      setTimeout(() => (timerRanAt = sent), 0);
      // Bounded: a transport that never yields ends the loop with the timer not run, and fails.
      while (timerRanAt < 0 && sent < 20_000) {
        await channel.send(sequenceMessage(2, sent));
        sent++;
      }
      assert.ok(timerRanAt >= 0, `a timer due at once did not run during ${sent} awaited sends: the sends starve the event loop`);
    });

    test('close() twice returns the same promise; a bad close option is EINVAL and closes nothing', 10_000, async (ctx) => {
      const { sender, receiverChannel } = await ctx.pair();
      await failsWith(() => sender.close({ timeoutMs: -1 }), 'EINVAL');
      assert.equal(sender.closed, false);
      const first = sender.close();
      assert.equal(sender.close(), first);
      await first;
      await receiverChannel.close();
    });
  });

  describe('rule 3: the same code for the same situation', () => {
    test('after close(): receive gives undefined at once (even while pending), iteration ends, send gets ECLOSED', 10_000, async (ctx) => {
      const { sender, receiverChannel, receiver: iterator } = await ctx.pair();
      await sender.send(new Uint8Array([1]));
      const receive = receiver(receiverChannel);
      assert.deepEqual([...((await receive()) ?? [])], [1]);
      const pending = receive();
      await receiverChannel.close();
      assert.equal(await pending, undefined, 'a receive pending at close()');
      assert.equal(await receive(), undefined, 'a receive after close()');
      assert.equal((await iterator.next()).done, true, 'iteration after close()');
      await sender.close();
      await rejectsWith(sender.send(new Uint8Array([1])), 'ECLOSED');
      assert.equal(await receiver(sender)(), undefined, 'receive on the closed sender');
    });

    test('the accepting side sends (duplex), or is refused with ENOTSUP (one-way)', 10_000, async (ctx) => {
      const { sender, receiverChannel } = await ctx.pair();
      if (!ctx.duplex) {
        await rejectsWith(receiverChannel.send(new Uint8Array([1])), 'ENOTSUP');
        return;
      }
      await receiverChannel.send(new Uint8Array([7]));
      assert.deepEqual([...((await receiver(sender)()) ?? [])], [7]);
    });

    test('a message that is not a Uint8Array is EINVAL, and the channel stays usable', 10_000, async (ctx) => {
      const { sender, receiver: incoming } = await ctx.pair();
      await failsWith(() => sender.send('text' as unknown as Uint8Array), 'EINVAL');
      await sender.send(new Uint8Array([3]));
      assert.deepEqual([...(await nextOf(incoming, 'channel'))], [3]);
    });
  });

  describe('rule 4: timeouts and cancellation never lose or split a message', () => {
    test('a receive that times out takes nothing: the next message still comes', 10_000, async (ctx) => {
      const { sender, receiverChannel } = await ctx.pair();
      const receive = receiver(receiverChannel);
      await rejectsWith(receive({ timeoutMs: 30 }), 'ETIMEDOUT');
      await sender.send(new Uint8Array([1, 2]));
      assert.deepEqual([...((await receive({ timeoutMs: 10_000 })) ?? [])], [1, 2]);
    });

    test('an aborted receive is ECANCELED and takes nothing; an already aborted signal is ECANCELED at once', 10_000, async (ctx) => {
      const { sender, receiverChannel } = await ctx.pair();
      const receive = receiver(receiverChannel);
      const controller = new AbortController();
      const pending = receive({ signal: controller.signal });
      controller.abort(new Error('stop'));
      const error = await rejectsWith(pending, 'ECANCELED');
      assert.equal((error.cause as Error).message, 'stop');
      await sender.send(new Uint8Array([9]));
      await rejectsWith(receive({ signal: AbortSignal.abort() }), 'ECANCELED');
      assert.deepEqual([...((await receive()) ?? [])], [9]);
    });

    test('receives abandoned again and again while a peer sends lose no message', 240_000, async (ctx) => {
      const count = 3_000;
      const listener = ctx.track(await ctx.t.listen(ctx.name));
      const accepted = listener[Symbol.asyncIterator]();
      // The writer pauses after every 100 messages: receives wait then, and their 1 ms deadlines
      // pass. A receiver that a busy machine keeps behind the writer finds a message every time
      // and abandons nothing (the run then proves nothing): run again with pauses ten times as long.
      const duplex = ctx.t.capabilities.duplex;
      let channel: Channel | undefined;
      let abandoned = 0;
      for (const pauseMs of [5, 50, 500]) {
        const writer = ctx.peers.start('send-sequence', ctx.name, '4', String(count), String(pauseMs));
        // A one-way listener yields one channel that carries every writer's messages.
        if (channel === undefined || duplex) channel = ctx.trackChannel(await nextOf(accepted, 'listener'));
        const receive = receiver(channel);
        const checker = new SequenceChecker();
        for (let i = 0; checker.received < count; i++) {
          // Timeouts of 1 ms and aborts on the next tick, alternately: most waits are given up.
          const options = i % 2 === 0 ? { timeoutMs: 1 } : { signal: AbortSignal.timeout(1) };
          try {
            const message = await receive(options);
            assert.ok(message !== undefined, 'the channel ended early');
            checker.accept(message);
          } catch (error) {
            assert.ok(error instanceof IpcError && (error.code === 'ETIMEDOUT' || error.code === 'ECANCELED'), String(error));
            abandoned++;
          }
        }
        assert.equal(checker.countOf(4), count);
        await writer.finished();
        if (duplex) await channel.close();
        if (abandoned > 0) break;
      }
      assert.ok(abandoned > 0, 'no wait was abandoned, even with 500 ms pauses: the test proved nothing');
    });

    test('messages(channel, { timeoutMs }) throws ETIMEDOUT when idle, and the next message is still there', 10_000, async (ctx) => {
      const { sender, receiverChannel } = await ctx.pair();
      await sender.send(new Uint8Array([1]));
      const got: number[] = [];
      await rejectsWith(
        (async () => {
          for await (const message of messages(receiverChannel, { timeoutMs: 50 })) got.push(...message);
        })(),
        'ETIMEDOUT',
      );
      assert.deepEqual(got, [1]);
      await sender.send(new Uint8Array([2]));
      for await (const message of messages(receiverChannel, { timeoutMs: 10_000 })) {
        assert.deepEqual([...message], [2]);
        break;
      }
    });

    test('a send that times out: exactly the resolved sends arrive; a withdrawn one leaves the channel usable', 60_000, async (ctx) => {
      const size = 4096;
      const { peer, channel } = await ctx.stalledChannel(size);
      if (!ctx.hasBackpressure) {
        // Nothing ever waits here (see hasBackpressure): a deadline still lets every send through.
        ctx.releaseStalled(peer);
        for (let i = 0; i < 100; i++) await channel.send(bulkMessage(i, size), { timeoutMs: 10_000 });
        await channel.close();
        assert.equal(await ctx.stalledCount(peer), 100);
        return;
      }
      const { resolved, error } = await sendUntilRejected(channel, (i) => bulkMessage(i, size), { timeoutMs: 200 });
      assert.ok(error instanceof IpcError && error.code === 'ETIMEDOUT', `expected ETIMEDOUT, got ${String(error)}`);
      if (channel.closed) {
        // The message was being handed over: the channel had to be closed (Rule 4).
        await rejectsWith(channel.send(bulkMessage(resolved, size)), 'ECLOSED');
        assert.equal(await ctx.drainStalled(peer), resolved);
        return;
      }
      // Withdrawn: the same message number goes again, after the peer starts reading.
      ctx.releaseStalled(peer);
      await channel.send(bulkMessage(resolved, size), { timeoutMs: 20_000 });
      await channel.close({ timeoutMs: 20_000 });
      assert.equal(await ctx.stalledCount(peer), resolved + 1);
    });

    test('a send with an aborted signal is ECANCELED: nothing is sent, and the channel stays usable', 10_000, async (ctx) => {
      const { sender, receiver: incoming } = await ctx.pair();
      await rejectsWith(sender.send(new Uint8Array([1]), { signal: AbortSignal.abort() }), 'ECANCELED');
      await sender.send(new Uint8Array([2]), { timeoutMs: 10_000, signal: new AbortController().signal });
      assert.ok(sameBytes(await nextOf(incoming, 'channel'), new Uint8Array([2])));
    });
  });

  describe('rule 5: limits', () => {
    test('a listener holds at most `backlog` channels nobody took; a connection beyond is closed at once', 20_000, async (ctx) => {
      const listener = ctx.track(await ctx.t.listen(ctx.name, { backlog: 2 }));
      if (!ctx.duplex) {
        // One channel carries every writer: nothing to bound, but writers beyond two are served.
        const writers = await Promise.all([1, 2, 3, 4].map(async () => ctx.trackChannel(await ctx.t.connect(ctx.name))));
        for (const [i, writer] of writers.entries()) await writer.send(new Uint8Array([i]));
        const incoming = ctx.trackChannel(await nextOf(listener[Symbol.asyncIterator](), 'listener'))[Symbol.asyncIterator]();
        const got = new Set<number>();
        while (got.size < 4) got.add((await nextOf(incoming, 'receiver'))[0] as number);
        return;
      }
      const clients = [];
      for (let i = 0; i < 4; i++) {
        const client = ctx.trackChannel(await ctx.t.connect(ctx.name));
        await client.send(new Uint8Array([i])).catch(() => undefined);
        clients.push(client);
      }
      // Two channels wait in the listener; the others' clients see their channel end.
      const iterator = listener[Symbol.asyncIterator]();
      const kept = new Set<number>();
      for (let n = 0; n < 2; n++) {
        const channel = ctx.trackChannel(await nextOf(iterator, 'listener'));
        const first = await nextOf(channel[Symbol.asyncIterator](), 'accepted channel');
        const index = first[0] as number;
        kept.add(index);
        await channel.send(new Uint8Array([100 + index]));
      }
      for (const [i, client] of clients.entries()) {
        const message = await receiver(client)({ timeoutMs: 10_000 });
        if (kept.has(i)) assert.deepEqual([...(message ?? [])], [100 + i], `client ${i} was accepted`);
        else assert.equal(message, undefined, `client ${i} was over the backlog: its channel ends`);
      }
    });

    test('bad options are EINVAL before anything is made; an aborted signal is ECANCELED', 10_000, async ({ t, name }) => {
      for (const backlog of [0, -1, 1.5, 'x', 70_000]) await failsWith(() => t.listen(name, { backlog: backlog as number }), 'EINVAL');
      for (const timeoutMs of [0, -5, 1.5, 'x']) await failsWith(() => t.connect(name, { timeoutMs: timeoutMs as number }), 'EINVAL');
      await failsWith(() => t.connect(name, { signal: {} as AbortSignal }), 'EINVAL');
      await failsWith(() => t.listen(name, { signal: 'x' as unknown as AbortSignal }), 'EINVAL');
      await failsWith(() => t.connect(name, { signal: AbortSignal.abort() }), 'ECANCELED');
      await failsWith(() => t.listen(name, { signal: AbortSignal.abort() }), 'ECANCELED');
    });

    test('send and receive options are checked: EINVAL, nothing sent or taken', 10_000, async (ctx) => {
      const { sender, receiverChannel, receiver: incoming } = await ctx.pair();
      await failsWith(() => sender.send(new Uint8Array([1]), { timeoutMs: 0 }), 'EINVAL');
      await failsWith(() => sender.send(new Uint8Array([1]), { signal: 5 as unknown as AbortSignal }), 'EINVAL');
      await failsWith(() => receiver(receiverChannel)({ timeoutMs: -1 }), 'EINVAL');
      await sender.send(new Uint8Array([2]));
      assert.deepEqual([...(await nextOf(incoming, 'channel'))], [2]);
    });
  });
}

/**
 * Reads 500 of a flooding peer's messages, has it crash from inside, then reads
 * to the end: whatever arrives must be whole and in order (the checker), and
 * the iteration must end rather than throw (Rule 1).
 */
async function crashMidStream(peer: PeerProcess, incoming: AsyncIterator<Uint8Array>, checker: SequenceChecker): Promise<void> {
  while (checker.received < 500) checker.accept(await nextOf(incoming, 'channel'));
  peer.write('crash\n');
  await peer.exit();
  try {
    for (;;) {
      const next = await incoming.next();
      if (next.done) break;
      checker.accept(next.value);
    }
  } catch (error) {
    assert.fail(`the iteration threw instead of ending (Rule 1): ${String(error)}`);
  }
}
