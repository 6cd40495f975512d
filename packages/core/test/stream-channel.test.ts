import { once } from 'node:events';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IpcError } from '@ipckit/core';
import { StreamChannel } from '@ipckit/core/kit';

/** A connected TCP pair on loopback: the client socket and the server's end of it. */
async function socketPair(): Promise<{ server: Server; client: Socket; peer: Socket }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = netConnect(address.port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  return { server, client, peer };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(): Promise<{ channel: StreamChannel; client: Socket; peer: Socket }> {
  const { server, client, peer } = await socketPair();
  const channel = new StreamChannel(client, 64 << 20);
  cleanups.push(
    () => server.close(),
    () => peer.destroy(),
    () => channel.close({ timeoutMs: 0 }),
  );
  return { channel, client, peer };
}

describe('StreamChannel', () => {
  it('sends waiting behind a reader that does not read add no listener each, and all settle, in order, once it reads', async () => {
    const { channel, client, peer } = await pair();
    peer.pause();
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const order: number[] = [];
      const sends = Array.from({ length: 300 }, (_, i) => channel.send(new Uint8Array(32 * 1024)).then(() => order.push(i)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(order.length).toBeLessThan(300); // 9.6 MB: more than the OS buffers hold
      expect(client.listenerCount('drain')).toBeLessThanOrEqual(1);
      peer.resume();
      await Promise.all(sends);
      expect(order).toEqual(order.slice().sort((a, b) => a - b));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a loop of awaited sends the OS takes at once still lets timers run', async () => {
    const { channel, peer } = await pair();
    peer.resume();
    let timerFiredAt = -1;
    let sent = 0;
    setTimeout(() => (timerFiredAt = sent), 0);
    for (; sent < 5_000; sent++) await channel.send(new Uint8Array(16));
    expect(timerFiredAt).toBeGreaterThanOrEqual(0);
    expect(timerFiredAt).toBeLessThan(5_000);
  });

  it('close() that gives up on a message still being written rejects its send: Node would report it written', async () => {
    const { channel, peer } = await pair();
    peer.pause();
    // Far more than the OS buffers take: this write is still in flight when close() gives up.
    const sending = channel.send(new Uint8Array(48 << 20)).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await channel.close({ timeoutMs: 0 });
    expect(await sending).toMatchObject({ code: 'ECLOSED' });
  });

  it('a send whose deadline passes while it is being written closes the channel and rejects with ETIMEDOUT', async () => {
    const { channel, peer } = await pair();
    peer.pause();
    const first = channel.send(new Uint8Array(48 << 20), { timeoutMs: 100 }).catch((error: unknown) => error);
    const second = channel.send(new Uint8Array([1])).catch((error: unknown) => error);
    expect(await first).toMatchObject({ code: 'ETIMEDOUT' });
    expect(await second).toMatchObject({ code: 'ECLOSED' });
    expect(channel.closed).toBe(true);
  });

  it('a send still waiting its turn is withdrawn at its deadline; the channel stays open', async () => {
    const { channel, peer } = await pair();
    peer.pause();
    const big = channel.send(new Uint8Array(48 << 20));
    const small = channel.send(new Uint8Array([1]), { timeoutMs: 50 });
    const error: unknown = await small.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcError);
    expect((error as IpcError).code).toBe('ETIMEDOUT');
    expect(channel.closed).toBe(false);
    peer.resume();
    await big;
  });

  it('a frame over the maximum from the peer: receive throws EMSGSIZE once, then the channel is ended', async () => {
    const { server, client, peer } = await socketPair();
    const channel = new StreamChannel(client, 16);
    cleanups.push(
      () => server.close(),
      () => channel.close({ timeoutMs: 0 }),
    );
    const header = Buffer.alloc(4);
    header.writeUInt32LE(1000, 0);
    peer.write(header);
    await expect(channel.receive()).rejects.toMatchObject({ code: 'EMSGSIZE' });
    expect(await channel.receive()).toBeUndefined();
    await expect(channel.send(new Uint8Array([1]))).rejects.toMatchObject({ code: 'EPIPE' });
  });
});
