/**
 * POSIX: the named region each synchronization object lives in (an ipckit
 * region of @ipckit/shared-memory: mode 0600, create-exclusive, with an
 * ownership record), created with its layout (layout.ts) or opened and
 * checked.
 */
import { IpcError } from '@ipckit/core';
import { sleep } from '@ipckit/core/kit';
import { createRegion, openRegion, unlinkRegion, type SharedRegion } from '@ipckit/shared-memory';
import type { OpenRequest } from './backend.js';
import { H, KIND_OF_MAGIC, LAYOUT_VERSION } from './layout.js';

/** How long an opener waits for a creator that is still setting the object up (magic still 0). */
const SETUP_WAIT_MS = 100;

/** An object's region: mapped, its header words, and the memory the native calls take. */
export class ObjectRegion {
  readonly words: Int32Array;
  readonly buffer: ArrayBuffer;
  readonly base: number;

  constructor(
    readonly region: SharedRegion,
    readonly existed: boolean,
  ) {
    const bytes = region.bytes;
    this.buffer = bytes.buffer as ArrayBuffer;
    this.base = bytes.byteOffset;
    this.words = new Int32Array(this.buffer, this.base, region.size >> 2);
  }

  get path(): string {
    return this.region.path;
  }

  get closed(): boolean {
    return this.region.closed;
  }

  close(): void {
    this.region.close();
  }
}

/**
 * Creates or opens the region of one object as `request.mode` asks. A new
 * region is set up by `init` and published by storing `magic` last; an opened
 * one must carry `magic` (EINVAL for another kind or a foreign region), and
 * a creator still setting it up is waited for, briefly.
 *
 * open-or-create on a name that exists but cannot be opened as ipckit's (a
 * squatted name: a foreign file, or a region without ipckit's ownership
 * record) fails as create does, with EADDRINUSE: the name is taken, whoever
 * took it; only `open` says ENOENT for it.
 */
export async function objectRegion(request: OpenRequest, kind: string, magic: number, size: number, init: (o: ObjectRegion) => void): Promise<ObjectRegion> {
  let taken: IpcError | undefined;
  if (request.mode !== 'open') {
    try {
      const created = new ObjectRegion(await createRegion(request.osName, size, { unlinkOnClose: request.unlinkOnClose }), false);
      try {
        init(created);
        Atomics.store(created.words, H.version, LAYOUT_VERSION);
        Atomics.store(created.words, H.magic, magic);
      } catch (error) {
        created.close();
        unlinkRegion(request.osName).catch(() => undefined);
        throw error;
      }
      return created;
    } catch (error) {
      if (!(request.mode === 'open-or-create' && error instanceof IpcError && error.code === 'EADDRINUSE')) throw error;
      taken = error;
    }
  }
  let region: SharedRegion;
  try {
    region = await openRegion(request.osName);
  } catch (error) {
    // The name exists (create said so) but is nobody's ipckit region: say what create says.
    if (taken && error instanceof IpcError && error.code === 'ENOENT') {
      throw new IpcError('EADDRINUSE', `${request.osName} exists but is not an ipckit ${kind} (${error.message})`, {
        path: request.osName,
        cause: error,
      });
    }
    throw error;
  }
  const opened = new ObjectRegion(region, true);
  try {
    if (opened.region.size < size)
      throw new IpcError('EINVAL', `${request.osName} is ${opened.region.size} bytes: not an ipckit ${kind}`, { path: request.osName });
    const until = performance.now() + SETUP_WAIT_MS;
    let found = Atomics.load(opened.words, H.magic);
    while (found === 0 && performance.now() < until) {
      await sleep(2);
      found = Atomics.load(opened.words, H.magic);
    }
    if (found !== magic) {
      const other = KIND_OF_MAGIC[found];
      throw new IpcError(
        'EINVAL',
        other ? `${request.osName} is an ipckit ${other}, not a ${kind}` : `${request.osName} is not an ipckit ${kind}${found === 0 ? ' (never set up)' : ''}`,
        { path: request.osName },
      );
    }
    const version = Atomics.load(opened.words, H.version);
    if (version !== LAYOUT_VERSION)
      throw new IpcError('ENOTSUP', `${request.osName} has layout version ${version}; this is ${LAYOUT_VERSION}`, { path: request.osName });
    return opened;
  } catch (error) {
    opened.close();
    throw error;
  }
}
