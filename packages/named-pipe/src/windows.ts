import { IpcError } from '@ipckit/core';
import type { PipeBackend } from './backend.js';

/** `\\.\pipe\` — the local pipe namespace. */
const PIPE_PREFIX = '\\\\.\\pipe\\';

/**
 * "The entire pipe name string can be up to 256 characters long"
 * (CreateNamedPipeW, https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-createnamedpipew).
 */
const MAX_PIPE_PATH_CHARS = 256;

/**
 * Windows named pipes through node:net (libuv). libuv creates the first
 * instance with FILE_FLAG_FIRST_PIPE_INSTANCE, so a name another process
 * already holds fails with EADDRINUSE instead of being shared; pipe objects
 * vanish with their last handle, so there is never a stale leftover.
 */
export const windowsBackend: PipeBackend = {
  backend: 'win32',
  primitive: 'Windows named pipe (\\\\.\\pipe\\, byte mode, via libuv)',
  pathFor(name: string): string {
    const path = PIPE_PREFIX + name;
    if (path.length > MAX_PIPE_PATH_CHARS) {
      throw new IpcError('EINVAL', `pipe path ${path} is ${path.length} characters; Windows allows ${MAX_PIPE_PATH_CHARS}`, { path });
    }
    return path;
  },
  async prepareListen(): Promise<void> {},
  async reclaimStale(): Promise<boolean> {
    return false;
  },
};
