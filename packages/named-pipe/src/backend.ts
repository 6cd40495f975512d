import type { Backend } from '@ipckit/core';

/** What differs between Windows named pipes and Unix domain sockets; one implementation per OS. */
export interface PipeBackend {
  readonly backend: Backend;
  /** The OS primitive, in words, for Capabilities. */
  readonly primitive: string;
  /**
   * The full OS path for a valid name. Throws IpcError EINVAL, before any
   * syscall, when the path would be over the OS limit (never truncated).
   */
  pathFor(name: string): string;
  /** Gets the place for `path` ready before listening (POSIX: the owner-only directory). */
  prepareListen(path: string): Promise<void>;
  /**
   * Called when listening on `path` failed with EADDRINUSE. Returns true when
   * what held the name was a stale leftover, now removed, so listening can be
   * tried again; false when a live server holds it.
   */
  reclaimStale(path: string): Promise<boolean>;
}

let selected: PipeBackend | undefined;

/** The backend for this OS, loaded on first use so the other OS's code never loads. */
export async function pipeBackend(): Promise<PipeBackend> {
  selected ??= process.platform === 'win32'
    ? (await import('./windows.js')).windowsBackend
    : (await import('./posix.js')).posixBackend;
  return selected;
}

/** The backend's kind without loading it (for Capabilities). */
export const BACKEND: Backend = process.platform === 'win32' ? 'win32' : 'posix';
