/**
 * The options nats:// takes on top of every transport's: the NATS servers and
 * credentials (handed to the NATS client, never logged or put in an error
 * message), and the channel's liveness and flow-control settings.
 */
import { IpcError, type ConnectOptions, type ListenOptions } from '@ipckit/core';
import { validateInteger } from '@ipckit/core/kit';
import type { Authenticator, TlsOptions } from '@nats-io/transport-node';

/** How often a channel asks its peer whether it is still there, by default, in ms. */
export const DEFAULT_HEARTBEAT_MS = 1_000;

/** How long a channel's ping may go unanswered before the peer counts as gone, by default, in ms. */
export const DEFAULT_PEER_TIMEOUT_MS = 10_000;

/**
 * How much a receiver lets its peer send ahead of what it has taken, by
 * default: 2 MiB of messages (each counted with a 64-byte overhead).
 */
export const DEFAULT_WINDOW_BYTES = 2 * 1024 * 1024;

/** The NATS client's settings that every nats:// connect and listen takes. */
export interface NatsClientOptions {
  /**
   * More servers of the same NATS cluster (`host:port`, or `nats://` / `tls://`
   * URLs), tried after the one in the name, and on reconnection.
   */
  servers?: string[];
  /** User name for user/password authentication. */
  user?: string;
  /** Password for user/password authentication. Never logged. */
  pass?: string;
  /** Token authentication. Never logged. */
  token?: string;
  /** An nkey seed (`SU...`) for nkey authentication. Never logged. */
  nkeySeed?: string | Uint8Array;
  /** The NATS client's own authenticators (credentials files, JWTs), for what the options above do not cover. */
  authenticator?: Authenticator | Authenticator[];
  /** TLS, as the NATS client takes it (`caFile`, `certFile`, `keyFile`, `handshakeFirst`, ...). */
  tls?: TlsOptions;
  /** The prefix of the channels' private subjects (default `_INBOX`), for servers whose permissions require another. */
  inboxPrefix?: string;
  /** How often a channel pings its peer, in ms (100 to 60,000; default {@link DEFAULT_HEARTBEAT_MS}). */
  heartbeatMs?: number;
  /** How long a ping may go unanswered before the peer counts as gone, in ms (heartbeatMs to 600,000; default {@link DEFAULT_PEER_TIMEOUT_MS}). */
  peerTimeoutMs?: number;
  /** How many bytes the peer may send ahead of what this side has taken (64 KiB to 1 GiB; default {@link DEFAULT_WINDOW_BYTES}). */
  windowBytes?: number;
}

/** Options of a nats:// connect. */
export interface NatsConnectOptions extends ConnectOptions, NatsClientOptions {}

/** Options of a nats:// listen. */
export interface NatsListenOptions extends ListenOptions, NatsClientOptions {
  /**
   * Share the service with other listeners (in this or other processes, on
   * this or other machines): all join one NATS queue group and each new
   * channel goes to one of them. Default false: listen() fails with
   * EADDRINUSE when the service is already served, as on every transport;
   * a shared listener is refused only by a service served without sharing.
   */
  shared?: boolean;
}

/** The client options checked (EINVAL before anything connects). */
export interface CheckedClientOptions {
  servers: string[];
  auth: Pick<NatsClientOptions, 'user' | 'pass' | 'token' | 'nkeySeed' | 'authenticator' | 'tls' | 'inboxPrefix'>;
  heartbeatMs: number;
  peerTimeoutMs: number;
  windowBytes: number;
}

function optionalString(value: unknown, what: string): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 4096)) {
    // The value itself is never shown: it may be a secret.
    throw new IpcError('EINVAL', `${what} must be a non-empty string`);
  }
}

/**
 * Checks the nats:// options: IpcError EINVAL for a value of the wrong kind or
 * out of range. Messages name the option, never its value (credentials).
 */
export function checkClientOptions(options: NatsClientOptions | undefined): CheckedClientOptions {
  const o = options ?? {};
  const servers = o.servers ?? [];
  if (!Array.isArray(servers) || servers.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 1000)) {
    throw new IpcError('EINVAL', 'servers must be an array of "host:port" strings or nats:// URLs');
  }
  optionalString(o.user, 'user');
  optionalString(o.pass, 'pass');
  optionalString(o.token, 'token');
  optionalString(o.inboxPrefix, 'inboxPrefix');
  if (o.inboxPrefix !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(o.inboxPrefix)) {
    throw new IpcError('EINVAL', 'inboxPrefix must be subject tokens of letters, digits, "_" and "-", joined by dots');
  }
  if (o.nkeySeed !== undefined && !(typeof o.nkeySeed === 'string' && o.nkeySeed.length > 0) && !(o.nkeySeed instanceof Uint8Array)) {
    throw new IpcError('EINVAL', 'nkeySeed must be a string or a Uint8Array');
  }
  if (o.authenticator !== undefined && typeof o.authenticator !== 'function' && !Array.isArray(o.authenticator)) {
    throw new IpcError('EINVAL', 'authenticator must be a NATS authenticator function or an array of them');
  }
  const tlsOption: unknown = o.tls;
  if (tlsOption !== undefined && (typeof tlsOption !== 'object' || tlsOption === null)) throw new IpcError('EINVAL', 'tls must be an object of TLS options');
  const heartbeatMs = o.heartbeatMs === undefined ? DEFAULT_HEARTBEAT_MS : validateInteger(o.heartbeatMs, 'heartbeatMs', 100, 60_000);
  const peerTimeoutMs =
    o.peerTimeoutMs === undefined ? Math.max(DEFAULT_PEER_TIMEOUT_MS, heartbeatMs) : validateInteger(o.peerTimeoutMs, 'peerTimeoutMs', heartbeatMs, 600_000);
  const windowBytes = o.windowBytes === undefined ? DEFAULT_WINDOW_BYTES : validateInteger(o.windowBytes, 'windowBytes', 64 * 1024, 1024 ** 3);
  const { user, pass, token, nkeySeed, authenticator, tls, inboxPrefix } = o;
  return { servers, auth: { user, pass, token, nkeySeed, authenticator, tls, inboxPrefix }, heartbeatMs, peerTimeoutMs, windowBytes };
}

/** The `shared` listen option checked. */
export function sharedOption(options: NatsListenOptions | undefined): boolean {
  const shared = options?.shared;
  if (shared !== undefined && typeof shared !== 'boolean') throw new IpcError('EINVAL', 'shared must be a boolean');
  return shared === true;
}
