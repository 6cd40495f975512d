/**
 * A named shared mapping for the Atomics floor (and the sync scenario's
 * floor): a region from @ipckit/shared-memory, so the floor runs over the
 * same kind of mapping as the shm:// transport (shm_open + mmap on POSIX,
 * CreateFileMappingW + MapViewOfFile on Windows). The package is loaded when
 * a mapping is made, so the rest of the bench runs where it does not load.
 */
import type * as Shm from '@ipckit/shared-memory';

export interface SharedMapping {
  /** The mapped memory, seen by every process that maps the name. */
  bytes: Uint8Array;
  /** Which code mapped it, for the report. */
  source: string;
  close(): void;
}

/** Typed `string`: TypeScript leaves the import to run time. */
const SHM_MODULE: string = '@ipckit/shared-memory';

/** @ipckit/shared-memory, or the reason it does not load. */
export async function loadShm(): Promise<typeof Shm> {
  return (await import(SHM_MODULE)) as typeof Shm;
}

/** Creates the named mapping of `size` bytes (zeroed). */
export async function createMapping(name: string, size: number): Promise<SharedMapping> {
  const region = await (await loadShm()).createRegion(name, size);
  return { bytes: region.bytes, source: 'createRegion (@ipckit/shared-memory)', close: () => region.close() };
}

/** Opens the mapping another process created. */
export async function openMapping(name: string, size: number): Promise<SharedMapping> {
  const region = await (await loadShm()).openRegion(name);
  return { bytes: region.bytes.subarray(0, size), source: 'openRegion (@ipckit/shared-memory)', close: () => region.close() };
}

/** Which code maps, for the report. */
export function mappingSource(): string {
  return 'named region from @ipckit/shared-memory (createRegion/openRegion)';
}
