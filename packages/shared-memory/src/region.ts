/**
 * Named shared-memory regions: create, open, open-or-create, file-backed
 * mappings, views at any offset, typed struct access, and a close that never
 * leaves a way to crash the process.
 */
import { detach, requireNative, type Waiter } from '@ipckit/native';
import { IpcError } from '@ipckit/core';
import { validateInteger, validateSignal } from '@ipckit/core/kit';
import { backendLoader } from '@ipckit/sys';
import type { Mapping, OsHandle, ShmBackend } from './backend.js';
import type { StructLayout } from './layout.js';
import { checkWaitTimeout, checkWakeCount, checkWordOffset, checkWordValue, openWord, waitResult, type RegionWaitResult, type WordAt } from './region-wait.js';
import { flushRings } from './doorbell.js';

export type { RegionWaitResult } from './region-wait.js';

/**
 * This OS's backend, loaded on first use so the other OS's code never loads.
 * Every region and channel starts here, so @ipckit/native is checked here
 * first: where it cannot load, this throws ENOTSUP (with the paths tried)
 * before anything is created that could then not be closed.
 */
export const shmBackend = backendLoader<ShmBackend>({
  win32: async () => (requireNative('shared memory (shm:// and regions)'), (await import('./windows.js')).windowsBackend),
  posix: async () => (requireNative('shared memory (shm:// and regions)'), (await import('./posix.js')).posixBackend),
});

/**
 * Maps `length` bytes at any `offset`: the OS maps from the offset rounded
 * down to the backend's granularity (64 KiB on Windows, the page on POSIX),
 * and `delta` says where the caller's bytes start in the mapping.
 */
function mapView(backend: ShmBackend, handle: OsHandle, offset: number, length: number, readOnly: boolean, path: string): Mapping {
  const granularity = backend.granularity();
  const aligned = Math.floor(offset / granularity) * granularity;
  const delta = offset - aligned;
  const mapLength = length + delta;
  return { ...backend.mapAligned(handle, aligned, mapLength, readOnly, path), mapLength, delta };
}

/** The largest region or view this package maps: 1 TiB (views over 4 GiB need a 64-bit ArrayBuffer length). */
export const MAX_REGION_BYTES = 2 ** 40;

/** Options for {@link createRegion} and {@link openOrCreateRegion}. */
export interface CreateRegionOptions {
  /**
   * Forget the name when this region is closed (POSIX shm_unlink), if this
   * process created it. Default true. With false the region is kept on
   * purpose: it outlives its creator, even one that crashes, and is never
   * replaced or swept as a crashed creator's leftovers; remove it with
   * {@link unlinkRegion}. Windows objects go with their last handle anyway.
   */
  unlinkOnClose?: boolean;
  /** See {@link OpenRegionOptions.allowOtherOwner} (openOrCreateRegion, when the region exists). */
  allowOtherOwner?: boolean;
}

/** Options for {@link openRegion}. */
export interface OpenRegionOptions {
  /** Map for reading only. The memory is then only reachable through copying read methods. */
  readOnly?: boolean;
  /**
   * Also open a region another user owns, for deliberate sharing between
   * users. By default such a region is refused with EACCES: its owner can
   * read everything written to it and can truncate it under the mapping.
   *
   * Platform-specific behaviour: POSIX only (the file owner of the shm
   * object). On Windows access is decided by the object's security
   * descriptor when it is opened.
   */
  allowOtherOwner?: boolean;
  /**
   * Wait up to this many milliseconds for the region to be created, instead
   * of failing with ENOENT at once (ETIMEDOUT when it is still missing).
   */
  waitMs?: number;
  /** Aborting it ends the wait with ECANCELED. */
  signal?: AbortSignal;
}

/** Options for {@link openFileRegion}. */
export interface FileRegionOptions extends Pick<OpenRegionOptions, 'readOnly'> {
  /**
   * Follow a symbolic link at `path`. Default false: a link is refused with
   * EACCES, so a link planted in a shared directory (/tmp) cannot redirect
   * the mapping, and its growth, to a file of yours.
   *
   * Platform-specific behaviour: POSIX (O_NOFOLLOW). Windows follows links
   * (planting one there needs a privilege).
   */
  followSymlinks?: boolean;
  /** Grow the file to at least this many bytes (never shrinks it). Default: its current size. */
  size?: number;
  /** Create the file (mode 0600 on POSIX) when it does not exist. Default false. */
  create?: boolean;
}

/** Frees placeholders once the ArrayBuffers over them are garbage (see ShmBackend.retire; the fallback only). */
const placeholders = new FinalizationRegistry<() => void>((free) => free());

function closedError(what: string): IpcError {
  return new IpcError('ECLOSED', `this ${what} is closed`);
}

/**
 * A mapped window onto a region. All methods throw IpcError ECLOSED after
 * {@link close}. Read-only views never hand out their memory (a write there
 * would be a SIGSEGV / access violation): read them with the copying methods.
 */
export class SharedView {
  #mapping: Mapping | undefined;
  #data: DataView | undefined;
  #bytes: Uint8Array | undefined;
  readonly #backend: ShmBackend;
  readonly #label: string;
  readonly #handle: OsHandle | undefined;
  /** Waits in progress on words of this view: closed (so they end) before the memory is unmapped. */
  readonly #waiters = new Set<Waiter>();
  /** Offset of this view in the region, in bytes. */
  readonly offset: number;
  /** Length of this view in bytes. */
  readonly length: number;
  /** True when the view was mapped read-only. */
  readonly readOnly: boolean;

  /** @internal */
  constructor(
    backend: ShmBackend,
    mapping: Mapping | undefined,
    offset: number,
    length: number,
    readOnly: boolean,
    label: string,
    handle: OsHandle | undefined,
  ) {
    this.#backend = backend;
    this.#mapping = mapping;
    this.offset = offset;
    this.length = length;
    this.readOnly = readOnly;
    this.#label = label;
    this.#handle = handle;
    if (mapping) {
      this.#data = new DataView(mapping.buffer, mapping.delta, length);
      this.#bytes = new Uint8Array(mapping.buffer, mapping.delta, length);
    }
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closedFlag;
  }

  #closedFlag = false;

  #checkOpen(): void {
    if (this.#closedFlag) throw closedError('view');
  }

  #range(offset: number, length: number): void {
    validateInteger(offset, 'offset', 0, this.length);
    validateInteger(length, 'length', 0, this.length - offset);
  }

  /**
   * The view's memory, shared with every process that maps the region: writes
   * are seen by them at once. Valid until {@link close}: close detaches the
   * ArrayBuffer, so this array (and every other view of `bytes.buffer`) then
   * has length 0, reads `undefined` and writes nothing, and the memory is
   * unmapped. Throws EACCES for a read-only view.
   */
  get bytes(): Uint8Array {
    this.#checkOpen();
    if (this.readOnly) throw new IpcError('EACCES', 'a read-only view does not hand out its memory (a write would crash the process); use read()');
    return this.#bytes ?? new Uint8Array(0);
  }

  /** Copies `length` bytes at `offset` (default: to the end) out of the view. */
  read(offset = 0, length = this.length - offset): Uint8Array {
    this.#checkOpen();
    this.#range(offset, length);
    return (this.#bytes ?? new Uint8Array(0)).slice(offset, offset + length);
  }

  /** Copies `data` into the view at `offset`. EACCES on a read-only view. */
  write(data: Uint8Array, offset = 0): void {
    this.#checkOpen();
    if (this.readOnly) throw new IpcError('EACCES', 'this view is read-only');
    if (!(data instanceof Uint8Array)) throw new IpcError('EINVAL', 'data must be a Uint8Array');
    this.#range(offset, data.length);
    this.#bytes?.set(data, offset);
  }

  /** Reads a C struct at `offset`. */
  readStruct<V>(layout: StructLayout<V>, offset = 0): V {
    this.#checkOpen();
    this.#range(offset, layout.size);
    return layout.read(this.#data as DataView, offset);
  }

  /** Writes a C struct at `offset`; fields left out are zero. EACCES on a read-only view. */
  writeStruct<V>(layout: StructLayout<V>, value: Partial<V>, offset = 0): void {
    this.#checkOpen();
    if (this.readOnly) throw new IpcError('EACCES', 'this view is read-only');
    this.#range(offset, layout.size);
    layout.write(this.#data as DataView, value, offset);
  }

  /** The memory of the 32-bit word at `offset` (checked: EINVAL), for the native wait. */
  #word(offset: unknown): WordAt {
    this.#checkOpen();
    const at = checkWordOffset(offset, this.length, this.offset);
    const mapping = this.#mapping;
    if (mapping === undefined) throw new IpcError('EINVAL', 'this view has no memory to wait on');
    return { buffer: mapping.buffer, byteOffset: mapping.delta + at, regionOffset: this.offset + at };
  }

  /**
   * Waits, without blocking the event loop, while the 32-bit word at
   * `offset` holds `value`, until another process (or this one) calls
   * {@link notify} on it, or `timeoutMs` passes (default: no limit). Like
   * `Atomics.waitAsync`: `'not-equal'` at once when the word does not hold
   * `value`, `'ok'` when woken, `'timed-out'`. Re-read the word after
   * `'ok'`: a wake may be spurious. The word must be 4-byte aligned in the
   * region (EINVAL otherwise, or for a `value` that is not a 32-bit integer);
   * closing the view while waiting rejects with ECLOSED.
   *
   * `Atomics.wait` itself cannot be used on region memory: it is an
   * ArrayBuffer over a mapping, not a SharedArrayBuffer, so it throws.
   *
   * ## Platform-specific behaviour
   * - Linux: FUTEX_WAIT on the word (shared futex: it works across
   *   processes); each pending wait sleeps on a background thread.
   * - Windows: the sleep is on a named auto-reset event derived from the
   *   region's name and the offset; {@link notify} then wakes one waiter per
   *   call whatever `count` is, and a notify that found nobody asleep makes
   *   the next wait return `'ok'` at once (a spurious wake). Every process must
   *   open the region under the same name for their waits to meet.
   */
  async waitAsync(offset: number, value: number, timeoutMs?: number): Promise<RegionWaitResult> {
    const word = this.#word(offset);
    const expected = checkWordValue(value);
    const timeout = checkWaitTimeout(timeoutMs);
    const waiter = openWord(word, this.#label);
    this.#waiters.add(waiter);
    try {
      return waitResult(await waiter.wait(expected, timeout));
    } finally {
      this.#waiters.delete(waiter);
      waiter.close();
    }
  }

  /**
   * {@link waitAsync} that blocks the calling thread until it ends: for
   * worker threads (never the main thread of a server). The same results,
   * checks and platform notes.
   */
  waitSync(offset: number, value: number, timeoutMs?: number): RegionWaitResult {
    const word = this.#word(offset);
    const expected = checkWordValue(value);
    const timeout = checkWaitTimeout(timeoutMs);
    const waiter = openWord(word, this.#label);
    try {
      flushRings();
      return waitResult(waiter.waitSync(expected, timeout));
    } finally {
      waiter.close();
    }
  }

  /**
   * Wakes up to `count` waiters (default: all) sleeping in
   * {@link waitAsync} / {@link waitSync} on the 32-bit word at `offset`, in
   * any process that maps the region. Store the new value in the word first
   * (e.g. `Atomics.store` on an Int32Array over {@link bytes}), then notify:
   * a waiter that has not yet slept sees the new value and returns
   * `'not-equal'`, so no wake-up is lost. EINVAL for a bad offset or count.
   *
   * Platform-specific behaviour: Linux FUTEX_WAKE (up to `count`); Windows
   * wakes one waiter per call (see {@link waitAsync}).
   */
  notify(offset: number, count: number = Infinity): void {
    const word = this.#word(offset);
    const wake = checkWakeCount(count);
    const waiter = openWord(word, this.#label);
    try {
      waiter.wake(wake);
    } finally {
      waiter.close();
    }
  }

  /**
   * Writes the view's changes back to the backing file now (msync MS_SYNC;
   * FlushViewOfFile + FlushFileBuffers). For paging-file regions it is harmless.
   */
  flush(): void {
    this.#checkOpen();
    if (this.#mapping) this.#backend.flush(this.#mapping, this.#handle, this.#label);
  }

  /**
   * Unmaps the view. Idempotent. Every ArrayBuffer and typed array handed
   * out over it is detached first (length 0 afterwards), so nothing can
   * touch the unmapped memory. Should V8 ever refuse to detach it, the
   * shared pages are swapped for private zero pages instead (see
   * ShmBackend.retire), freed once the ArrayBuffer is garbage.
   */
  close(): void {
    if (this.#closedFlag) return;
    this.#closedFlag = true;
    // Waits on this memory end (ECLOSED) before it goes away.
    for (const waiter of this.#waiters) waiter.close();
    this.#waiters.clear();
    const mapping = this.#mapping;
    this.#mapping = undefined;
    this.#data = undefined;
    this.#bytes = undefined;
    if (mapping) {
      if (detach(mapping.buffer)) {
        this.#backend.unmap(mapping);
      } else {
        placeholders.register(mapping.buffer, this.#backend.retire(mapping));
      }
    }
  }
}

/** How a region was obtained. */
export type RegionOrigin = 'created' | 'opened' | 'file';

/**
 * A named shared-memory region, mapped whole. Its own read/write/struct
 * methods cover the whole region; {@link view} maps a window at any offset.
 *
 * ## Platform-specific behaviour
 * - Windows: a file mapping object (`CreateFileMappingW` on the paging file).
 *   It exists while any process holds a handle or a view; names may carry
 *   `Local\` (this session, the default) or `Global\` (all sessions; needs
 *   SeCreateGlobalPrivilege to create). The size of an opened region is
 *   rounded up to the page size (Windows does not report the exact size).
 * - POSIX: a `shm_open` object (a file in /dev/shm on Linux), mode 0600. It
 *   exists until unlinked: the creator unlinks it on close (unless
 *   `unlinkOnClose: false`). A leading `/` is added when missing.
 */
export class SharedRegion extends SharedView {
  readonly #backend: ShmBackend;
  readonly #handle: OsHandle;
  readonly #views = new Set<SharedView>();
  #unlink: boolean;
  #open = true;
  /** The name as given. */
  readonly name: string;
  /** The OS object name (e.g. `/x` on POSIX) or file path. */
  readonly path: string;
  /** The region's size in bytes. */
  readonly size: number;
  /** True when the name already existed (openOrCreate), or was opened. */
  readonly existed: boolean;
  /** How this region was obtained. */
  readonly origin: RegionOrigin;

  /** @internal */
  constructor(
    backend: ShmBackend,
    init: { name: string; path: string; handle: OsHandle; size: number; existed: boolean; origin: RegionOrigin; readOnly: boolean; unlink: boolean },
  ) {
    let mapping: Mapping | undefined;
    try {
      mapping = init.size > 0 ? mapView(backend, init.handle, 0, init.size, init.readOnly, init.path) : undefined;
    } catch (error) {
      backend.closeHandle(init.handle);
      if (init.unlink) backend.unlink(init.path);
      throw error;
    }
    super(backend, mapping, 0, init.size, init.readOnly, init.path, init.handle);
    this.#backend = backend;
    this.#handle = init.handle;
    this.#unlink = init.unlink;
    this.name = init.name;
    this.path = init.path;
    this.size = init.size;
    this.existed = init.existed;
    this.origin = init.origin;
  }

  /**
   * Maps `length` bytes at `offset` (any offset: the library aligns the
   * mapping to the OS granularity, 64 KiB on Windows or the page size on
   * POSIX, and hides the difference). Read-only when the region is, or when asked.
   */
  view(offset: number, length: number, options: { readOnly?: boolean } = {}): SharedView {
    if (!this.#open) throw closedError('region');
    validateInteger(offset, 'offset', 0, this.size);
    validateInteger(length, 'length', 1, this.size - offset);
    const readOnly = this.readOnly || options.readOnly === true;
    const mapping = mapView(this.#backend, this.#handle, offset, length, readOnly, this.path);
    const view = new SharedView(this.#backend, mapping, offset, length, readOnly, this.path, this.#handle);
    this.#views.add(view);
    return view;
  }

  /**
   * Unmaps the region and every view made from it, closes the handle, and
   * (POSIX, creator, `unlinkOnClose`) unlinks the name. Idempotent.
   */
  /** @internal Closes like {@link close} but leaves the name (POSIX) for another process to unlink. */
  closeKeepingName(): void {
    this.#unlink = false;
    this.close();
  }

  override close(): void {
    if (!this.#open) return;
    this.#open = false;
    for (const view of this.#views) view.close();
    this.#views.clear();
    super.close();
    this.#backend.closeHandle(this.#handle);
    if (this.#unlink) this.#backend.unlink(this.path);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function checkSize(size: unknown): number {
  return validateInteger(size, 'size', 1, MAX_REGION_BYTES);
}

async function prepare(name: string): Promise<{ backend: ShmBackend; path: string }> {
  const backend = await shmBackend();
  return { backend, path: backend.checkRegionName(name) };
}

/**
 * Creates the region `name` of `size` bytes; IpcError EADDRINUSE when it
 * exists. On POSIX a region left by an ipckit creator that has died is
 * replaced (fresh, zeroed), never reused.
 */
export async function createRegion(name: string, size: number, options: CreateRegionOptions = {}): Promise<SharedRegion> {
  checkSize(size);
  const { backend, path } = await prepare(name);
  return createRegionAt(backend, path, size, name, options.unlinkOnClose !== false);
}

/**
 * Opens the existing region `name` (made by ipckit or any native program);
 * IpcError ENOENT when missing (or, with `waitMs`, ETIMEDOUT once it stayed
 * missing that long), EACCES when another user owns it (see
 * {@link OpenRegionOptions.allowOtherOwner}) or it is not a shared memory object.
 */
export async function openRegion(name: string, options: OpenRegionOptions = {}): Promise<SharedRegion> {
  const waitMs = options.waitMs === undefined ? 0 : validateInteger(options.waitMs, 'waitMs', 0, 2 ** 31 - 1);
  const signal = options.signal === undefined ? undefined : validateSignal(options.signal);
  const { backend, path } = await prepare(name);
  const open = (): SharedRegion => openRegionAt(backend, path, name, options.readOnly === true, options.allowOtherOwner === true);
  if (waitMs === 0 && signal === undefined) return open();
  const deadline = performance.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return open();
    } catch (error) {
      if (!(error instanceof IpcError && error.code === 'ENOENT')) throw error;
      if (signal?.aborted) throw new IpcError('ECANCELED', `waiting for the region ${path} was aborted`, { path, cause: signal.reason });
      const left = deadline - performance.now();
      if (left <= 0) throw new IpcError('ETIMEDOUT', `no shared memory region ${path} appeared within ${waitMs} ms`, { path, cause: error });
      await abortableSleep(Math.min(pause, left), signal);
    }
  }
}

/** Sleeps `ms`, or less when `signal` aborts first. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Removes the name `name`: a later open fails with ENOENT and a create makes
 * a new region; processes that have the region mapped keep it until they
 * close it. True when a region of that name was there. Use it for a region
 * kept with `unlinkOnClose: false`, or one a native program left.
 *
 * Platform-specific behaviour: POSIX shm_unlink (and ipckit's ownership
 * record). On Windows a file mapping has no name to remove: it goes when its
 * last handle closes; this returns false and does nothing.
 */
export async function unlinkRegion(name: string): Promise<boolean> {
  const { backend, path } = await prepare(name);
  return backend.unlink(path);
}

/**
 * @internal {@link createRegion} by OS name (`path`, already checked or
 * derived by the backend), for the transport, which checks its channel
 * names once and derives every OS name itself.
 */
export function createRegionAt(backend: ShmBackend, path: string, size: number, name = path, unlink = true): SharedRegion {
  const made = backend.create(path, size, true, { keep: !unlink, allowOtherOwner: false });
  return new SharedRegion(backend, { name, path, handle: made.handle, size: made.size, existed: false, origin: 'created', readOnly: false, unlink });
}

/** @internal {@link openRegion} by OS name (`path`, already checked or derived by the backend). */
export function openRegionAt(backend: ShmBackend, path: string, name = path, readOnly = false, allowOtherOwner = false): SharedRegion {
  const opened = backend.open(path, readOnly, { allowOtherOwner });
  return new SharedRegion(backend, { name, path, handle: opened.handle, size: opened.size, existed: true, origin: 'opened', readOnly, unlink: false });
}

/**
 * Opens `name`, or creates it with `size` bytes. `existed` says which. An
 * existing region keeps its own size (which may differ from `size`).
 */
export async function openOrCreateRegion(name: string, size: number, options: CreateRegionOptions = {}): Promise<SharedRegion> {
  checkSize(size);
  const { backend, path } = await prepare(name);
  const made = backend.create(path, size, false, { keep: options.unlinkOnClose === false, allowOtherOwner: options.allowOtherOwner === true });
  return new SharedRegion(backend, {
    name,
    path,
    handle: made.handle,
    size: made.size,
    existed: made.existed,
    origin: made.existed ? 'opened' : 'created',
    readOnly: false,
    unlink: !made.existed && options.unlinkOnClose !== false,
  });
}

/**
 * Maps a file on disk, growing it to `size` when asked. Changes reach the
 * file (call {@link SharedView.flush} to force them to disk now).
 */
export async function openFileRegion(path: string, options: FileRegionOptions = {}): Promise<SharedRegion> {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) throw new IpcError('EINVAL', 'path must be a non-empty string without NUL');
  const size = options.size === undefined ? 0 : checkSize(options.size);
  const backend = await shmBackend();
  const readOnly = options.readOnly === true;
  const opened = backend.openFile(path, size, readOnly, options.create === true, options.followSymlinks === true);
  return new SharedRegion(backend, {
    name: path,
    path,
    handle: opened.handle,
    size: opened.size,
    existed: opened.existed,
    origin: 'file',
    readOnly,
    unlink: false,
  });
}

/** The granularity view offsets are aligned to on this OS (loads the backend). */
export async function viewGranularity(): Promise<number> {
  return (await shmBackend()).granularity();
}
