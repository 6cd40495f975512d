/**
 * Topics on nats://: core's fan-out over channels (publishOverChannels,
 * subscribeOverChannels), on nats:// channels that carry this transport's
 * own options (credentials, TLS, servers, liveness). The kit opens its
 * listener and channels with its own options only; this hands ours to them.
 */
import type { Channel, Listener, PublishOptions, Publisher, SubscribeOptions, Subscriber, Transport } from '@ipckit/core';
import { publishOverChannels, subscribeOverChannels } from '@ipckit/core/kit';
import { checkClientOptions, type NatsClientOptions } from './options.js';

/** Options of publish on nats://: a topic's, and the NATS client's. */
export interface NatsPublishOptions extends PublishOptions, NatsClientOptions {}

/** Options of subscribe on nats://: a topic's, and the NATS client's. */
export interface NatsSubscribeOptions extends SubscribeOptions, NatsClientOptions {}

const CLIENT_KEYS = [
  'servers',
  'user',
  'pass',
  'token',
  'nkeySeed',
  'authenticator',
  'tls',
  'inboxPrefix',
  'heartbeatMs',
  'peerTimeoutMs',
  'windowBytes',
] as const;

/** Splits the NATS client's options (checked: EINVAL) from the topic's. */
function split<T extends object>(options: (T & NatsClientOptions) | undefined): { client: NatsClientOptions; rest: T | undefined } {
  const raw: unknown = options;
  // Not an object: the kit's own check refuses it with EINVAL.
  if (raw === undefined || raw === null || typeof raw !== 'object') return { client: {}, rest: options };
  const client: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) ((CLIENT_KEYS as readonly string[]).includes(key) ? client : rest)[key] = value;
  checkClientOptions(client);
  return { client, rest: rest as T };
}

/** `transport` with `client` given to every listen and connect the kit makes. */
function carrying(transport: Transport, client: NatsClientOptions): Transport {
  return {
    scheme: transport.scheme,
    capabilities: transport.capabilities,
    listen: (name, options): Promise<Listener> => transport.listen(name, { ...client, ...options }),
    connect: (name, options): Promise<Channel> => transport.connect(name, { ...client, ...options }),
  };
}

/** Publishes the topic `name` (`host:port/topic`) on nats://, with the NATS client's options. */
export function publishOnNats(transport: Transport, name: string, options?: NatsPublishOptions): Promise<Publisher> {
  const { client, rest } = split<PublishOptions>(options);
  return publishOverChannels(carrying(transport, client), name, rest);
}

/** Subscribes to the topic `name` (`host:port/topic`) on nats://, with the NATS client's options. */
export function subscribeOnNats(transport: Transport, name: string, options?: NatsSubscribeOptions): Promise<Subscriber> {
  const { client, rest } = split<SubscribeOptions>(options);
  return subscribeOverChannels(carrying(transport, client), name, rest);
}
