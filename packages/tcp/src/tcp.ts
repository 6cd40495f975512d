import { createServer, isIP } from 'node:net';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  IpcError,
  type Capabilities,
  type Channel,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type Transport,
} from '@ipckit/core';
import {
  StreamChannel,
  StreamListener,
  backlogOption,
  checkWait,
  connectSocket,
  listenServer,
  maxMessageBytesOption,
  streamLimitOptions,
  validateSignal,
} from '@ipckit/core/kit';
import { BACKEND } from '@ipckit/sys';
import { tcpPeerKey } from './peer.js';

/** Default largest message: 16 MiB, as for pipes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A TCP endpoint parsed from `host:port` or `[v6]:port`. */
export interface TcpEndpoint {
  host: string;
  port: number;
}

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses a tcp name: `host:port`, `[ipv6]:port`, or just `port` (meaning
 * 127.0.0.1). The host is an IP literal or a DNS hostname; port 0 asks the OS
 * for a free port when listening. Throws IpcError EINVAL for anything else.
 */
export function parseEndpoint(name: string): TcpEndpoint {
  if (typeof name !== 'string' || name.length === 0 || name.length > 300) {
    throw new IpcError('EINVAL', `tcp name must be "host:port", got ${JSON.stringify(typeof name === 'string' ? name.slice(0, 40) : name)}`);
  }
  let host = '127.0.0.1';
  let portText = name;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(name);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2] as string;
    if (isIP(host) !== 6) throw new IpcError('EINVAL', `${JSON.stringify(host)} is not an IPv6 address`);
  } else if (name.includes(':')) {
    const at = name.lastIndexOf(':');
    host = name.slice(0, at);
    portText = name.slice(at + 1);
    if (isIP(host) === 0 && !HOSTNAME.test(host)) {
      throw new IpcError('EINVAL', `${JSON.stringify(host)} is not an IP address or hostname`);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new IpcError('EINVAL', `${JSON.stringify(portText)} is not a port number (0-65535)`);
  }
  return { host, port: Number(portText) };
}

/** Formats an endpoint back into a tcp name. */
export function formatEndpoint({ host, port }: TcpEndpoint): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The TCP transport (`tcp://host:port`): framed messages over TCP, loopback
 * unless a host is named. Nobody listening (ECONNREFUSED) is reported with
 * the portable code ENOENT; `osCode` keeps ECONNREFUSED. A connect gives up
 * with ETIMEDOUT after `timeoutMs`, DEFAULT_CONNECT_TIMEOUT_MS (10 s) when
 * not given.
 */
export const transport: Transport = {
  scheme: 'tcp',
  capabilities: {
    scheme: 'tcp',
    duplex: true,
    messageBoundaries: false,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    manyWriters: true,
    crossesMachines: true,
    // Topics over its channels: @ipckit/core/kit's publishOverChannels (docs/topics.md).
    topics: true,
    primitive: 'TCP socket (via libuv), Nagle off',
    backend: BACKEND,
  } satisfies Capabilities,

  async listen(name: string, options?: ListenOptions): Promise<Listener> {
    const endpoint = parseEndpoint(name);
    const maxMessageBytes = maxMessageBytesOption(options, DEFAULT_MAX_MESSAGE_BYTES);
    const signal = validateSignal(options?.signal);
    const backlog = backlogOption(options);
    const limits = streamLimitOptions(options);
    const server = createServer();
    // exclusive: never share the port with a cluster primary; one listener per name.
    await listenServer(server, { host: endpoint.host, port: endpoint.port, exclusive: true }, formatEndpoint(endpoint));
    const address = server.address();
    const actual = typeof address === 'object' && address ? { host: endpoint.host, port: address.port } : endpoint;
    // One peer (a local user other than ours, or one remote host) holds at most half the backlog (peer.ts).
    const info = { name: formatEndpoint(actual), path: formatEndpoint(actual), maxMessageBytes, signal, backlog, ...limits, peerOf: tcpPeerKey };
    return new StreamListener(server, info);
  },

  async connect(name: string, options?: ConnectOptions): Promise<Channel> {
    const endpoint = parseEndpoint(name);
    const maxMessageBytes = maxMessageBytesOption(options, DEFAULT_MAX_MESSAGE_BYTES);
    // Without a timeout a connect to a host that drops packets would wait for the OS (minutes): DEFAULT_CONNECT_TIMEOUT_MS.
    const wait = checkWait(options, DEFAULT_CONNECT_TIMEOUT_MS);
    const socket = await connectSocket({ host: endpoint.host, port: endpoint.port }, formatEndpoint(endpoint), wait);
    return new StreamChannel(socket, maxMessageBytes);
  },
};
