/**
 * @ipckit/core/kit: the building blocks ipckit's transports are made of, for
 * anyone writing another transport. Users of ipckit need none of this: the
 * main entry (`@ipckit/core`) is the contract. See packages/core/README.md.
 */
export { fromNodeError, portableCode, recode } from '../errors.js';
export { parseAddress, resolveTransport, type ParsedAddress } from '../address.js';
export { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, FrameBudget, FrameDecoder, checkMessageSize, frameHeader } from './framing.js';
export { AsyncQueue, type QueueHooks } from './queue.js';
export { PEER_BACKLOG_SHARE, StreamChannel, StreamListener, type StreamChannelLimits, type StreamListenerInfo } from './stream-channel.js';
export { connectSocket, listenServer } from './net.js';
export {
  MAX_BACKLOG,
  backlogOption,
  closeTimeoutOption,
  maxMessageBytesOption,
  streamLimitOptions,
  timeoutOption,
  validateInteger,
  validateName,
  validateSignal,
  type NameRules,
  type StreamLimitOptions,
} from './validate.js';
export { MAX_TIMER_MS, setLongTimeout, type LongTimeout } from './timers.js';
export { checkWait, deadline, rejection, sleep, watchWait, type CheckedWait, type Deadline, type WaitOptions } from './cancel.js';
export { ChannelPublisher, channelTopicLimits, publishOverChannels } from './topic-publisher.js';
export { ChannelSubscriber, subscribeOverChannels } from './topic-subscriber.js';
export { publishOn, subscribeOn } from './topic-transport.js';
export { publishSettings, subscribeSettings, type PublishSettings, type SubscribeSettings, type TopicSizeLimits } from './topic-options.js';
export { TOPIC_HEADER_BYTES, TOPIC_WIRE_VERSION } from './topic-wire.js';
