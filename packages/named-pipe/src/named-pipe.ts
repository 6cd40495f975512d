import { createServer, type Server, type Socket } from 'node:net';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  IpcError,
  type Capabilities,
  type Channel,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type Transport,
} from '@ipckit/core';
import {
  StreamChannel,
  StreamListener,
  backlogOption,
  checkWait,
  connectSocket,
  listenServer,
  maxMessageBytesOption,
  recode,
  streamLimitOptions,
  validateName,
  validateSignal,
} from '@ipckit/core/kit';
import { BACKEND, backendLoader, byBackend } from '@ipckit/sys';
import type { PipeBackend } from './backend.js';

/** This OS's backend, loaded on first use so the other OS's code never loads. */
const pipeBackend = backendLoader<PipeBackend>({
  win32: async () => (await import('./windows.js')).windowsBackend,
  posix: async () => (await import('./posix.js')).posixBackend,
});

/** Default largest message: 16 MiB. Raise it per listener/channel with `maxMessageBytes`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Longest name accepted before the OS path limit is even considered. */
const MAX_NAME_BYTES = 255;

/**
 * The full OS path a pipe name maps to: `\\.\pipe\<name>` on Windows,
 * `<per-user dir>/<name>` on POSIX. Throws IpcError EINVAL for a bad name.
 */
export async function pipePath(name: string): Promise<string> {
  validateName(name, { maxBytes: MAX_NAME_BYTES, label: 'pipe name' });
  return (await pipeBackend()).pathFor(name);
}

/**
 * Serves `name` as a raw byte-stream server (no framing), for programs that
 * frame their own way. A stale POSIX socket file (nobody answers) is
 * replaced; a live one gives IpcError EADDRINUSE.
 *
 * Platform-specific behaviour: on Windows the pipe is created by libuv with
 * FILE_FLAG_FIRST_PIPE_INSTANCE and the default security descriptor (full
 * control for the creator, SYSTEM and Administrators, read for Everyone);
 * on POSIX the socket lives in a 0700 per-user directory.
 */
export async function listenStream(name: string): Promise<{ server: Server; path: string }> {
  const path = await pipePath(name);
  const backend = await pipeBackend();
  await backend.prepareListen(path);
  for (let attempt = 0; ; attempt++) {
    const server = createServer();
    try {
      await listenServer(server, { path }, path);
      return { server, path };
    } catch (error) {
      if (attempt === 0 && error instanceof IpcError && error.code === 'EADDRINUSE' && (await backend.reclaimStale(path))) continue;
      if (error instanceof IpcError && error.code === 'EADDRINUSE') {
        throw recode(error, 'EADDRINUSE', `pipe ${path} is already served by a running process`, path);
      }
      throw error;
    }
  }
}

/**
 * Connects to `name` as a raw byte stream (no framing). Rejects with IpcError
 * ENOENT when nobody serves it, ETIMEDOUT after `options.timeoutMs` (default
 * DEFAULT_CONNECT_TIMEOUT_MS), ECANCELED when `options.signal` aborts.
 *
 * Platform-specific behaviour: on POSIX the socket directory is checked first,
 * as listen checks it: a directory that is a symlink, another user's, or open
 * to others gives EACCES and nothing is sent (without XDG_RUNTIME_DIR it is
 * `<tmpdir>/ipckit-<uid>`, which another user could make first). Windows pipe
 * names live in the kernel's namespace: nothing to check there.
 */
export async function connectStream(name: string, options?: ConnectOptions): Promise<Socket> {
  const path = await pipePath(name);
  const wait = checkWait(options, DEFAULT_CONNECT_TIMEOUT_MS);
  await (await pipeBackend()).prepareConnect(path);
  return connectSocket({ path }, `the pipe ${path}`, wait);
}

/** The named-pipe transport (`pipe://name`): framed messages over a duplex byte stream. */
export const transport: Transport = {
  scheme: 'pipe',
  capabilities: {
    scheme: 'pipe',
    duplex: true,
    messageBoundaries: false,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    manyWriters: true,
    crossesMachines: false,
    // Topics over its channels: @ipckit/core/kit's publishOverChannels (docs/topics.md).
    topics: true,
    primitive: byBackend({
      win32: 'Windows named pipe (\\\\.\\pipe\\, byte mode, via libuv)',
      posix: 'Unix domain socket (AF_UNIX, SOCK_STREAM, via libuv)',
    }),
    backend: BACKEND,
  } satisfies Capabilities,

  async listen(name: string, options?: ListenOptions): Promise<Listener> {
    const maxMessageBytes = maxMessageBytesOption(options, DEFAULT_MAX_MESSAGE_BYTES);
    const signal = validateSignal(options?.signal);
    const backlog = backlogOption(options);
    const limits = streamLimitOptions(options);
    const { server, path } = await listenStream(name);
    const backend = await pipeBackend();
    return new StreamListener(server, { name, path, maxMessageBytes, signal, backlog, ...limits, peerOf: backend.peerOf?.bind(backend) });
  },

  async connect(name: string, options?: ConnectOptions): Promise<Channel> {
    const maxMessageBytes = maxMessageBytesOption(options, DEFAULT_MAX_MESSAGE_BYTES);
    return new StreamChannel(await connectStream(name, options), maxMessageBytes);
  },
};
