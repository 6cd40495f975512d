/**
 * Topics in core, over the kit's test transport (kit://, Unix sockets in a
 * private directory): option checks, the transports without topics, codecs,
 * the handshake's refusals, and what a send waiting for room does. The
 * behaviour across processes is the conformance suite's (runTopicConformance,
 * run by every transport with topics).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_BLOCK_TIMEOUT_MS,
  IpcError,
  json,
  listen,
  publish,
  registerTransport,
  structured,
  subscribe,
  withTopicCodec,
  type Publisher,
  type Subscriber,
  type Transport,
} from '@ipckit/core';
import { publishSettings, subscribeSettings } from '@ipckit/core/kit';
import { kitName, kitTransport } from './kit-transport.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});
function track<T extends { close(): Promise<void> }>(item: T): T {
  open.push(item);
  return item;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);
const limits = { defaultBytes: 1000, limitBytes: 2000 };

async function topic(options?: Parameters<typeof publish>[1]): Promise<{ name: string; publisher: Publisher }> {
  const name = kitName();
  return { name, publisher: track(await publish(`kit://${name}`, options)) };
}

async function subscriber(name: string): Promise<Subscriber> {
  return track(await subscribe(`kit://${name}`));
}

describe('topic options', () => {
  it('fills in the documented defaults', () => {
    expect(publishSettings(undefined, limits)).toMatchObject({
      history: 0,
      capacity: 64,
      maxSubscribers: 64,
      policy: 'block',
      blockTimeoutMs: DEFAULT_BLOCK_TIMEOUT_MS,
      maxMessageBytes: 1000,
    });
    expect(publishSettings({ history: 100 }, limits).capacity).toBe(100);
    expect(subscribeSettings(undefined, limits)).toMatchObject({ maxMessageBytes: 1000, waitForPublisher: false, wait: { timeoutMs: 10_000 } });
  });

  it.each([
    ['history -1', { history: -1 }],
    ['history 1.5', { history: 1.5 }],
    ['history over capacity', { history: 10, capacity: 5 }],
    ['history over the maximum', { history: 65_537 }],
    ['capacity 0', { capacity: 0 }],
    ['maxSubscribers 0', { maxSubscribers: 0 }],
    ['maxSubscribers 4097', { maxSubscribers: 4097 }],
    ['an unknown policy', { policy: 'newest' }],
    ['blockTimeoutMs 0', { blockTimeoutMs: 0 }],
    ['blockTimeoutMs with drop-oldest', { policy: 'drop-oldest', blockTimeoutMs: 100 }],
    ['maxMessageBytes over the limit', { maxMessageBytes: 2 ** 32 }],
    ['a signal that is not one', { signal: 'stop' }],
  ])('publish refuses %s with EINVAL, before the name is served', async (_, options) => {
    const name = kitName();
    await expect(publish(`kit://${name}`, options as never)).rejects.toMatchObject({ code: 'EINVAL' });
    // Nothing was created: the name is free.
    track(await listen(`kit://${name}`));
  });

  it('publish with an aborted signal: ECANCELED, nothing served', async () => {
    const name = kitName();
    await expect(publish(`kit://${name}`, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
    track(await listen(`kit://${name}`));
  });

  it.each([
    ['timeoutMs 0', { timeoutMs: 0 }],
    ['waitForPublisher "yes"', { waitForPublisher: 'yes' }],
    ['maxMessageBytes -1', { maxMessageBytes: -1 }],
    ['options that are a number', 5],
  ])('subscribe refuses %s with EINVAL', async (_, options) => {
    const { name } = await topic();
    await expect(subscribe(`kit://${name}`, options as never)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('bad names: EINVAL from the transport, before anything is created', async () => {
    await expect(publish('kit://a/b')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(subscribe('kit://')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(publish('no-scheme')).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('transports without topics', () => {
  const noTopics: Transport = {
    ...kitTransport,
    scheme: 'kitnotopics',
    capabilities: { ...kitTransport.capabilities, scheme: 'kitnotopics', topics: false },
    listen: () => Promise.reject(new Error('listen must not be called')),
    connect: () => Promise.reject(new Error('connect must not be called')),
  };
  const oneWay: Transport = { ...noTopics, scheme: 'kitoneway', capabilities: { ...noTopics.capabilities, scheme: 'kitoneway', duplex: false } };
  registerTransport(noTopics);
  registerTransport(oneWay);

  it.each([noTopics, oneWay])('$scheme: publish and subscribe give ENOTSUP before anything is created', async (transport) => {
    await expect(publish(`${transport.scheme}://x`, { history: 1 })).rejects.toMatchObject({ code: 'ENOTSUP' });
    await expect(subscribe(`${transport.scheme}://x`)).rejects.toMatchObject({ code: 'ENOTSUP' });
    await expect(subscribe(`${transport.scheme}://x`, { waitForPublisher: true })).rejects.toMatchObject({ code: 'ENOTSUP' });
  });

  it("a transport's own publish and subscribe are used when it has them", async () => {
    const calls: string[] = [];
    const own: Transport = {
      ...kitTransport,
      scheme: 'kitown',
      capabilities: { ...kitTransport.capabilities, scheme: 'kitown' },
      publish: (name) => {
        calls.push(`publish ${name}`);
        return Promise.reject(new IpcError('EIO', 'own publish'));
      },
      subscribe: (name) => {
        calls.push(`subscribe ${name}`);
        return Promise.reject(new IpcError('EIO', 'own subscribe'));
      },
    };
    registerTransport(own);
    await expect(publish('kitown://t')).rejects.toThrow('own publish');
    await expect(subscribe('kitown://t')).rejects.toThrow('own subscribe');
    expect(calls).toEqual(['publish t', 'subscribe t']);
  });
});

describe('the handshake', () => {
  it('subscribing to a plain listener is EBADMSG (it is not a topic)', async () => {
    const name = kitName();
    const listener = track(await listen(`kit://${name}`));
    // An echo server: it sends the hello back, which is no welcome.
    void (async () => {
      for await (const channel of listener)
        void (async () => {
          for await (const message of channel) await channel.send(message);
        })().catch(() => undefined);
    })();
    await expect(subscribe(`kit://${name}`)).rejects.toMatchObject({ code: 'EBADMSG' });
  });

  it('a listener that never answers: ETIMEDOUT after timeoutMs', async () => {
    const name = kitName();
    track(await listen(`kit://${name}`));
    await expect(subscribe(`kit://${name}`, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('nobody publishes: ENOENT; waitForPublisher waits for one', async () => {
    const name = kitName();
    await expect(subscribe(`kit://${name}`)).rejects.toMatchObject({ code: 'ENOENT' });
    const late = subscribe(`kit://${name}`, { waitForPublisher: true, timeoutMs: 20_000 });
    const publisher = track(await publish(`kit://${name}`));
    const sub = track(await late);
    await publisher.waitForSubscribers(1);
    await publisher.send(bytes('hello'));
    expect(text((await sub.receive())!.data)).toBe('hello');
  });

  it('maxSubscribers reached: ENOMEM; a slot freed is taken again', async () => {
    const { name, publisher } = await topic({ maxSubscribers: 2 });
    const first = await subscriber(name);
    await subscriber(name);
    await expect(subscribe(`kit://${name}`)).rejects.toMatchObject({ code: 'ENOMEM' });
    expect(publisher.subscriberCount).toBe(2);
    await first.close();
    // The slot is freed once the publisher sees the channel end; a new subscriber then fits.
    for (;;) {
      try {
        await subscriber(name);
        break;
      } catch (error) {
        if (!(error instanceof IpcError) || error.code !== 'ENOMEM') throw error;
      }
    }
    expect(publisher.subscriberCount).toBe(2);
  });

  it("a publisher whose messages are over the subscriber's maxMessageBytes: EMSGSIZE at subscribe", async () => {
    const { name } = await topic({ maxMessageBytes: 500 });
    await expect(subscribe(`kit://${name}`, { maxMessageBytes: 100 })).rejects.toMatchObject({ code: 'EMSGSIZE' });
  });
});

describe('publisher and subscriber', () => {
  it('numbers the messages; history comes first to a late subscriber', async () => {
    const { name, publisher } = await topic({ history: 2 });
    for (const word of ['a', 'b', 'c']) await publisher.send(bytes(word));
    expect(publisher.nextSeq).toBe(3);
    const sub = await subscriber(name);
    await publisher.send(bytes('d'));
    const got = [];
    for (let i = 0; i < 3; i++) {
      const delivery = (await sub.receive())!;
      got.push([text(delivery.data), delivery.seq, delivery.missed]);
    }
    expect(got).toEqual([
      ['b', 1, 0],
      ['c', 2, 0],
      ['d', 3, 0],
    ]);
  });

  it('send refuses what is not a message, too big a message, and sends after close', async () => {
    const { publisher } = await topic({ maxMessageBytes: 10 });
    await expect(publisher.send('text' as never)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(publisher.send(new Uint8Array(11))).rejects.toMatchObject({ code: 'EMSGSIZE' });
    await publisher.send(new Uint8Array(10));
    await publisher.close();
    await expect(publisher.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'ECLOSED' });
    await expect(publisher.waitForSubscribers(1)).rejects.toMatchObject({ code: 'ECLOSED' });
  });

  it('a send waiting for room that times out is withdrawn: no subscriber ever gets it', async () => {
    const { name, publisher } = await topic({ capacity: 1, blockTimeoutMs: 600_000 });
    const sub = await subscriber(name);
    await publisher.waitForSubscribers(1);
    // Fill everything on the way to the subscriber (its queue, the sockets, its channel's buffer) until a send has to wait.
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    for (;;) {
      try {
        await publisher.send(chunk, { timeoutMs: 500 });
        sent++;
      } catch (error) {
        expect(error).toMatchObject({ code: 'ETIMEDOUT' });
        break;
      }
    }
    const after = publisher.send(bytes('after'), { timeoutMs: 60_000 });
    // The subscriber gets every message that was sent, then the next one: the withdrawn one left no gap.
    const seqs: number[] = [];
    for (let i = 0; i <= sent; i++) {
      const delivery = (await sub.receive())!;
      expect(delivery.missed).toBe(0);
      seqs.push(delivery.seq);
    }
    expect(seqs).toEqual([...Array(sent + 1).keys()]);
    await after;
  });

  it('close() ends every subscriber after what was sent; receive then gives undefined', async () => {
    const { name, publisher } = await topic();
    const subs = [await subscriber(name), await subscriber(name)];
    await publisher.waitForSubscribers(2);
    for (let i = 0; i < 100; i++) await publisher.send(bytes(String(i)));
    await publisher.close();
    for (const sub of subs) {
      const got: string[] = [];
      for await (const { data } of sub) got.push(text(data));
      expect(got).toEqual([...Array(100).keys()].map(String));
      expect(await sub.receive()).toBeUndefined();
      expect(sub.closed).toBe(true);
    }
  });

  it("aborting the publisher's signal closes it: subscribers end, sends get ECLOSED, the name is free", async () => {
    const controller = new AbortController();
    const { name, publisher } = await topic({ signal: controller.signal });
    const sub = await subscriber(name);
    await publisher.send(bytes('before'));
    controller.abort();
    expect(publisher.closed).toBe(true);
    await expect(publisher.send(bytes('after'))).rejects.toMatchObject({ code: 'ECLOSED' });
    const got: string[] = [];
    for await (const { data } of sub) got.push(text(data));
    expect(got).toEqual(['before']);
    track(await publish(`kit://${name}`));
  });

  it('a receive that times out takes nothing', async () => {
    const { name, publisher } = await topic();
    const sub = await subscriber(name);
    await expect(sub.receive({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await publisher.send(bytes('x'));
    expect(text((await sub.receive())!.data)).toBe('x');
  });
});

describe('codecs on topics', () => {
  it('json: values in, deliveries of values out, seq and missed kept', async () => {
    const { name, publisher } = await topic();
    const prices = withTopicCodec(publisher, json<{ price: number }>());
    const sub = withTopicCodec(await subscriber(name), json<{ price: number }>());
    await prices.waitForSubscribers(1);
    await prices.send({ price: 1 });
    await prices.send({ price: 2 });
    expect(await sub.receive()).toEqual({ data: { price: 1 }, seq: 0, missed: 0 });
    const iterator = sub[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ data: { price: 2 }, seq: 1, missed: 0 });
    await expect(prices.send(undefined as never)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('structured: a Map survives; bytes that do not decode are EBADMSG and the next is still there', async () => {
    const { name, publisher } = await topic();
    const sub = withTopicCodec(await subscriber(name), structured<Map<string, number>>());
    await publisher.waitForSubscribers(1);
    await publisher.send(bytes('not v8'));
    await withTopicCodec(publisher, structured<Map<string, number>>()).send(new Map([['a', 1]]));
    await expect(sub.receive()).rejects.toMatchObject({ code: 'EBADMSG' });
    expect((await sub.receive())?.data).toEqual(new Map([['a', 1]]));
  });

  it('withTopicCodec refuses what is not a codec, or not a side of a topic', () => {
    expect(() => withTopicCodec({} as Publisher, {} as never)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
    expect(() => withTopicCodec({} as Publisher, json())).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
  });
});
