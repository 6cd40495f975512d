/**
 * Unframed byte streams (`--raw`), for peers that speak raw bytes, as
 * `socat - UNIX-CONNECT:` or `nc` do: the same pipe:// and tcp:// addresses
 * as the framed channels, without ipckit's length prefix. Only stream
 * transports have them: shm:// and mailslot:// carry messages, never a stream.
 */
import type { Server, Socket } from 'node:net';
import { IpcError } from '@ipckit/core';
import type { CliAddress } from './address.js';

/** A listening raw server and the address it serves (for tcp://…:0, with the port the OS chose). */
export interface RawServer {
  readonly server: Server;
  readonly address: string;
  readonly path: string;
}

function checkStream(address: CliAddress): 'pipe' | 'tcp' {
  if (address.scheme === 'pipe' || address.scheme === 'tcp') return address.scheme;
  throw new IpcError('EINVAL', `--raw needs a byte-stream transport (pipe:// or tcp://); ${address.scheme}:// carries messages only`);
}

/** Connects to `address` as a raw byte stream; ENOENT when nobody serves it, ETIMEDOUT after `timeoutMs`. */
export async function connectRaw(address: CliAddress, wait: { timeoutMs?: number; signal?: AbortSignal }): Promise<Socket> {
  if (checkStream(address) === 'pipe') return (await import('@ipckit/named-pipe')).connectStream(address.name, wait);
  const [{ parseEndpoint, formatEndpoint }, { connectSocket }] = await Promise.all([import('@ipckit/tcp'), import('@ipckit/core/kit')]);
  const endpoint = parseEndpoint(address.name);
  return connectSocket({ host: endpoint.host, port: endpoint.port }, formatEndpoint(endpoint), wait);
}

/** Serves `address` as raw byte streams: each connection is a plain node:net socket. */
export async function listenRaw(address: CliAddress): Promise<RawServer> {
  if (checkStream(address) === 'pipe') {
    const { server, path } = await (await import('@ipckit/named-pipe')).listenStream(address.name);
    return { server, address: `pipe://${address.name}`, path };
  }
  const [{ parseEndpoint, formatEndpoint }, { listenServer }, { createServer }] = await Promise.all([
    import('@ipckit/tcp'),
    import('@ipckit/core/kit'),
    import('node:net'),
  ]);
  const endpoint = parseEndpoint(address.name);
  const server = createServer();
  await listenServer(server, { host: endpoint.host, port: endpoint.port, exclusive: true }, formatEndpoint(endpoint));
  const bound = server.address();
  const actual = formatEndpoint(typeof bound === 'object' && bound ? { host: endpoint.host, port: bound.port } : endpoint);
  return { server, address: `tcp://${actual}`, path: actual };
}
