import type { Socket } from 'node:net';

/** What differs between Windows named pipes and Unix domain sockets; one implementation per OS (windows.ts, posix.ts). */
export interface PipeBackend {
  /**
   * The full OS path for a valid name. Throws IpcError EINVAL, before any
   * syscall, when the path would be over the OS limit (never truncated).
   */
  pathFor(name: string): string;
  /** Gets the place for `path` ready before listening (POSIX: the owner-only directory). */
  prepareListen(path: string): Promise<void>;
  /**
   * Checks, before connecting to `path`, that what serves it can be trusted
   * as much as listen demands (POSIX: the socket directory is a real
   * directory of this user's, closed to others, else IpcError EACCES; ENOENT
   * when it does not exist). Windows: nothing to check.
   */
  prepareConnect(path: string): Promise<void>;
  /**
   * Called when listening on `path` failed with EADDRINUSE. Returns true when
   * what held the name was a stale leftover, now removed, so listening can be
   * tried again; false when a live server holds it.
   */
  reclaimStale(path: string): Promise<boolean>;
  /**
   * Who is at the other end of an accepted socket, for the per-peer share of
   * the backlog (Rule 5): on POSIX the peer's process (SO_PEERCRED's pid);
   * undefined when it cannot be told, and for this process itself (not capped).
   *
   * Platform-specific behaviour: on Windows the backlog has no per-peer
   * share: GetNamedPipeClientProcessId would name the client, but libuv owns
   * the server's pipe instance and Node gives JavaScript no handle to it.
   */
  peerOf?(socket: Socket): string | undefined;
}
