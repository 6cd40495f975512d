import { describe, expect, it } from 'vitest';
import { connect, listen } from '@ipckit/core';
import { resolveTransport } from '@ipckit/core/kit';
import { PeerProcess, within } from '@ipckit/core/testing';
import { formatEndpoint, parseEndpoint, transport } from '@ipckit/tcp';
import { freePort } from '@ipckit/tcp/testing';

describe('tcp', () => {
  it('is what tcp:// resolves to', async () => {
    expect(await resolveTransport('tcp')).toBe(transport);
  });

  it('parses host:port, [v6]:port and a bare port (loopback)', () => {
    expect(parseEndpoint('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseEndpoint('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseEndpoint('localhost:1')).toEqual({ host: 'localhost', port: 1 });
    expect(parseEndpoint('4000')).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(formatEndpoint({ host: '::1', port: 5 })).toBe('[::1]:5');
  });

  it.each(['', ':80', 'host:', 'host:99999', '[::1]', 'a b:1', '-bad-:1', '1.2.3.4:1:2'])('rejects %j with EINVAL', (name) => {
    expect(() => parseEndpoint(name)).toThrow(/EINVAL/);
  });

  it('listening on port 0 reports the port the OS chose', async () => {
    const listener = await listen('tcp://127.0.0.1:0');
    try {
      const port = Number(listener.name.split(':')[1]);
      expect(port).toBeGreaterThan(0);
      const channel = await connect(`tcp://${listener.name}`);
      await channel.close();
    } finally {
      await listener.close();
    }
  });

  it('reports nobody listening as ENOENT and keeps ECONNREFUSED as the OS code', async () => {
    const listener = await listen('tcp://127.0.0.1:0');
    const name = listener.name;
    await listener.close();
    await expect(connect(`tcp://${name}`)).rejects.toMatchObject({ code: 'ENOENT', osCode: 'ECONNREFUSED', syscall: 'connect' });
  });
});

describe('tcp: review fixes', () => {
  it('listen with an already-aborted signal rejects with ECANCELED before binding', async () => {
    await expect(transport.listen('127.0.0.1:0', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'IpcError', code: 'ECANCELED' });
  });

  it('listen with a signal that is not an AbortSignal rejects with EINVAL and leaves the port free', async () => {
    const port = await freePort();
    await expect(transport.listen(`127.0.0.1:${port}`, { signal: 'abort' as unknown as AbortSignal })).rejects.toMatchObject({
      name: 'IpcError',
      code: 'EINVAL',
    });
    await (await transport.listen(`127.0.0.1:${port}`)).close();
  });

  it('a signal aborted while listen() is still setting up closes the listener', async () => {
    const controller = new AbortController();
    const listening = transport.listen('127.0.0.1:0', { signal: controller.signal });
    controller.abort();
    const listener = await listening;
    try {
      expect(await within(60_000, 'iteration', listener[Symbol.asyncIterator]().next())).toMatchObject({ done: true });
      await expect(transport.connect(listener.name)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await listener.close();
    }
  });

  it('closing a listener closes the connections nobody took from it: the serving process exits', async () => {
    const script = `const { transport } = await import(process.argv[1]);
      const listener = await transport.listen('127.0.0.1:0');
      listener.server.once('connection', () => void listener.close());
      console.log(listener.name);`;
    const proc = PeerProcess.module(script, [new URL('../dist/index.js', import.meta.url).href], { timeoutMs: 10_000 });
    try {
      const name = await proc.nextLine();
      const channel = await transport.connect(name);
      await within(
        10_000,
        'channel end',
        (async () => {
          try {
            for await (const _ of channel) {
              // Drained: only the end of the iteration matters.
            }
          } catch (error) {
            expect(['EPIPE', 'ECONNRESET']).toContain((error as { code?: string }).code);
          }
        })(),
      );
      await channel.close();
      expect(await proc.exit()).toBe(0);
    } finally {
      await proc.kill();
    }
  });
});
