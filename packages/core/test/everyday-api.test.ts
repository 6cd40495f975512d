import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  IpcError,
  Requester,
  connect,
  json,
  listen,
  messages,
  respond,
  serve,
  structured,
  withCodec,
  type Channel,
  type Listener,
  ReconnectingChannel,
} from '@ipckit/core';
import { StreamChannel } from '@ipckit/core/kit';
import { patternMessage, sameBytes } from '@ipckit/core/testing';
import { failingTransport, kitName } from './kit-transport.js';

const open: Array<Channel | Listener> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});
function track<T extends Channel | Listener>(item: T): T {
  open.push(item);
  return item;
}

async function listening(): Promise<{ name: string; listener: Listener }> {
  const name = kitName();
  return { name, listener: track(await listen(`kit://${name}`)) };
}

describe('serve()', () => {
  it('holds to its concurrency: a channel waits until a handler finishes', async () => {
    const { name, listener } = await listening();
    const started: number[] = [];
    let finishFirst: () => void = () => undefined;
    const firstDone = new Promise<void>((resolve) => (finishFirst = resolve));
    const serving = serve(
      listener,
      async (channel) => {
        const [id] = (await channel.receive()) ?? [];
        started.push(id as number);
        if (id === 1) await firstDone;
        await channel.send(new Uint8Array([id as number]));
      },
      { concurrency: 1 },
    );
    const a = track(await connect(`kit://${name}`));
    await a.send(new Uint8Array([1]));
    const b = track(await connect(`kit://${name}`));
    await b.send(new Uint8Array([2]));
    await expect(b.receive({ timeoutMs: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(started).toEqual([1]);
    finishFirst();
    expect([...((await a.receive()) ?? [])]).toEqual([1]);
    expect([...((await b.receive()) ?? [])]).toEqual([2]);
    expect(started).toEqual([1, 2]);
    await listener.close();
    await serving;
  });

  it('an abort closes the listener and every channel, then resolves once the handlers returned', async () => {
    const { name, listener } = await listening();
    const controller = new AbortController();
    const ended: string[] = [];
    const serving = serve(
      listener,
      async (channel) => {
        for await (const _ of channel) {
          // Drained until the channel ends.
        }
        ended.push('handler');
      },
      { signal: controller.signal },
    );
    const client = track(await connect(`kit://${name}`));
    await client.send(new Uint8Array([1]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await serving;
    expect(ended).toEqual(['handler']);
    expect(await client.receive({ timeoutMs: 5_000 })).toBeUndefined();
    await expect(connect(`kit://${name}`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports handler errors by default as warnings, except a peer that went away', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const { name, listener } = await listening();
      const serving = serve(listener, async (channel) => {
        const [kind] = (await channel.receive()) ?? [];
        if (kind === 1) throw new IpcError('EPIPE', 'the client left (normal)');
        throw new Error('a real bug');
      });
      for (const kind of [1, 2]) {
        const client = await connect(`kit://${name}`);
        await client.send(new Uint8Array([kind]));
        expect(await client.receive({ timeoutMs: 5_000 })).toBeUndefined();
        await client.close();
      }
      await listener.close();
      await serving;
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/a real bug/);
    } finally {
      warn.mockRestore();
    }
  });

  it('checks its options before serving', async () => {
    const { listener } = await listening();
    await expect(serve(listener, () => undefined, { concurrency: 0 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(serve(listener, 'x' as never)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(serve(listener, () => undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
  });
});

describe('codecs', () => {
  it('json refuses what it cannot carry (EINVAL) and bytes that are not JSON (EBADMSG)', () => {
    const codec = json();
    expect(codec.decode(codec.encode({ a: [1, 'x', null] }))).toEqual({ a: [1, 'x', null] });
    expect(() => codec.encode(undefined)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => codec.encode(1n)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => codec.decode(new Uint8Array([0xff, 0xfe]))).toThrow(expect.objectContaining({ code: 'EBADMSG' }));
    expect(() => codec.decode(new TextEncoder().encode('{nope'))).toThrow(expect.objectContaining({ code: 'EBADMSG' }));
  });

  it('structured carries what JSON loses, and refuses functions', () => {
    const codec = structured();
    const value = { m: new Map([[1, 'a']]), u: undefined, d: new Date(5), b: 3n, bytes: new Uint8Array([1, 2]) };
    expect(codec.decode(codec.encode(value))).toEqual(value);
    expect(() => codec.encode(() => 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => codec.decode(new Uint8Array([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'EBADMSG' }));
  });

  it('a CodecChannel reports a message that does not decode with EBADMSG and keeps going', async () => {
    const { name, listener } = await listening();
    const client = track(await connect(`kit://${name}`));
    const server = withCodec(track((await listener[Symbol.asyncIterator]().next()).value as Channel), json<{ n: number }>());
    await client.send(new TextEncoder().encode('not json'));
    await client.send(json().encode({ n: 2 }));
    await expect(server.receive()).rejects.toMatchObject({ code: 'EBADMSG' });
    expect(await server.receive()).toEqual({ n: 2 });
  });
});

describe('request/reply', () => {
  it('drops a late reply, keeps other requests going, and fails all waiting ones with EPIPE when the channel ends', async () => {
    const { name, listener } = await listening();
    const serving = serve(listener, (channel) =>
      respond<{ wait: number }, number>(channel, async ({ wait }) => {
        await new Promise((resolve) => setTimeout(resolve, wait));
        return wait;
      }),
    );
    const requester = new Requester<{ wait: number }, number>(track(await connect(`kit://${name}`)));
    await expect(requester.request({ wait: 200 }, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(await requester.request({ wait: 1 })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250)); // the late reply to the first request arrives and is dropped
    expect(requester.pending).toBe(0);
    const waiting = requester.request({ wait: 300 }).catch((error: unknown) => error);
    await listener.close();
    await requester.close();
    expect(await waiting).toMatchObject({ code: 'EPIPE' });
    await serving;
  });

  it('an aborted request is ECANCELED; a handler error is EREMOTE, its message sent only when exposed or an IpcError', async () => {
    const failing = (kind: string): string => {
      if (kind === 'ipc') throw new IpcError('EACCES', 'no entry');
      throw new Error('secret detail');
    };
    const ask = async (exposeErrors: boolean, kind: string): Promise<unknown> => {
      const { name, listener } = await listening();
      const serving = serve(listener, (channel) => respond(channel, failing, { exposeErrors }));
      const requester = new Requester<string, string>(await connect(`kit://${name}`));
      const error = await requester.request(kind).catch((e: unknown) => e);
      await listener.close();
      await requester.close();
      await serving;
      return error;
    };
    expect(await ask(false, 'ipc')).toMatchObject({ code: 'EREMOTE', cause: { code: 'EACCES', message: 'EACCES: no entry' } });
    expect(String((await ask(false, 'plain')) as Error)).not.toMatch(/secret/);
    expect(String((await ask(true, 'plain')) as Error)).toMatch(/secret detail/);
    const { name, listener } = await listening();
    void serve(listener, (channel) => respond(channel, failing));
    const requester = new Requester<string, string>(track(await connect(`kit://${name}`)));
    await expect(requester.request('ipc', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
  });

  it('a responder that gets a reply envelope (not a request) closes the channel with EBADMSG', async () => {
    const { name, listener } = await listening();
    const client = track(await connect(`kit://${name}`));
    const channel = track((await listener[Symbol.asyncIterator]().next()).value as Channel);
    const responding = respond(channel, () => 1);
    await client.send(new Uint8Array([2, 0, 0, 0, 0]));
    await expect(responding).rejects.toMatchObject({ code: 'EBADMSG' });
    expect(await client.receive({ timeoutMs: 5_000 })).toBeUndefined();
  });
});

describe('messages()', () => {
  it('checks its options at once', async () => {
    const { name, listener } = await listening();
    const client = track(await connect(`kit://${name}`));
    expect(listener.name).toBeTruthy();
    expect(() => messages(client, { timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => messages(client, { signal: AbortSignal.abort() })).toThrow(expect.objectContaining({ code: 'ECANCELED' }));
  });
});

describe('connect() of an address', () => {
  it('waitForListener gives up with ECANCELED when its signal aborts', async () => {
    const controller = new AbortController();
    const connecting = connect(`kit://${kitName()}`, { waitForListener: true, timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(connecting).rejects.toMatchObject({ code: 'ECANCELED' });
  });

  it('checks waitForListener and reconnect before anything is opened', async () => {
    await expect(connect(`kit://${kitName()}`, { waitForListener: 'yes' as never })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(connect(`kit://${kitName()}`, { reconnect: { minDelayMs: 0 } })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(connect(`kit://${kitName()}`, { reconnect: { minDelayMs: 100, maxDelayMs: 50 } })).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('a reconnecting channel: sends wait for the next listener, receives go on, close() ends everything', async () => {
    const name = kitName();
    let listener = track(await listen(`kit://${name}`));
    const reconnects: number[] = [];
    const channel = track(await connect(`kit://${name}`, { reconnect: { minDelayMs: 5, maxDelayMs: 20, onReconnect: (n) => reconnects.push(n) } }));
    if (!(channel instanceof ReconnectingChannel)) throw new Error('connect with reconnect gives a ReconnectingChannel');
    let server = (await listener[Symbol.asyncIterator]().next()).value as Channel;
    await server.close();
    await listener.close();
    // Nobody serves the name now: the send waits for a connection.
    const sending = channel.send(new Uint8Array([5]), { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    listener = track(await listen(`kit://${name}`));
    server = track((await listener[Symbol.asyncIterator]().next()).value as Channel);
    await sending;
    expect([...((await server.receive()) ?? [])]).toEqual([5]);
    await server.send(new Uint8Array([6]));
    expect([...((await channel.receive({ timeoutMs: 5_000 })) ?? [])]).toEqual([6]);
    expect(reconnects).toEqual([1]);
    const pending = channel.receive();
    await channel.close();
    expect(await pending).toBeUndefined();
    await expect(channel.send(new Uint8Array([1]))).rejects.toMatchObject({ code: 'ECLOSED' });
  });

  it("a reconnecting channel's close() gives a send in flight the grace of close({ timeoutMs }) (rule 2)", async () => {
    const { name, listener } = await listening();
    const channel = track(await connect(`kit://${name}`, { reconnect: true }));
    const server = track((await listener[Symbol.asyncIterator]().next()).value as Channel);
    // The server reads nothing for now: a large message stays in flight in the client's socket.
    if (!(server instanceof StreamChannel)) throw new Error('kit:// gives StreamChannels');
    server.socket.pause();
    const message = patternMessage(1 << 20, 7);
    const sending = channel.send(message);
    const outcome = sending.then(
      () => 'sent',
      (error: unknown) => (error as IpcError).code,
    );
    // The send reaches the inner channel on microtasks; by the next check phase it is being written.
    await new Promise((resolve) => setImmediate(resolve));
    const closing = channel.close({ timeoutMs: 60_000 });
    server.socket.resume();
    const received = await server.receive({ timeoutMs: 60_000 });
    expect(await outcome).toBe('sent');
    expect(received && sameBytes(received, message)).toBe(true);
    await closing;
    expect(await server.receive({ timeoutMs: 60_000 })).toBeUndefined();
  });

  it('a reconnecting channel ends on a failure that retrying cannot fix (EACCES)', async () => {
    const name = kitName();
    const listener = track(await listen(`kit://${name}`));
    const transport = failingTransport('kitdeny', 'EACCES');
    // The first connection through kit://, the next ones through a transport that refuses.
    const first = await connect(`kit://${name}`);
    const channel = track(
      new ReconnectingChannel(first, (signal) => transport.connect(name, { signal }), { minDelayMs: 1, maxDelayMs: 2, onReconnect: undefined }),
    );
    const server = (await listener[Symbol.asyncIterator]().next()).value as Channel;
    await server.close();
    await expect(channel.send(new Uint8Array([1]), { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'EACCES' });
    expect(channel.closed).toBe(true);
    await expect(channel.receive()).rejects.toMatchObject({ code: 'EACCES' });
  });
});
