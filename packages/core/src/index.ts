/**
 * @ipckit/core: the contract every ipckit transport implements. `listen` and
 * `connect` take an address such as `pipe://name`; changing the scheme
 * changes the transport and nothing else. On top of any transport: `serve`
 * (many clients at once), `messages` (iteration with a deadline or a
 * signal), codecs (`withCodec`, `json`, `structured`) and request/reply
 * (`Requester`, `respond`). Topics: `publish` and `subscribe` (one
 * publisher, many subscribers; rules in topic.ts). Transport authors find the building blocks in
 * `@ipckit/core/kit`, and the conformance suite in `@ipckit/core/testing`.
 */
export {
  DEFAULT_BACKLOG,
  DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_MAX_PARTIAL_FRAME_BYTES,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type Backend,
  type Capabilities,
  type Channel,
  type CloseOptions,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type ReceiveOptions,
  type ReconnectOptions,
  type SendOptions,
  type Transport,
} from './transport.js';
export { IpcError, isIpcError, type IpcErrorCode, type IpcErrorDetails } from './errors.js';
export { connect, listen, publish, registerTransport, subscribe } from './address.js';
export {
  DEFAULT_BLOCK_TIMEOUT_MS,
  DEFAULT_MAX_SUBSCRIBERS,
  DEFAULT_SLOW_SUBSCRIBER_POLICY,
  DEFAULT_TOPIC_CAPACITY,
  DEFAULT_TOPIC_HISTORY,
  EVICTION_NOTICE_MS,
  MAX_SUBSCRIBERS,
  MAX_TOPIC_CAPACITY,
  SLOW_SUBSCRIBER_POLICIES,
  type BorrowedDelivery,
  type Delivery,
  type PublishOptions,
  type Publisher,
  type SlowSubscriberPolicy,
  type SubscribeOptions,
  type Subscriber,
  type SyncWaitOptions,
} from './topic.js';
export { CodecPublisher, CodecSubscriber, withTopicCodec } from './topic-codec.js';
export { uniqueName } from './names.js';
export { messages } from './messages.js';
export { serve, type ServeOptions } from './serve.js';
export { CodecChannel, json, structured, withCodec, type Codec } from './codec.js';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  Requester,
  respond,
  type RequestContext,
  type RequesterOptions,
  type RequestOptions,
  type RespondOptions,
} from './request.js';
export { ReconnectingChannel } from './reconnect.js';
