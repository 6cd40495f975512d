import { connect as netConnect, type ListenOptions as NetListenOptions, type NetConnectOpts, type Server, type Socket } from 'node:net';
import { IpcError, fromNodeError, recode } from '../errors.js';
import { timeoutOption } from './validate.js';

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
 * Opens a connection; rejects with an IpcError about `where` (ENOENT when
 * nobody listens: ENOENT or ECONNREFUSED from the OS, kept as `osCode`), or
 * ETIMEDOUT when `timeoutMs` passes first.
 */
export function connectSocket(options: NetConnectOpts, where: string, timeoutMs: number | undefined): Promise<Socket> {
  const timeout = timeoutOption(timeoutMs);
  return new Promise<Socket>((resolve, reject) => {
    const socket = netConnect(options);
    let timer: NodeJS.Timeout | undefined;
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        socket.destroy();
        reject(new IpcError('ETIMEDOUT', `no connection to ${where} within ${timeout} ms`, { path: where, syscall: 'connect' }));
      }, timeout);
    }
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      const wrapped = fromNodeError(error, { path: where });
      reject(wrapped.code === 'ENOENT' ? recode(wrapped, 'ENOENT', `nobody serves ${where}`, where) : wrapped);
    });
  });
}
