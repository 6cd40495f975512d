/**
 * @ipckit/core: the interface every ipckit transport implements, the address
 * registry that picks a transport from one string, IpcError, and message
 * framing for byte streams.
 */
export type { Backend, Capabilities, Channel, ConnectOptions, Listener, ListenOptions, Transport } from './transport.js';
export { IpcError, fromNodeError, isIpcError, portableCode, type IpcErrorCode, type IpcErrorDetails } from './errors.js';
export { connect, listen, parseAddress, registerTransport, resolveTransport, type ParsedAddress } from './address.js';
export { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, FrameDecoder, checkMessageSize, frameHeader } from './framing.js';
export { uniqueName, validateInteger, validateName, validateSignal, type NameRules } from './names.js';
export { AsyncQueue, type QueueHooks } from './queue.js';
export { StreamChannel, StreamListener, type StreamListenerInfo } from './stream-channel.js';
export { connectSocket, listenServer, maxMessageBytesOption } from './net.js';
