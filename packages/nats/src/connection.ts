/**
 * One NATS connection per server list and credentials in a process, shared by
 * every nats:// listener and channel that names them, and closed when the
 * last of them is closed. It watches the connection's status so that each
 * channel learns at once when the connection to the server is lost (its
 * channel then ends: docs/nats.md, "What a server restart loses").
 */
import { createHash } from 'node:crypto';
import { IpcError } from '@ipckit/core';
import { watchWait, type CheckedWait } from '@ipckit/core/kit';
import { connect as natsConnect, nkeyAuthenticator, type Authenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { fromNatsError } from './errors.js';
import type { CheckedClientOptions } from './options.js';

/** How long the NATS client waits between reconnection attempts, in ms. */
const RECONNECT_WAIT_MS = 250;

/** How long a flush before closing may take at most, in ms (a server that is gone never answers). */
const FLUSH_LIMIT_MS = 2_000;

/** What a user of a shared connection is told. */
export interface ConnectionWatcher {
  /** The connection to the server was lost (it reconnects by itself; what was in flight is lost). */
  disconnected(): void;
  /** The connection is closed for good (the client gave up, or the last hold was released). */
  closed?(): void;
}

/** One user's hold on a shared connection. */
export interface Lease {
  readonly nc: NatsConnection;
  /** `host:port` of the first server, for messages. */
  readonly server: string;
  /** False while the client is reconnecting. */
  readonly connected: boolean;
  /** Tells `watcher` when the connection is lost; returns the function that stops telling. */
  watch(watcher: ConnectionWatcher): () => void;
  /** Flushes, at most FLUSH_LIMIT_MS; never rejects. */
  flush(): Promise<void>;
  /** Gives the hold back; the last one closes the connection (after a bounded flush). Idempotent. */
  release(): Promise<void>;
  /** Another hold on the same connection, at once (for a channel a listener accepts). */
  share(): Lease;
}

interface Shared {
  key: string;
  server: string;
  refs: number;
  ready: Promise<NatsConnection>;
  nc: NatsConnection | undefined;
  connected: boolean;
  watchers: Set<ConnectionWatcher>;
}

const pool = new Map<string, Shared>();

/** Object options (authenticators, TLS objects) get an identity of their own in the key. */
const identities = new WeakMap<object, number>();
let nextIdentity = 1;
function identity(value: object): number {
  let id = identities.get(value);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(value, id);
  }
  return id;
}

/** The pool key: a hash, so that credentials are never kept in a readable key. */
function keyOf(servers: string[], options: CheckedClientOptions): string {
  const { user, pass, token, nkeySeed, authenticator, tls, inboxPrefix } = options.auth;
  const seed = nkeySeed instanceof Uint8Array ? Buffer.from(nkeySeed).toString('base64') : nkeySeed;
  const auth = authenticator === undefined ? undefined : (Array.isArray(authenticator) ? authenticator : [authenticator]).map(identity);
  const text = JSON.stringify([servers, user, pass, token, seed, auth, tls === undefined ? undefined : [identity(tls), tls], inboxPrefix]);
  return createHash('sha256').update(text).digest('hex');
}

function clientOptions(servers: string[], options: CheckedClientOptions, timeoutMs: number): ConnectionOptions {
  const { user, pass, token, nkeySeed, authenticator, tls, inboxPrefix } = options.auth;
  const authenticators: Authenticator[] = authenticator === undefined ? [] : Array.isArray(authenticator) ? [...authenticator] : [authenticator];
  if (nkeySeed !== undefined) authenticators.push(nkeyAuthenticator(typeof nkeySeed === 'string' ? new TextEncoder().encode(nkeySeed) : nkeySeed));
  return {
    servers,
    name: 'ipckit',
    timeout: timeoutMs,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    ...(user === undefined ? {} : { user }),
    ...(pass === undefined ? {} : { pass }),
    ...(token === undefined ? {} : { token }),
    ...(authenticators.length === 0 ? {} : { authenticator: authenticators }),
    ...(tls === undefined ? {} : { tls }),
    ...(inboxPrefix === undefined ? {} : { inboxPrefix }),
  };
}

function watchStatus(shared: Shared, nc: NatsConnection): void {
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        shared.connected = false;
        for (const watcher of [...shared.watchers]) watcher.disconnected();
      } else if (status.type === 'reconnect') {
        shared.connected = true;
      } else if (status.type === 'close') {
        break;
      }
    }
  })().catch(() => undefined);
  void nc.closed().then(() => {
    shared.connected = false;
    if (pool.get(shared.key) === shared) pool.delete(shared.key);
    for (const watcher of [...shared.watchers]) {
      watcher.disconnected();
      watcher.closed?.();
    }
  });
}

async function flushBounded(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([nc.flush().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_LIMIT_MS)))]);
  clearTimeout(timer);
}

function releaseRef(shared: Shared): Promise<void> {
  shared.refs--;
  if (shared.refs > 0) return Promise.resolve();
  if (pool.get(shared.key) === shared) pool.delete(shared.key);
  return shared.ready.then(
    async (nc) => {
      await flushBounded(nc);
      await nc.close().catch(() => undefined);
    },
    () => undefined,
  );
}

/**
 * A hold on the shared connection to `servers` with these credentials,
 * connecting first if there is none. Gives up per `wait` (ETIMEDOUT,
 * ECANCELED); a server that refuses or is not there is ENOENT (osCode
 * ECONNREFUSED), one that is being reconnected to also ENOENT.
 */
export async function acquire(servers: string[], options: CheckedClientOptions, wait: CheckedWait, timeoutMs: number): Promise<Lease> {
  const key = keyOf(servers, options);
  const server = servers[0] ?? '';
  let shared = pool.get(key);
  if (!shared) {
    const entry: Shared = {
      key,
      server,
      refs: 0,
      ready: Promise.resolve(undefined as unknown as NatsConnection),
      nc: undefined,
      connected: false,
      watchers: new Set(),
    };
    entry.ready = natsConnect(clientOptions(servers, options, timeoutMs)).then(
      (nc) => {
        entry.nc = nc;
        entry.connected = true;
        watchStatus(entry, nc);
        return nc;
      },
      (error: unknown) => {
        if (pool.get(key) === entry) pool.delete(key);
        throw fromNatsError(error, `cannot connect to the NATS server ${server}`);
      },
    );
    entry.ready.catch(() => undefined);
    pool.set(key, entry);
    shared = entry;
  }
  const held = shared;
  held.refs++;
  let nc: NatsConnection;
  try {
    nc = await new Promise<NatsConnection>((resolve, reject) => {
      const stop = watchWait(wait, `connecting to the NATS server ${server}`, reject);
      held.ready.then(
        (value) => {
          stop();
          resolve(value);
        },
        (error: unknown) => {
          stop();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
    if (!held.connected || nc.isClosed()) {
      throw new IpcError('ENOENT', `the NATS server ${server} is not reachable now (the client is reconnecting)`, { osCode: 'ECONNREFUSED' });
    }
  } catch (error) {
    void releaseRef(held);
    throw error;
  }
  return leaseOf(held, nc);
}

/** A hold counted in `held.refs`, given back once by release(). */
function leaseOf(held: Shared, nc: NatsConnection): Lease {
  let released: Promise<void> | undefined;
  return {
    nc,
    server: held.server,
    get connected() {
      return held.connected && !nc.isClosed();
    },
    watch(watcher) {
      held.watchers.add(watcher);
      return () => held.watchers.delete(watcher);
    },
    flush: () => flushBounded(nc),
    release: () => (released ??= releaseRef(held)),
    share: () => {
      held.refs++;
      return leaseOf(held, nc);
    },
  };
}
