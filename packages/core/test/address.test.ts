import { describe, expect, it } from 'vitest';
import { IpcError, connect, listen, registerTransport, type Transport } from '@ipckit/core';
import { parseAddress } from '@ipckit/core/kit';

describe('addresses', () => {
  it('splits scheme and name', () => {
    expect(parseAddress('pipe://my-service')).toEqual({ scheme: 'pipe', name: 'my-service' });
    expect(parseAddress('tcp://127.0.0.1:80')).toEqual({ scheme: 'tcp', name: '127.0.0.1:80' });
    expect(parseAddress('shm://')).toEqual({ scheme: 'shm', name: '' });
  });

  it('rejects malformed addresses with EINVAL', () => {
    for (const bad of ['pipe:/x', 'nope', '://x', '', 'PIPE://x']) {
      expect(() => parseAddress(bad)).toThrow(IpcError);
    }
  });

  it('reports an unknown scheme with ENOTSUP', async () => {
    await expect(connect('carrier-pigeon://x')).rejects.toMatchObject({ code: 'ENOTSUP' });
  });

  it('routes to a registered transport', async () => {
    const calls: string[] = [];
    const fake = {
      scheme: 'fake',
      capabilities: {} as Transport['capabilities'],
      listen: async (name: string) => {
        calls.push(`listen ${name}`);
        return {} as never;
      },
      connect: async (name: string) => {
        calls.push(`connect ${name}`);
        return {} as never;
      },
    } satisfies Transport;
    registerTransport(fake);
    await listen('fake://a');
    await connect('fake://b');
    expect(calls).toEqual(['listen a', 'connect b']);
  });
});
