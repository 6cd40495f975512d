/**
 * The topics suite's first part: what a topic is on this transport (or that
 * it has none), bad input, the codes of Rule T5, order across processes
 * (T1), history (T2), codecs, and receiving (timeouts take nothing).
 */
import { strict as assert } from 'node:assert';
import { json, structured } from '../codec.js';
import { IpcError } from '../errors.js';
import { publishOn, subscribeOn } from '../kit/topic-transport.js';
import { withTopicCodec } from '../topic-codec.js';
import type { Publisher, Subscriber } from '../topic.js';
import { failsWith, rejectsWith } from './context.js';
import type { TopicSuite } from './topic-context.js';
import { DeliveryLog, topicMessage } from './topic-messages.js';

/** Reads `count` deliveries, checking each (Rule T1); returns the log. */
export async function readDeliveries(subscriber: Subscriber, count: number, bulkBytes?: number): Promise<DeliveryLog> {
  const log = new DeliveryLog(bulkBytes);
  while (log.count < count) {
    const delivery = await subscriber.receive();
    assert.ok(delivery, `the topic ended after ${log.count} of ${count} deliveries`);
    log.accept(delivery);
  }
  return log;
}

/** Reads to the end, checking each delivery (continuing `log`); asserts that the end is clean (Rule T4). */
export async function readToEnd(subscriber: Subscriber, bulkBytes?: number, log = new DeliveryLog(bulkBytes)): Promise<DeliveryLog> {
  try {
    for await (const delivery of subscriber) log.accept(delivery);
  } catch (error) {
    assert.fail(`the iteration threw instead of ending cleanly (Rule T4): ${String(error)}`);
  }
  return log;
}

/** Publish options out of range or of the wrong type: each must be EINVAL before the name is served. */
const BAD_PUBLISH_OPTIONS: ReadonlyArray<[string, unknown]> = [
  ['history -1', { history: -1 }],
  ['history over capacity', { history: 9, capacity: 8 }],
  ['capacity 0', { capacity: 0 }],
  ['capacity 65,537', { capacity: 65_537 }],
  ['maxSubscribers 0', { maxSubscribers: 0 }],
  ['policy "newest"', { policy: 'newest' }],
  ['blockTimeoutMs 0', { blockTimeoutMs: 0 }],
  ['blockTimeoutMs with disconnect', { policy: 'disconnect', blockTimeoutMs: 10 }],
  ['maxMessageBytes -1', { maxMessageBytes: -1 }],
  ['options that are a string', 'history=1'],
];

/** Registers the first part of the topics suite; `badNames` are the transport's own extra bad names. */
export function topicBasicTests({ describe, test }: TopicSuite): void {
  describe('what a topic is here', () => {
    test('Capabilities says whether there are topics; without them publish and subscribe give ENOTSUP, creating nothing', 10_000, async (ctx) => {
      assert.equal(typeof ctx.t.capabilities.topics, 'boolean', 'capabilities.topics');
      if (ctx.t.capabilities.topics) {
        const publisher = await ctx.publish();
        assert.equal(publisher.subscriberCount, 0);
        return;
      }
      await failsWith(() => publishOn(ctx.t, ctx.name), 'ENOTSUP');
      await failsWith(() => publishOn(ctx.t, ctx.name, { history: 5 }), 'ENOTSUP');
      await failsWith(() => subscribeOn(ctx.t, ctx.name), 'ENOTSUP');
      // Nothing was created: the name can still be served.
      const listener = await ctx.t.listen(ctx.name);
      await listener.close();
    });
  });
}

/** Registers the tests that need topics (runTopicConformance registers them only where Capabilities says so). */
export function topicContractTests({ describe, test }: TopicSuite, badNames: readonly string[], commonBadNames: readonly string[]): void {
  describe('bad input', () => {
    test('bad names: EINVAL from publish and subscribe', 15_000, async (ctx) => {
      for (const bad of [...commonBadNames, ...badNames]) {
        await failsWith(() => publishOn(ctx.t, bad), 'EINVAL');
        await failsWith(() => subscribeOn(ctx.t, bad), 'EINVAL');
      }
    });

    test('options out of range: EINVAL, and the name is still free', 15_000, async (ctx) => {
      for (const [what, options] of BAD_PUBLISH_OPTIONS) {
        const error = await rejectsWith(publishOn(ctx.t, ctx.name, options as never), 'EINVAL').catch((e: unknown) => {
          throw new Error(`${what}: ${String(e)}`);
        });
        assert.ok(error.message.length > 0);
      }
      await failsWith(() => subscribeOn(ctx.t, ctx.name, { timeoutMs: -5 }), 'EINVAL');
      await failsWith(() => subscribeOn(ctx.t, ctx.name, { maxMessageBytes: 1.5 }), 'EINVAL');
      await failsWith(() => publishOn(ctx.t, ctx.name, { signal: AbortSignal.abort() }), 'ECANCELED');
      // None of them served the name.
      const publisher = await ctx.publish();
      await publisher.close();
    });

    test('send: EINVAL for what is not a message, EMSGSIZE over maxMessageBytes; the publisher stays usable', 15_000, async (ctx) => {
      const publisher = await ctx.publish({ maxMessageBytes: 1024 });
      const subscriber = await ctx.subscribe();
      await rejectsWith(publisher.send('text' as never), 'EINVAL');
      await rejectsWith(publisher.send(new Uint8Array(1025)), 'EMSGSIZE');
      await publisher.send(topicMessage(0));
      const log = await readDeliveries(subscriber, 1);
      assert.equal(log.summary().first, 0, 'the refused sends took no sequence number');
    });
  });

  describe('rule T5: the same code for the same situation', () => {
    test('publish on a served name: EADDRINUSE; nobody publishes: ENOENT; a listener that is no topic: EBADMSG', 20_000, async (ctx) => {
      await rejectsWith(subscribeOn(ctx.t, ctx.name), 'ENOENT');
      const peer = await ctx.peerPublisher();
      await rejectsWith(publishOn(ctx.t, ctx.name), 'EADDRINUSE');
      peer.write('close\n');
      await peer.finished();
      // The name is free again once the publisher closed.
      const publisher = await ctx.publish();
      await publisher.close();

      const other = await ctx.freshName();
      const listener = await ctx.t.listen(other);
      try {
        await rejectsWith(publishOn(ctx.t, other), 'EADDRINUSE');
        // An echo server sends the hello back: that is no welcome.
        void (async () => {
          for await (const channel of listener) {
            void (async () => {
              for await (const message of channel) await channel.send(message);
            })().catch(() => undefined);
          }
        })();
        await rejectsWith(subscribeOn(ctx.t, other), 'EBADMSG');
      } finally {
        await listener.close();
      }
    });

    test('maxSubscribers reached: ENOMEM; the slot of one that leaves is free again', 20_000, async (ctx) => {
      const publisher = await ctx.publish({ maxSubscribers: 2 });
      const first = await ctx.subscribe();
      await ctx.subscribe();
      await rejectsWith(subscribeOn(ctx.t, ctx.name), 'ENOMEM');
      await first.close();
      await ctx.until('the publisher to free the slot', () => publisher.subscriberCount === 1);
      const third = await ctx.subscribe();
      await publisher.send(topicMessage(0));
      await readDeliveries(third, 1);
    });

    test('send after close: ECLOSED; subscribers end cleanly after what was sent', 15_000, async (ctx) => {
      const publisher = await ctx.publish();
      const subscriber = await ctx.subscribe();
      for (let seq = 0; seq < 10; seq++) await publisher.send(topicMessage(seq));
      await publisher.close();
      await rejectsWith(publisher.send(topicMessage(10)), 'ECLOSED');
      assert.equal(publisher.closed, true);
      assert.equal((await readToEnd(subscriber)).count, 10);
      assert.equal(await subscriber.receive(), undefined, 'receive after the end');
      assert.equal(subscriber.closed, true);
    });
  });

  describe('rule T1: order, across processes', () => {
    test('a publisher process: every subscriber (in this process and in two others) gets every message in order', 60_000, async (ctx) => {
      const count = 5_000;
      // Not a test of the block timeout: a minute, so that a slow machine never makes a subscriber look stuck.
      const publisher = await ctx.peerPublisher({ blockTimeoutMs: 60_000 });
      const here = [await ctx.subscribe(), await ctx.subscribe()];
      const there = [await ctx.peerSubscriber('all'), await ctx.peerSubscriber('all')];
      publisher.write('wait 4\n');
      await publisher.waitForEvent('subscribers');
      publisher.write(`send ${count}\nclose\n`);
      // Read at once: a subscriber nobody reads would fall behind and be disconnected after blockTimeoutMs (Rule T3).
      for (const log of await Promise.all(here.map((subscriber) => readToEnd(subscriber)))) {
        assert.deepEqual(log.summary(), { count, first: 0, firstMissed: 0, last: count - 1, missed: 0 });
      }
      for (const peer of there) {
        const ended = await peer.finished();
        assert.deepEqual(
          { count: ended.count, first: ended.first, last: ended.last, missed: ended.totalMissed, error: ended.errorCode },
          { count, first: 0, last: count - 1, missed: 0, error: null },
        );
      }
      await publisher.finished();
    });
  });

  describe('rule T2: joining, and history', () => {
    test('a late subscriber gets the last `history` messages first, then live ones; with history 0, live ones only', 30_000, async (ctx) => {
      const publisher = await ctx.publish({ history: 5 });
      for (let seq = 0; seq < 12; seq++) await publisher.send(topicMessage(seq));
      const late = await ctx.subscribe();
      const peer = await ctx.peerSubscriber('count:8');
      for (let seq = 12; seq < 15; seq++) await publisher.send(topicMessage(seq));
      assert.deepEqual((await readDeliveries(late, 8)).summary(), { count: 8, first: 7, firstMissed: 0, last: 14, missed: 0 });
      const received = await peer.finished();
      assert.deepEqual([received.first, received.last, received.totalMissed], [7, 14, 0]);

      const other = await ctx.freshName();
      const plain = await ctx.publish({}, other);
      for (let seq = 0; seq < 3; seq++) await plain.send(topicMessage(seq));
      const live = await ctx.subscribe({}, other);
      await plain.send(topicMessage(3));
      assert.deepEqual((await readDeliveries(live, 1)).summary(), { count: 1, first: 3, firstMissed: 0, last: 3, missed: 0 });
    });

    test('a publisher without subscribers sends into nothing, at once; waitForSubscribers waits for the count', 15_000, async (ctx) => {
      const publisher = await ctx.publish();
      for (let seq = 0; seq < 100; seq++) await publisher.send(topicMessage(seq));
      assert.equal(publisher.nextSeq, 100);
      await rejectsWith(publisher.waitForSubscribers(1, { timeoutMs: 50 }), 'ETIMEDOUT');
      const waiting = publisher.waitForSubscribers(2);
      const peer = await ctx.peerSubscriber('count:1');
      await ctx.subscribe();
      await waiting;
      assert.equal(publisher.subscriberCount, 2);
      await publisher.send(topicMessage(100));
      const received = await peer.finished();
      assert.equal(received.first, 100);
    });
  });

  describe('receiving', () => {
    test('a receive that times out or is aborted takes nothing; a second receive at once is EINVAL', 15_000, async (ctx) => {
      const publisher = await ctx.publish();
      const subscriber = await ctx.subscribe();
      await rejectsWith(subscriber.receive({ timeoutMs: 30 }), 'ETIMEDOUT');
      const controller = new AbortController();
      const aborted = subscriber.receive({ signal: controller.signal });
      controller.abort(new Error('test'));
      const error = await rejectsWith(aborted, 'ECANCELED');
      assert.equal((error.cause as Error).message, 'test');
      const pending = subscriber.receive();
      await rejectsWith(subscriber.receive(), 'EINVAL');
      await publisher.send(topicMessage(0));
      const delivery = await pending;
      assert.equal(delivery?.seq, 0);
      assert.equal(delivery.missed, 0);
      await subscriber.close();
      assert.equal(await subscriber.receive(), undefined, 'receive after close');
    });

    test('codecs: json and structured values over the topic, seq and missed kept', 15_000, async (ctx) => {
      const publisher = withTopicCodec(await ctx.publish(), json<{ n: number }>());
      const subscriber = withTopicCodec(await ctx.subscribe(), json<{ n: number }>());
      await publisher.send({ n: 1 });
      await rejectsWith(publisher.send(undefined as never), 'EINVAL');
      await publisher.send({ n: 2 });
      assert.deepEqual(await subscriber.receive(), { data: { n: 1 }, seq: 0, missed: 0 });
      assert.deepEqual(await subscriber.receive(), { data: { n: 2 }, seq: 1, missed: 0 });

      const other = await ctx.freshName();
      const raw = await ctx.publish({}, other);
      const values = withTopicCodec(raw, structured<Map<string, bigint>>());
      const readers = withTopicCodec(await ctx.subscribe({}, other), structured<Map<string, bigint>>());
      await raw.send(new Uint8Array([0xff, 0x00]));
      await values.send(new Map([['big', 2n ** 70n]]));
      await rejectsWith(readers.receive(), 'EBADMSG');
      assert.deepEqual(await readers.receive(), { data: new Map([['big', 2n ** 70n]]), seq: 1, missed: 0 });
    });

    test('the optional forms (receiveInPlace, receiveSync, sendSync) are absent or work', 15_000, async (ctx) => {
      const publisher = await ctx.publish();
      const subscriber = await ctx.subscribe();
      await checkOptionalForms(publisher, subscriber);
    });
  });
}

/** The optional members of topic.ts: where a transport offers them, they deliver as receive() does. */
async function checkOptionalForms(publisher: Publisher, subscriber: Subscriber): Promise<void> {
  let seq = 0;
  if (publisher.sendSync) {
    publisher.sendSync(topicMessage(seq++), { timeoutMs: 10_000 });
    assert.equal((await readDeliveries(subscriber, 1)).summary().last, 0);
  } else {
    assert.equal(typeof publisher.sendSync, 'undefined');
  }
  if (subscriber.receiveInPlace) {
    await publisher.send(topicMessage(seq++));
    const borrowed = await subscriber.receiveInPlace({ timeoutMs: 10_000 });
    assert.ok(borrowed, 'receiveInPlace gave a delivery');
    new DeliveryLog().accept(borrowed);
    borrowed.release();
    borrowed.release();
  } else {
    assert.equal(typeof subscriber.receiveInPlace, 'undefined');
  }
  if (subscriber.receiveSync) {
    assert.throws(
      () => subscriber.receiveSync?.({ timeoutMs: 20 }),
      (error: unknown) => error instanceof IpcError && error.code === 'ETIMEDOUT',
    );
    await publisher.send(topicMessage(seq));
    // The message may still be on its way: wait for it without the event loop, generously.
    const delivery = subscriber.receiveSync({ timeoutMs: 10_000 });
    assert.equal(delivery?.seq, seq);
  } else {
    assert.equal(typeof subscriber.receiveSync, 'undefined');
  }
}
