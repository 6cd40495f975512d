import { describe, expect, it } from 'vitest';
import { connect, listen, resolveTransport } from '@ipckit/core';
import { formatEndpoint, parseEndpoint, transport } from '@ipckit/tcp';

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
