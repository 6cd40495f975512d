/**
 * @ipckit/core: the contract every ipckit transport implements. `listen` and
 * `connect` take an address such as `pipe://name`; changing the scheme
 * changes the transport and nothing else. Transport authors find the
 * building blocks in `@ipckit/core/kit`, and the conformance suite in
 * `@ipckit/core/testing`.
 */
export type { Backend, Capabilities, Channel, ConnectOptions, Listener, ListenOptions, Transport } from './transport.js';
export { IpcError, isIpcError, type IpcErrorCode, type IpcErrorDetails } from './errors.js';
export { connect, listen, registerTransport } from './address.js';
export { uniqueName } from './names.js';
