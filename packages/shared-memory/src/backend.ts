/** An open OS object: a Windows HANDLE or a POSIX file descriptor. */
export type OsHandle = number | bigint;

/** One mapped view, as the OS gave it. */
export interface Mapping {
  /** The whole mapping, starting at the aligned offset (koffi pointer). */
  readonly base: unknown;
  /** Length of the whole mapping in bytes. */
  readonly mapLength: number;
  /** The mapping as an ArrayBuffer (never handed to users when read-only). */
  readonly buffer: ArrayBuffer;
  /** Where the caller's offset starts inside `buffer` (offset minus the aligned offset). */
  readonly delta: number;
}

/** What the region code asks of the OS; one implementation per OS (windows.ts, posix.ts). */
export interface ShmBackend {
  /** View offsets must be multiples of this: 64 KiB on Windows, the page size on POSIX. */
  granularity(): number;
  /** The OS object name for a user-given name (already checked by {@link checkRegionName}). */
  osName(name: string): string;
  /** Checks a native region name, throwing IpcError EINVAL; returns the OS name. */
  checkRegionName(name: string): string;
  /**
   * Creates `osName` of `size` bytes. With `exclusive`, an existing one gives
   * EADDRINUSE (after a stale one left by a dead ipckit creator is replaced);
   * otherwise an existing one is opened and `existed` is true.
   */
  create(osName: string, size: number, exclusive: boolean, options: CreateOptions): { handle: OsHandle; existed: boolean; size: number };
  /** Opens an existing object; ENOENT when missing, EACCES when it is not a region of ours (see {@link OpenOptions}). */
  open(osName: string, readOnly: boolean, options: OpenOptions): { handle: OsHandle; size: number };
  /** Opens (or creates) a file and makes it at least `size` bytes (0: keep its size). */
  openFile(path: string, size: number, readOnly: boolean, create: boolean, followSymlinks: boolean): { handle: OsHandle; size: number; existed: boolean };
  /**
   * Maps `length` bytes at `offset`, a multiple of {@link granularity}; returns
   * the base pointer and an ArrayBuffer over the mapped memory.
   */
  mapAligned(handle: OsHandle, offset: number, length: number, readOnly: boolean, path: string): { base: unknown; buffer: ArrayBuffer };
  /** Unmaps a view for good (munmap / UnmapViewOfFile); its ArrayBuffer is already detached. */
  unmap(mapping: Mapping): void;
  /**
   * The fallback when the view's ArrayBuffer cannot be detached. Unmaps a
   * view so that the memory range stays valid: private zero pages
   * take the view's place (MAP_FIXED on POSIX, VirtualAlloc on Windows), so a
   * stale ArrayBuffer reads zeros instead of faulting. Returns a function that
   * frees the placeholder, to call once the ArrayBuffer is garbage.
   */
  retire(mapping: Mapping): () => void;
  /** Writes a view's dirty pages back to the file (synchronously). */
  flush(mapping: Mapping, handle: OsHandle | undefined, path: string): void;
  /** Closes the handle or descriptor. */
  closeHandle(handle: OsHandle): void;
  /**
   * Forgets the name (POSIX shm_unlink and the ownership record); true when
   * a region was there. Windows: false, a no-op (the object goes with its
   * last handle).
   */
  unlink(osName: string): boolean;
  /**
   * Removes the region `osName` and its ownership record (POSIX) when the
   * record names an ipckit creator that is no longer running. The caller
   * vouches that the region is the kind it expects: it has it mapped and
   * has read its magic (connect, on a control region). Regions without a
   * record (a native program's) or with a live creator are never touched.
   * Returns true when it removed them. Windows: always false (mapping
   * objects go with their last handle, so nothing outlives a dead process).
   */
  removeIfOwnerDead(osName: string): boolean;
  /**
   * {@link removeIfOwnerDead} for a region the caller has not mapped: it
   * also requires the region to start with the u32 `magic` (little-endian),
   * reading it from the region, so another program's region under a name
   * of ours is never removed.
   */
  removeIfStale(osName: string, magic: number): boolean;
  /**
   * Removes every stale ipckit object whose OS name starts with `prefix` and
   * whose region starts with `magic`, as {@link removeIfStale} decides; returns
   * how many. Linux lists /dev/shm; elsewhere (and on Windows) it does nothing.
   */
  sweepStale(prefix: string, magic: number): number;
  /** This process's id. */
  pid(): number;
  /** Watches a process: `alive()` is false once it has exited. */
  watchProcess(pid: number): ProcessWatch;
  /** This thread's doorbell (see doorbell.ts), made on first use. */
  doorbell(): DoorbellBackend;
}

/**
 * A thread's doorbell (every JavaScript thread, main or worker, has its
 * own): what a peer rings to wake that thread's event loop directly, whatever
 * the number of channels. doorbell.ts holds the rules; the OS backends only
 * move the bytes.
 */
export interface DoorbellBackend {
  /** Which JavaScript thread this is (worker_threads.threadId; 0 for the main thread). */
  readonly thread: number;
  /**
   * Binds the doorbell; `onRing` gets the tokens rung (undefined: wake every
   * waiter). Idempotent. False when it cannot be bound (its name is taken):
   * then this thread never sleeps on a doorbell.
   */
  start(onRing: (tokens: readonly number[] | undefined) => void): boolean;
  /** Watches for rings on the event loop (which stays alive while it does). */
  resume(): void;
  /** Stops watching while nobody waits (the doorbell stays bound). */
  pause(): void;
  /**
   * Rings the doorbell of thread `thread` of process `pid` with `token`; false when it has none (gone, or never bound).
   * With `defer` (an asynchronous send or receive), a backend may queue the ring until the turn of the event loop ends
   * or {@link flush} (POSIX does, after a turn's first to the same thread); without, it rings at once.
   */
  ring(pid: number, thread: number, token: number, defer?: boolean): boolean;
  /** Sends the rings queued so far, before this thread spins or blocks. */
  flush(): void;
  /** Lets go of what ring() keeps open to the doorbells of process `pid` (its connections or event handles). */
  forget(pid: number): void;
}
/** How an existing region may be opened. */
export interface OpenOptions {
  /**
   * POSIX: also open a region another user owns (deliberate sharing between
   * users). By default such a region is refused with EACCES: its owner could
   * read what is written, or truncate it under the mapping.
   */
  allowOtherOwner: boolean;
}

/** How a region is created (and, when `exclusive` is false, opened). */
export interface CreateOptions extends OpenOptions {
  /**
   * POSIX: the region is kept on purpose (unlinkOnClose: false). Its
   * ownership record says so, and a kept region is never taken for a crashed
   * creator's leftovers: it is never replaced or swept.
   */
  keep: boolean;
}

/** A cheap, repeatable liveness check of one process. */
export interface ProcessWatch {
  alive(): boolean;
  /**
   * Calls `callback` (once, on the event loop) when the OS says the process
   * exited, so that its death is known at once rather than at the next
   * check of {@link alive}. Linux: a pidfd watched by the event loop (Linux
   * 5.3+; older kernels only poll). Windows: the process handle, waited on by
   * a native thread. Where neither works, nothing is called: callers poll too.
   */
  onExit(callback: () => void): void;
  /** Stops watching (and calling back). */
  close(): void;
}
