/**
 * The Windows backend: CreateFileMappingW on the paging file
 * (INVALID_HANDLE_VALUE) or on a file, OpenFileMappingW, MapViewOfFile.
 * A mapping object lives while any process holds a handle or a view of it.
 */
import { IpcError } from '@ipckit/core';
import { win32ObjectName } from '@ipckit/sys';
import {
  CREATE_NEW,
  ERROR_ACCESS_DENIED,
  ERROR_ALREADY_EXISTS,
  ERROR_FILE_NOT_FOUND,
  FILE_ATTRIBUTE_NORMAL,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FILE_SHARE_DELETE,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  OPEN_EXISTING,
  PAGE_READONLY,
  PAGE_READWRITE,
  PROCESS_QUERY_LIMITED_INFORMATION,
  SYNCHRONIZE,
  WAIT_TIMEOUT,
  allocationGranularity,
  isBadHandle,
  isNull,
  kernel32,
  regionSize,
  viewOf,
  win32Error,
  type Handle,
} from '@ipckit/sys/win32';
import { SyncThread } from '@ipckit/native';
import type { OsHandle, ProcessWatch, ShmBackend } from './backend.js';
import { windowsDoorbell } from './windows-doorbell.js';

/** WaitForMultipleObjects takes at most 64 handles; the sync thread keeps one for its cancel event. */
const MAX_WAITED = 63;

/** One watched process: our own handle to it (SYNCHRONIZE) and who wants to hear of its exit. */
interface Exit {
  handle: Handle;
  callbacks: Set<() => void>;
}

/**
 * The exits of watched processes, waited for by one native thread (a
 * SyncThread in WaitForMultipleObjects on their handles), so a peer's death
 * is known as soon as Windows signals its process handle. Beyond 63
 * processes at once the rest are only polled (the channel's watchdog).
 */
class ExitWaiter {
  #thread: SyncThread | undefined;
  readonly #watched = new Map<number, Exit>();
  /** Handles to close once the thread no longer waits on them. */
  readonly #retired: Handle[] = [];
  #looping = false;

  /** Calls `callback` when process `pid` exits; returns what stops it. */
  add(pid: number, callback: () => void): () => void {
    let exit = this.#watched.get(pid);
    if (exit === undefined) {
      const handle = kernel32().OpenProcess(SYNCHRONIZE, 0, pid);
      if (isBadHandle(handle)) return () => undefined;
      exit = { handle, callbacks: new Set() };
      this.#watched.set(pid, exit);
      this.#changed();
    }
    const watched = exit;
    watched.callbacks.add(callback);
    return () => {
      if (!watched.callbacks.delete(callback) || watched.callbacks.size > 0 || this.#watched.get(pid) !== watched) return;
      this.#watched.delete(pid);
      this.#retired.push(watched.handle);
      this.#changed();
    };
  }

  /** The set changed: the wait in progress (if any) starts over with the new one. */
  #changed(): void {
    if (this.#looping) this.#thread?.cancel();
    else void this.#loop();
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    try {
      while (this.#watched.size > 0) {
        const entries = [...this.#watched].slice(0, MAX_WAITED);
        this.#thread ??= new SyncThread().unref();
        const outcome = await this.#thread.waitHandles(entries.map(([, exit]) => BigInt(exit.handle)));
        this.#closeRetired();
        if (outcome.result !== 'done' && outcome.result !== 'abandoned') continue;
        const [pid, exit] = entries[outcome.index]!;
        if (this.#watched.get(pid) !== exit) continue;
        this.#watched.delete(pid);
        kernel32().CloseHandle(exit.handle);
        for (const exited of [...exit.callbacks]) exited();
      }
    } finally {
      this.#looping = false;
      this.#closeRetired();
    }
  }

  #closeRetired(): void {
    for (const handle of this.#retired.splice(0)) kernel32().CloseHandle(handle);
  }
}

let exits: ExitWaiter | undefined;

/** File handles behind file-backed mapping handles (closed and flushed with them). */
const fileHandles = new Map<OsHandle, Handle>();
let granularityCache: number | undefined;

function high(n: number): number {
  return Math.floor(n / 0x1_0000_0000) >>> 0;
}

function low(n: number): number {
  return n >>> 0;
}

/** The size of a mapping object as seen through a whole view (rounded up to the page size). */
function mappingSize(handle: Handle, path: string): number {
  const k = kernel32();
  const ptr = k.MapViewOfFile(handle, FILE_MAP_READ, 0, 0, 0);
  if (isNull(ptr)) throw win32Error('MapViewOfFile', path);
  try {
    return regionSize(ptr);
  } finally {
    k.UnmapViewOfFile(ptr);
  }
}

export const windowsBackend: ShmBackend = {
  granularity(): number {
    return (granularityCache ??= allocationGranularity());
  },

  osName(name: string): string {
    return name;
  },

  checkRegionName(name: string): string {
    return win32ObjectName(name, 'region name');
  },

  create(osName, size, exclusive) {
    const k = kernel32();
    const handle = k.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, high(size), low(size), osName);
    if (isBadHandle(handle)) throw win32Error('CreateFileMappingW', osName);
    // Read at once: a successful call leaves ERROR_ALREADY_EXISTS when it opened an existing object.
    const existed = k.GetLastError() === ERROR_ALREADY_EXISTS;
    if (existed && exclusive) {
      k.CloseHandle(handle);
      throw new IpcError('EADDRINUSE', `file mapping ${osName} already exists`, {
        errno: ERROR_ALREADY_EXISTS,
        osCode: 'ERROR_ALREADY_EXISTS',
        syscall: 'CreateFileMappingW',
        path: osName,
      });
    }
    try {
      return { handle, existed, size: existed ? mappingSize(handle, osName) : size };
    } catch (error) {
      k.CloseHandle(handle);
      throw error;
    }
  },

  open(osName, readOnly) {
    const k = kernel32();
    const handle = k.OpenFileMappingW(readOnly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE, 0, osName);
    if (isBadHandle(handle)) {
      const error = win32Error('OpenFileMappingW', osName);
      if (error.errno === ERROR_FILE_NOT_FOUND)
        throw new IpcError('ENOENT', `no file mapping named ${osName}`, {
          errno: error.errno,
          osCode: error.osCode,
          syscall: 'OpenFileMappingW',
          path: osName,
        });
      throw error;
    }
    try {
      return { handle, size: mappingSize(handle, osName) };
    } catch (error) {
      k.CloseHandle(handle);
      throw error;
    }
  },

  // Windows: `followSymlinks` is not acted on: CreateFileW follows a symbolic link, and planting
  // one needs SeCreateSymbolicLinkPrivilege (or Developer Mode); docs/security.md says so.
  openFile(path, size, readOnly, create) {
    const k = kernel32();
    const access = readOnly ? GENERIC_READ : GENERIC_READ | GENERIC_WRITE;
    const share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    let existed = true;
    let file = k.CreateFileW(path, access, share, null, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, 0);
    if (isBadHandle(file)) {
      // Read the error now; only a missing file may be created. Any other failure
      // (access denied, sharing violation, a directory) is the one to report.
      const openError = win32Error('CreateFileW', path);
      if (!create || openError.errno !== ERROR_FILE_NOT_FOUND) throw openError;
      file = k.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, share, null, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, 0);
      existed = false;
      if (isBadHandle(file)) throw win32Error('CreateFileW', path);
    }
    try {
      const out: Array<number | bigint> = [0];
      if (!k.GetFileSizeEx(file, out)) throw win32Error('GetFileSizeEx', path);
      let current = Number(out[0]);
      if (size > current && readOnly)
        throw new IpcError('EINVAL', `file ${path} is ${current} bytes, smaller than the ${size} asked, and opened read-only`, { path });
      const target = Math.max(size, current);
      if (target === 0) throw new IpcError('EINVAL', `file ${path} is empty; give a size to map it`, { path });
      // CreateFileMapping grows the file to the size asked.
      const mapping = k.CreateFileMappingW(file, null, readOnly ? PAGE_READONLY : PAGE_READWRITE, high(target), low(target), null);
      if (isBadHandle(mapping)) throw win32Error('CreateFileMappingW', path);
      current = target;
      fileHandles.set(mapping, file);
      return { handle: mapping, size: current, existed };
    } catch (error) {
      k.CloseHandle(file);
      throw error;
    }
  },

  mapAligned(handle, offset, length, readOnly, path) {
    const base = kernel32().MapViewOfFile(handle, readOnly ? FILE_MAP_READ : FILE_MAP_WRITE, high(offset), low(offset), length);
    if (isNull(base)) throw win32Error('MapViewOfFile', path);
    return { base, buffer: viewOf(base, length) };
  },

  unmap(mapping) {
    kernel32().UnmapViewOfFile(mapping.base);
  },

  retire(mapping) {
    const k = kernel32();
    k.UnmapViewOfFile(mapping.base);
    // Private zero pages at the same address, so a stale ArrayBuffer reads zeros instead of faulting.
    const placeholder = k.VirtualAlloc(mapping.base, mapping.mapLength, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (isNull(placeholder)) return () => undefined;
    return () => {
      k.VirtualFree(placeholder, 0, MEM_RELEASE);
    };
  },

  flush(mapping, handle, path) {
    const k = kernel32();
    if (!k.FlushViewOfFile(mapping.base, mapping.mapLength)) throw win32Error('FlushViewOfFile', path);
    const file = handle === undefined ? undefined : fileHandles.get(handle);
    if (file !== undefined && !k.FlushFileBuffers(file)) throw win32Error('FlushFileBuffers', path);
  },

  closeHandle(handle) {
    const k = kernel32();
    k.CloseHandle(handle);
    const file = fileHandles.get(handle);
    if (file !== undefined) {
      fileHandles.delete(handle);
      k.CloseHandle(file);
    }
  },

  unlink() {
    // Nothing to do: the object goes away with its last handle and view.
    return false;
  },

  removeIfOwnerDead() {
    return false;
  },

  removeIfStale() {
    return false;
  },

  sweepStale() {
    return 0;
  },

  pid(): number {
    return kernel32().GetCurrentProcessId();
  },

  watchProcess(pid: number): ProcessWatch {
    const k = kernel32();
    const h = k.OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
    if (isBadHandle(h)) {
      // ERROR_ACCESS_DENIED: it exists but we may not watch it; anything else: it is gone.
      const denied = k.GetLastError() === ERROR_ACCESS_DENIED;
      return { alive: () => denied, onExit: () => undefined, close: () => undefined };
    }
    let open = true;
    const stops: Array<() => void> = [];
    return {
      alive: () => open && k.WaitForSingleObject(h, 0) === WAIT_TIMEOUT,
      onExit: (callback) => stops.push((exits ??= new ExitWaiter()).add(pid, callback)),
      close: () => {
        if (open) k.CloseHandle(h);
        open = false;
        for (const stop of stops.splice(0)) stop();
      },
    };
  },

  doorbell: windowsDoorbell,
};
