import { lstat, unlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { IpcError } from '@ipckit/core';
import { fromNodeError, recode } from '@ipckit/core/kit';
import { checkPrivateDirectory, ensurePrivateDirectory, runtimeDirectory, socketPath } from '@ipckit/sys';
import { peerCredentials } from '@ipckit/sys/posix';
import type { PipeBackend } from './backend.js';

/**
 * True unless the socket at `path` is provably dead: only ECONNREFUSED means
 * nobody is bound there any more. Any other failure (EPROTOTYPE: a live
 * socket of another type, EACCES, ...) counts as live, so we never delete it.
 */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'ECONNREFUSED'));
  });
}

/** The descriptor under an accepted node:net socket (libuv's handle keeps it as `fd`), if it has one. */
function descriptorOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Unix domain sockets (SOCK_STREAM) through node:net, in the per-user directory. */
export const posixBackend: PipeBackend = {
  pathFor(name: string): string {
    return socketPath(runtimeDirectory(), name);
  },
  async prepareListen(path: string): Promise<void> {
    await ensurePrivateDirectory(dirname(path));
  },
  async prepareConnect(path: string): Promise<void> {
    // Issue 12, item 4: without XDG_RUNTIME_DIR the directory is <tmpdir>/ipckit-<uid>, and
    // another user can make it first and serve our names in it. Connect checks it as listen does.
    const dir = dirname(path);
    try {
      await checkPrivateDirectory(dir);
    } catch (error) {
      if (error instanceof IpcError && error.code === 'ENOENT')
        throw recode(error, 'ENOENT', `nobody serves the pipe ${path} (no socket directory ${dir})`, path);
      throw error;
    }
  },
  async reclaimStale(path: string): Promise<boolean> {
    const info = await lstat(path).catch(() => undefined);
    // Only ever remove a socket file; anything else at that path is not ours to delete.
    if (!info?.isSocket()) return false;
    if (await answers(path)) return false;
    await unlink(path).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'ENOENT') throw fromNodeError(error, { path });
    });
    return true;
  },
  peerOf(socket: Socket): string | undefined {
    const fd = descriptorOf(socket);
    if (fd === undefined) return undefined;
    try {
      const { pid } = peerCredentials(fd);
      // Connections from this very process are not a flood from outside (and a program
      // that fills its own backlog should get all of it): they are not capped.
      return pid === process.pid ? undefined : `pid:${pid}`;
    } catch {
      // A peer already gone (ENOTCONN): no share to count it against; it closes at once anyway.
      return undefined;
    }
  },
};
