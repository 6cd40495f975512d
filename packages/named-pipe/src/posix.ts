import { lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpcError, fromNodeError } from '@ipckit/core';
import type { PipeBackend } from './backend.js';

/**
 * sun_path holds 108 bytes on Linux (104 on macOS and the BSDs), NUL included.
 * See unix(7). We use the smaller so a path valid here is valid everywhere.
 */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * The per-user directory for socket files: `$XDG_RUNTIME_DIR/ipckit` (already
 * private to the user, see the XDG Base Directory spec), else
 * `<tmpdir>/ipckit-<uid>`. Created with mode 0700.
 */
export function socketDirectory(): string {
  const runtime = process.env['XDG_RUNTIME_DIR'];
  if (runtime && runtime.startsWith('/')) return join(runtime, 'ipckit');
  return join(tmpdir(), `ipckit-${process.getuid?.() ?? 'user'}`);
}

/**
 * Makes sure the socket directory exists, is a real directory (not a symlink
 * someone planted in a shared temp dir), is ours, and is closed to others.
 * Throws IpcError EACCES otherwise: we never put sockets where others could
 * swap or read them.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw fromNodeError(error, { path: dir });
  }
  const info = await lstat(dir).catch((error: unknown) => {
    throw fromNodeError(error, { path: dir });
  });
  const uid = process.getuid?.();
  if (!info.isDirectory()) {
    throw new IpcError('EACCES', `${dir} is not a directory (a symlink or file is in its place); refusing to use it`, { path: dir, syscall: 'lstat' });
  }
  if (uid !== undefined && info.uid !== uid) {
    throw new IpcError('EACCES', `${dir} belongs to uid ${info.uid}, not to us (uid ${uid}); refusing to use it`, { path: dir, syscall: 'lstat' });
  }
  if ((info.mode & 0o077) !== 0) {
    throw new IpcError('EACCES', `${dir} is open to other users (mode ${(info.mode & 0o777).toString(8)}); it must be 0700`, { path: dir, syscall: 'lstat' });
  }
}

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

/** Unix domain sockets (SOCK_STREAM) through node:net, in the per-user directory. */
export const posixBackend: PipeBackend = {
  backend: 'posix',
  primitive: 'Unix domain socket (AF_UNIX, SOCK_STREAM, via libuv)',
  pathFor(name: string): string {
    const path = join(socketDirectory(), name);
    const bytes = Buffer.byteLength(path);
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      throw new IpcError('EINVAL', `socket path ${path} is ${bytes} bytes; the limit is ${MAX_SOCKET_PATH_BYTES} (sun_path); use a shorter name`, { path });
    }
    return path;
  },
  async prepareListen(path: string): Promise<void> {
    await ensurePrivateDirectory(join(path, '..'));
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
};
