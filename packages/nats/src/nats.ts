import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  IpcError,
  type Capabilities,
  type Channel,
  type Listener,
  type Publisher,
  type Subscriber,
  type Transport,
} from '@ipckit/core';
import { backlogOption, checkWait, deadline, maxMessageBytesOption, validateSignal, watchWait, type CheckedWait } from '@ipckit/core/kit';
import { NoRespondersError, RequestError, TimeoutError, createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { BACKEND } from '@ipckit/sys';
import { NatsChannel } from './channel.js';
import { acquire, type Lease } from './connection.js';
import { fromNatsError } from './errors.js';
import { NatsListener, inUse } from './listener.js';
import { formatNatsName, parseNatsName, serverOf, serviceSubject, type NatsEndpoint } from './name.js';
import { checkClientOptions, sharedOption, type CheckedClientOptions, type NatsConnectOptions, type NatsListenOptions } from './options.js';
import { publishOnNats, subscribeOnNats, type NatsPublishOptions, type NatsSubscribeOptions } from './topics.js';
import { DATA_HEADER_BYTES, PROTOCOL_VERSION, decodeJson, encodeJson } from './wire.js';

/**
 * Default largest message: a nats-server's default `max_payload` (1 MiB)
 * less the 5-byte header of a channel message. A server configured with a
 * smaller `max_payload` lowers a channel's `maxMessageBytes` to match.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 - DATA_HEADER_BYTES;

/** The largest `maxMessageBytes` accepted: NATS's hard ceiling for `max_payload` (64 MiB) less the header. */
export const MAX_MESSAGE_BYTES_LIMIT = 64 * 1024 * 1024 - DATA_HEADER_BYTES;

/** How long a listen() waits for an answer to its probe of the service, in ms. */
const PROBE_TIMEOUT_MS = 2_000;

/** What nats:// offers, beyond every transport's Capabilities. */
export interface NatsCapabilities extends Capabilities {
  /**
   * True: several listeners (processes, machines) may serve one service
   * together when they listen with `{ shared: true }`; each new channel goes to
   * one of them (a NATS queue group). Without it listen() is exclusive:
   * EADDRINUSE when the service is served.
   */
  readonly sharedListeners: boolean;
}

/** The nats:// transport's type: every Transport's, with the nats:// options and capabilities. */
export interface NatsTransport extends Transport {
  readonly capabilities: NatsCapabilities;
  /** Serves `name` (`host:port/service`); see {@link NatsListenOptions}. */
  listen(name: string, options?: NatsListenOptions): Promise<Listener>;
  /** Connects to `name` (`host:port/service`); see {@link NatsConnectOptions}. */
  connect(name: string, options?: NatsConnectOptions): Promise<Channel>;
  /** Publishes a topic on `name`: core's fan-out over nats:// channels, with the NATS client's options (docs/nats.md, "Topics"). */
  publish(name: string, options?: NatsPublishOptions): Promise<Publisher>;
  /** Subscribes to a topic on `name`, as {@link publish}. */
  subscribe(name: string, options?: NatsSubscribeOptions): Promise<Subscriber>;
}

function servers(endpoint: NatsEndpoint, client: CheckedClientOptions): string[] {
  return [serverOf(endpoint), ...client.servers];
}

/** A channel's largest message on this connection: the asked-for one, within the server's max_payload. */
function channelMax(lease: Lease, asked: number): number {
  const maxPayload = lease.nc.info?.max_payload;
  return typeof maxPayload === 'number' && maxPayload > DATA_HEADER_BYTES ? Math.min(asked, maxPayload - DATA_HEADER_BYTES) : asked;
}

/** A NATS request that also gives up per `wait` (ECANCELED / ETIMEDOUT); NATS errors become IpcErrors. */
function request(nc: NatsConnection, subject: string, payload: Uint8Array, wait: CheckedWait, timeoutMs: number, what: string): Promise<Msg> {
  return new Promise<Msg>((resolve, reject) => {
    const stop = watchWait(wait, what, reject);
    nc.request(subject, payload, { timeout: timeoutMs }).then(
      (msg) => {
        stop();
        resolve(msg);
      },
      (error: unknown) => {
        stop();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function noResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.cause instanceof NoRespondersError);
}

/**
 * The NATS transport (`nats://host:port/service`): channels through a
 * nats-server, on this machine or across machines (docs/nats.md). A server
 * that refuses or is not there is ENOENT (`osCode` ECONNREFUSED), as nobody
 * listening is; a connect gives up with ETIMEDOUT after `timeoutMs`
 * (DEFAULT_CONNECT_TIMEOUT_MS, 10 s, when not given). Credentials and TLS go
 * as options ({@link NatsConnectOptions}), never in the name.
 */
export const transport: NatsTransport = {
  scheme: 'nats',
  capabilities: {
    scheme: 'nats',
    duplex: true,
    messageBoundaries: true,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    manyWriters: true,
    crossesMachines: true,
    sharedListeners: true,
    topics: true,
    primitive: 'NATS subjects through a nats-server: a queue-group subscription per service, a private inbox pair per channel',
    backend: BACKEND,
  },

  async listen(name: string, options?: NatsListenOptions): Promise<Listener> {
    const endpoint = parseNatsName(name);
    const maxMessageBytes = maxMessageBytesOption(options, DEFAULT_MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES_LIMIT);
    const signal = validateSignal(options?.signal);
    const backlog = backlogOption(options);
    const client = checkClientOptions(options);
    const shared = sharedOption(options);
    const subject = serviceSubject(endpoint.service);
    const wait = checkWait({ signal }, DEFAULT_CONNECT_TIMEOUT_MS);
    const lease = await acquire(servers(endpoint, client), client, wait, DEFAULT_CONNECT_TIMEOUT_MS);
    try {
      await probe(lease, subject, formatNatsName(endpoint), shared, wait);
      const listener = new NatsListener({
        lease,
        name: formatNatsName(endpoint),
        subject,
        shared,
        backlog,
        maxMessageBytes: channelMax(lease, maxMessageBytes),
        windowBytes: client.windowBytes,
        heartbeatMs: client.heartbeatMs,
        peerTimeoutMs: client.peerTimeoutMs,
        inboxPrefix: client.auth.inboxPrefix,
        signal,
      });
      try {
        await listener.ready();
      } catch (error) {
        await listener.close();
        throw fromNatsError(error, `cannot serve nats://${formatNatsName(endpoint)}`);
      }
      return listener;
    } catch (error) {
      await lease.release();
      throw error;
    }
  },

  async connect(name: string, options?: NatsConnectOptions): Promise<Channel> {
    const endpoint = parseNatsName(name);
    const maxMessageBytes = maxMessageBytesOption(options, DEFAULT_MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES_LIMIT);
    const wait = checkWait(options, DEFAULT_CONNECT_TIMEOUT_MS);
    const client = checkClientOptions(options);
    const address = `nats://${formatNatsName(endpoint)}`;
    const limit = deadline(wait, `connecting to ${address}`);
    try {
      const lease = await acquire(
        servers(endpoint, client),
        client,
        { timeoutMs: limit.remainingMs(), signal: limit.signal },
        limit.remainingMs() ?? DEFAULT_CONNECT_TIMEOUT_MS,
      );
      const channel = new NatsChannel({
        lease,
        inbox: createInbox(client.auth.inboxPrefix),
        maxMessageBytes: channelMax(lease, maxMessageBytes),
        windowBytes: client.windowBytes,
        heartbeatMs: client.heartbeatMs,
        peerTimeoutMs: client.peerTimeoutMs,
      });
      try {
        const hello = encodeJson({ v: PROTOCOL_VERSION, t: 'hello', inbox: channel.inbox, max: channel.maxMessageBytes, window: client.windowBytes });
        const remaining = limit.remainingMs() ?? DEFAULT_CONNECT_TIMEOUT_MS;
        let reply: Msg;
        try {
          reply = await request(
            lease.nc,
            serviceSubject(endpoint.service),
            hello,
            { timeoutMs: undefined, signal: limit.signal },
            remaining,
            `connecting to ${address}`,
          );
        } catch (error) {
          if (noResponders(error)) throw new IpcError('ENOENT', `nobody serves ${address}`, { cause: error });
          if (error instanceof TimeoutError) throw new IpcError('ETIMEDOUT', `nobody answered ${address} within ${remaining} ms`, { cause: error });
          throw fromNatsError(error, `cannot connect to ${address}`);
        }
        const answer = decodeJson(reply.data);
        if (answer.t === 'full') {
          channel.refuse(`the listener of ${address} is over its backlog`);
        } else if (answer.t === 'accept' && typeof answer.inbox === 'string' && Number.isSafeInteger(answer.max) && Number.isSafeInteger(answer.window)) {
          channel.attach({ inbox: answer.inbox, maxMessageBytes: answer.max as number, windowBytes: answer.window as number });
        } else {
          throw new IpcError('EBADMSG', `what answered ${address} is not an ipckit listener`);
        }
        return channel;
      } catch (error) {
        await channel.close({ timeoutMs: 0 });
        throw error;
      }
    } catch (error) {
      throw limit.explain(error);
    } finally {
      limit.dispose();
    }
  },

  publish(name: string, options?: NatsPublishOptions): Promise<Publisher> {
    return publishOnNats(transport, name, options);
  },

  subscribe(name: string, options?: NatsSubscribeOptions): Promise<Subscriber> {
    return subscribeOnNats(transport, name, options);
  },
};

/**
 * Asks whether the service is served before joining it: EADDRINUSE when a
 * listener answers (unless both share), or something subscribes and does not
 * answer. Two listens at the same instant can both pass: the check is
 * exclusive against listeners that are there, not a lock (docs/nats.md).
 */
async function probe(lease: Lease, subject: string, name: string, shared: boolean, wait: CheckedWait): Promise<void> {
  let reply: Msg;
  try {
    reply = await request(lease.nc, subject, encodeJson({ v: PROTOCOL_VERSION, t: 'probe' }), wait, PROBE_TIMEOUT_MS, `listening on nats://${name}`);
  } catch (error) {
    if (noResponders(error)) return;
    if (error instanceof TimeoutError) throw inUse(name, 'silent');
    throw fromNatsError(error, `cannot serve nats://${name}`);
  }
  let theirs: boolean;
  try {
    theirs = decodeJson(reply.data).shared === true;
  } catch {
    throw inUse(name, 'silent');
  }
  if (!(shared && theirs)) throw inUse(name, theirs ? 'shared' : 'exclusive');
}
