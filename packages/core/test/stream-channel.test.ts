import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { StreamChannel } from '@ipckit/core/kit';

describe('StreamChannel', () => {
  it('many sends waiting for drain share one set of socket listeners, and all settle', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address() as { port: number };
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = netConnect(address.port, '127.0.0.1');
    await once(client, 'connect');
    const [serverSocket] = await accepted;
    serverSocket.pause(); // the reader does not read: the writer's buffer fills
    const channel = new StreamChannel(client, 1 << 20);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const big = new Uint8Array(32 * 1024);
      const sends: Promise<void>[] = [];
      while (!client.writableNeedDrain) sends.push(channel.send(big));
      for (let i = 0; i < 50; i++) sends.push(channel.send(big));
      expect(client.listenerCount('drain')).toBe(1);
      serverSocket.resume();
      await Promise.all(sends);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      expect(client.listenerCount('drain')).toBe(0);
    } finally {
      process.off('warning', onWarning);
      await channel.close();
      serverSocket.destroy();
      server.close();
    }
  });
});
