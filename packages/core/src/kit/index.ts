/**
 * @ipckit/core/kit: the building blocks ipckit's transports are made of, for
 * anyone writing another transport. Users of ipckit need none of this: the
 * main entry (`@ipckit/core`) is the contract. See packages/core/README.md.
 */
export { fromNodeError, portableCode, recode } from '../errors.js';
export { parseAddress, resolveTransport, type ParsedAddress } from '../address.js';
export { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, FrameDecoder, checkMessageSize, frameHeader } from './framing.js';
export { AsyncQueue, type QueueHooks } from './queue.js';
export { StreamChannel, StreamListener, type StreamListenerInfo } from './stream-channel.js';
export { connectSocket, listenServer } from './net.js';
export {
  MAX_BACKLOG,
  backlogOption,
  closeTimeoutOption,
  maxMessageBytesOption,
  timeoutOption,
  validateInteger,
  validateName,
  validateSignal,
  type NameRules,
} from './validate.js';
export { checkWait, deadline, rejection, sleep, watchWait, type CheckedWait, type Deadline, type WaitOptions } from './cancel.js';
