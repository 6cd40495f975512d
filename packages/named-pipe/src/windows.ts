import { IpcError } from '@ipckit/core';
import { ERROR_FILE_NOT_FOUND, kernel32 } from '@ipckit/sys/win32';
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
 *
 * Before listening we also ask WaitNamedPipeW whether the name exists: it
 * opens no connection, so a live server sees nothing. This makes the refusal
 * hold where FILE_FLAG_FIRST_PIPE_INSTANCE is not enforced (Wine 8 ignores
 * it); on Windows the flag still closes the race between check and create.
 */
export const windowsBackend: PipeBackend = {
  pathFor(name: string): string {
    const path = PIPE_PREFIX + name;
    if (path.length > MAX_PIPE_PATH_CHARS) {
      throw new IpcError('EINVAL', `pipe path ${path} is ${path.length} characters; Windows allows ${MAX_PIPE_PATH_CHARS}`, { path });
    }
    return path;
  },
  async prepareListen(path: string): Promise<void> {
    // Non-zero: an instance is free. ERROR_SEM_TIMEOUT: it exists, all instances busy.
    // Only ERROR_FILE_NOT_FOUND means nobody serves the name.
    const k = kernel32();
    if (k.WaitNamedPipeW(path, 1) !== 0 || k.GetLastError() !== ERROR_FILE_NOT_FOUND) {
      throw new IpcError('EADDRINUSE', `pipe ${path} is already served by a running process`, { path, syscall: 'WaitNamedPipeW' });
    }
  },
  async prepareConnect(): Promise<void> {
    // The pipe namespace is the kernel's: no directory that another user could make first.
  },
  async reclaimStale(): Promise<boolean> {
    return false;
  },
};
