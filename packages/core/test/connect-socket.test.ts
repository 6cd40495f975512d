import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A socket that never connects: what a SYN to a host that drops packets looks like to node:net. */
class SilentSocket extends EventEmitter {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
  }
}
const sockets: SilentSocket[] = [];
vi.mock('node:net', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:net')>()),
  connect: () => {
    const socket = new SilentSocket();
    sockets.push(socket);
    return socket;
  },
}));

afterEach(() => {
  vi.useRealTimers();
  sockets.length = 0;
});

describe('connectSocket', () => {
  it('gives up with ETIMEDOUT after DEFAULT_CONNECT_TIMEOUT_MS when no timeout is given', async () => {
    vi.useFakeTimers();
    const { connectSocket } = await import('../src/kit/net.js');
    const { DEFAULT_CONNECT_TIMEOUT_MS } = await import('../src/transport.js');
    const connecting = connectSocket({ host: '192.0.2.1', port: 9 }, '192.0.2.1:9').catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(DEFAULT_CONNECT_TIMEOUT_MS - 1);
    expect(sockets[0]?.destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await connecting).toMatchObject({ code: 'ETIMEDOUT', syscall: 'connect' });
    expect(sockets[0]?.destroyed).toBe(true);
  });

  it('gives up with ECANCELED when its signal aborts, and opens nothing for an aborted one', async () => {
    const { connectSocket } = await import('../src/kit/net.js');
    const controller = new AbortController();
    const connecting = connectSocket({ host: '192.0.2.1', port: 9 }, '192.0.2.1:9', { signal: controller.signal }).catch((error: unknown) => error);
    controller.abort(new Error('user'));
    expect(await connecting).toMatchObject({ code: 'ECANCELED' });
    expect(sockets[0]?.destroyed).toBe(true);
    await expect(connectSocket({ port: 9 }, 'x', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(sockets).toHaveLength(1);
  });
});
