/**
 * @ipckit/nats: `nats://host:port/service`. The common interface over a NATS
 * server: listeners are queue-group subscriptions (several may share a
 * service), each channel a private pair of subjects with heartbeats and an
 * explicit close; and `bridge()`, which relays a local listener to nats://.
 */
export { DEFAULT_MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES_LIMIT, transport, type NatsCapabilities, type NatsTransport } from './nats.js';
export { formatNatsName, parseNatsName, serviceSubject, type NatsEndpoint } from './name.js';
export {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_PEER_TIMEOUT_MS,
  DEFAULT_WINDOW_BYTES,
  type NatsClientOptions,
  type NatsConnectOptions,
  type NatsListenOptions,
} from './options.js';
export type { NatsPublishOptions, NatsSubscribeOptions } from './topics.js';
export { bridge, type Bridge, type BridgeEvent, type BridgeOptions, type BridgeStats } from './bridge.js';
export { bridgeTopic, type TopicBridge, type TopicBridgeEvent, type TopicBridgeOptions, type TopicBridgeStats } from './bridge-topic.js';
export { BRIDGE_USAGE, parseBridgeArgs, runBridgeCommand, type BridgeCommandIo } from './bridge-command.js';
