/**
 * The per-user directory where ipckit puts POSIX socket files (pipe:// and
 * mailslot://), and the rules for paths inside it. Windows has no such
 * directory: its pipes and mailslots live in the kernel's namespaces.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpcError } from '@ipckit/core';
import { fromNodeError } from '@ipckit/core/kit';

/**
 * The longest socket path accepted, in bytes: sun_path holds 108 bytes on
 * Linux and 104 on macOS and the BSDs, NUL included (unix(7)). ipckit uses
 * the smaller, so a path valid here is valid on every POSIX system.
 */
export const MAX_SOCKET_PATH_BYTES = 103;

/**
 * The per-user directory for socket files: `$XDG_RUNTIME_DIR/ipckit` (already
 * private to the user, see the XDG Base Directory spec), else
 * `<tmpdir>/ipckit-<uid>`.
 */
export function runtimeDirectory(): string {
  const runtime = process.env['XDG_RUNTIME_DIR'];
  if (runtime && runtime.startsWith('/')) return join(runtime, 'ipckit');
  return join(tmpdir(), `ipckit-${process.getuid?.() ?? 'user'}`);
}

/**
 * `<dir>/<name>` as a socket path; throws IpcError EINVAL, before any
 * syscall, when it is over {@link MAX_SOCKET_PATH_BYTES} (never truncated).
 */
export function socketPath(dir: string, name: string): string {
  const path = join(dir, name);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new IpcError('EINVAL', `socket path ${path} is ${bytes} bytes; the limit is ${MAX_SOCKET_PATH_BYTES} (sun_path); use a shorter name`, { path });
  }
  return path;
}

/**
 * Checks that `dir` is a real directory (not a symlink someone planted in a
 * shared temp dir), owned by this user and closed to others (no group or
 * other permission bits). Throws IpcError EACCES otherwise, ENOENT when it
 * does not exist.
 */
export async function checkPrivateDirectory(dir: string): Promise<void> {
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
 * Makes `dir` (mode 0700) when it is missing, then checks it as
 * {@link checkPrivateDirectory} does: sockets never go where others could
 * swap or read them.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw fromNodeError(error, { path: dir });
  }
  await checkPrivateDirectory(dir);
}
