/**
 * A named shared mapping for the Atomics floor. The same kind of mapping the
 * shm:// transport uses: @ipckit/shared-memory's regions when that package
 * is built, otherwise the same OS calls through @ipckit/sys (shm_open +
 * ftruncate + mmap on POSIX, CreateFileMappingW + MapViewOfFile on Windows),
 * turned into an ArrayBuffer with koffi.view.
 */
import koffi from 'koffi';

export interface SharedMapping {
  /** The mapped memory, seen by every process that maps the name. */
  bytes: Uint8Array;
  /** Which code mapped it, for the report. */
  source: string;
  close(): void;
}

interface RegionLike {
  bytes: Uint8Array;
  close(): void;
}

interface RegionModule {
  createRegion(name: string, size: number): Promise<RegionLike>;
  openRegion(name: string): Promise<RegionLike>;
}

const SHARED_MEMORY = '@ipckit/shared-memory';

async function regionModule(): Promise<RegionModule | undefined> {
  try {
    const module = (await import(SHARED_MEMORY)) as Partial<RegionModule>;
    if (typeof module.createRegion === 'function' && typeof module.openRegion === 'function') return module as RegionModule;
  } catch {
    // Not built yet: fall back to the OS calls below.
  }
  return undefined;
}

async function posixMapping(name: string, size: number, create: boolean): Promise<SharedMapping> {
  const sys = await import('@ipckit/sys/posix');
  const c = sys.libc();
  const path = `/${name}`;
  const fd = c.shm_open(path, create ? sys.O_CREAT | sys.O_EXCL | sys.O_RDWR | sys.O_CLOEXEC : sys.O_RDWR | sys.O_CLOEXEC, 0o600);
  if (fd < 0) throw sys.posixError('shm_open', path);
  try {
    if (create && c.ftruncate(fd, size) !== 0) throw sys.posixError('ftruncate', path);
    const pointer = c.mmap(null, size, sys.PROT_READ | sys.PROT_WRITE, sys.MAP_SHARED, fd, 0);
    if (sys.isMapFailed(pointer)) throw sys.posixError('mmap', path);
    const bytes = new Uint8Array(koffi.view(pointer, size));
    let closed = false;
    return {
      bytes,
      source: 'shm_open + mmap (@ipckit/sys)',
      close() {
        if (closed) return;
        closed = true;
        c.munmap(pointer, size);
        if (create) c.shm_unlink(path);
      },
    };
  } finally {
    c.close(fd);
  }
}

async function win32Mapping(name: string, size: number, create: boolean): Promise<SharedMapping> {
  const sys = await import('@ipckit/sys/win32');
  const k = sys.kernel32();
  const objectName = `Local\\${name}`;
  const handle = create
    ? k.CreateFileMappingW(sys.INVALID_HANDLE_VALUE, null, sys.PAGE_READWRITE, 0, size, objectName)
    : k.OpenFileMappingW(sys.FILE_MAP_ALL_ACCESS, 0, objectName);
  if (sys.isBadHandle(handle)) throw sys.win32Error(create ? 'CreateFileMappingW' : 'OpenFileMappingW', objectName);
  const base = k.MapViewOfFile(handle, sys.FILE_MAP_ALL_ACCESS, 0, 0, size);
  if (base === null) {
    const error = sys.win32Error('MapViewOfFile', objectName);
    k.CloseHandle(handle);
    throw error;
  }
  const bytes = new Uint8Array(koffi.view(base, size));
  let closed = false;
  return {
    bytes,
    source: 'CreateFileMappingW + MapViewOfFile (@ipckit/sys)',
    close() {
      if (closed) return;
      closed = true;
      k.UnmapViewOfFile(base);
      k.CloseHandle(handle);
    },
  };
}

/** Creates the named mapping of `size` bytes (zeroed). */
export async function createMapping(name: string, size: number): Promise<SharedMapping> {
  const regions = await regionModule();
  if (regions) {
    const region = await regions.createRegion(name, size);
    return { bytes: region.bytes, source: 'createRegion (@ipckit/shared-memory)', close: () => region.close() };
  }
  return process.platform === 'win32' ? win32Mapping(name, size, true) : posixMapping(name, size, true);
}

/** Opens the mapping another process created. */
export async function openMapping(name: string, size: number): Promise<SharedMapping> {
  const regions = await regionModule();
  if (regions) {
    const region = await regions.openRegion(name);
    return { bytes: region.bytes.subarray(0, size), source: 'openRegion (@ipckit/shared-memory)', close: () => region.close() };
  }
  return process.platform === 'win32' ? win32Mapping(name, size, false) : posixMapping(name, size, false);
}

/** Which code will map, for the report (without mapping anything). */
export async function mappingSource(): Promise<string> {
  if (await regionModule()) return 'named region from @ipckit/shared-memory (createRegion/openRegion)';
  return process.platform === 'win32'
    ? 'CreateFileMappingW + MapViewOfFile through @ipckit/sys'
    : 'shm_open + ftruncate + mmap through @ipckit/sys';
}
