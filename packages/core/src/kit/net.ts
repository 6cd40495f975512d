import { connect as netConnect, type ListenOptions as NetListenOptions, type NetConnectOpts, type Server, type Socket } from 'node:net';
import { IpcError, fromNodeError, recode } from '../errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../transport.js';
import { checkWait, rejection, watchWait, type CheckedWait, type WaitOptions } from './cancel.js';

/**
 * Helpers shared by the transports built on node:net (pipe:// and tcp://),
 * so their listen and connect behave and fail the same way.
 */

/** Starts `server` listening; a failure (EADDRINUSE, EACCES, ...) rejects as an IpcError about `where`. */
export function listenServer(server: Server, options: NetListenOptions, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(fromNodeError(error, { path: where }));
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Opens a connection; rejects with an IpcError about `where`: ENOENT when
 * nobody listens (ENOENT or ECONNREFUSED from the OS, kept as `osCode`),
 * ETIMEDOUT when `options.timeoutMs` (default DEFAULT_CONNECT_TIMEOUT_MS)
 * passes first, ECANCELED when `options.signal` aborts (at once when it
 * already has: nothing is opened).
 */
export function connectSocket(options: NetConnectOpts, where: string, wait?: WaitOptions): Promise<Socket> {
  let checked: CheckedWait;
  try {
    checked = checkWait(wait, DEFAULT_CONNECT_TIMEOUT_MS);
  } catch (error) {
    return rejection(error);
  }
  return new Promise<Socket>((resolve, reject) => {
    const socket = netConnect(options);
    const stop = watchWait(checked, `connecting to ${where}`, (error) => {
      socket.destroy();
      const message = error.code === 'ETIMEDOUT' ? `no connection to ${where} within ${checked.timeoutMs} ms` : `connecting to ${where} was aborted`;
      reject(new IpcError(error.code, message, { path: where, syscall: 'connect', cause: error.cause }));
    });
    socket.once('connect', () => {
      stop();
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      stop();
      const wrapped = fromNodeError(error, { path: where });
      reject(wrapped.code === 'ENOENT' ? recode(wrapped, 'ENOENT', `nobody serves ${where}`, where) : wrapped);
    });
  });
}
