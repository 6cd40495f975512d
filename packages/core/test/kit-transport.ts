/**
 * A transport made of core's own kit (StreamListener and StreamChannel over
 * Unix domain sockets in a private temporary directory), so that core's tests
 * exercise serve, request/reply, codecs and reconnection without importing a
 * transport package (they all depend on core). POSIX only, as core's tests are.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpcError, registerTransport, type Channel, type ConnectOptions, type Listener, type ListenOptions, type Transport } from '@ipckit/core';
import { StreamChannel, StreamListener, backlogOption, connectSocket, listenServer, validateName, validateSignal } from '@ipckit/core/kit';

const dir = mkdtempSync(join(tmpdir(), 'ipckit-kit-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const MAX = 1 << 20;

/** `kit://name`: framed messages over a Unix socket at `<private tmp dir>/name`. */
export const kitTransport: Transport = {
  scheme: 'kit',
  capabilities: {
    scheme: 'kit',
    duplex: true,
    messageBoundaries: false,
    maxMessageBytes: MAX,
    manyWriters: true,
    crossesMachines: false,
    topics: true,
    primitive: 'Unix domain socket (test transport of @ipckit/core)',
    backend: 'posix',
  },
  async listen(name: string, options?: ListenOptions): Promise<Listener> {
    validateName(name, { maxBytes: 40 });
    const signal = validateSignal(options?.signal);
    const backlog = backlogOption(options);
    const path = join(dir, name);
    const server = createServer();
    await listenServer(server, { path }, path);
    return new StreamListener(server, { name, path, maxMessageBytes: MAX, signal, backlog });
  },
  async connect(name: string, options?: ConnectOptions): Promise<Channel> {
    validateName(name, { maxBytes: 40 });
    const path = join(dir, name);
    const socket = await connectSocket({ path }, path, options);
    return new StreamChannel(socket, MAX);
  },
};
registerTransport(kitTransport);

/** A transport whose connect always fails with `code` (for reconnection's give-up rules). */
export function failingTransport(scheme: string, code: 'EACCES' | 'ENOENT'): Transport {
  const transport: Transport = {
    ...kitTransport,
    scheme,
    capabilities: { ...kitTransport.capabilities, scheme },
    connect: async () => {
      throw new IpcError(code, `connect refused with ${code} (test)`);
    },
  };
  registerTransport(transport);
  return transport;
}

let counter = 0;
/** A fresh name for `kit://`. */
export function kitName(): string {
  return `k${process.pid}-${counter++}`;
}
