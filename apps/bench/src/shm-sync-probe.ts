/**
 * Is @ipckit/shared-memory's synchronous API there (ShmChannel.sendSync /
 * receiveSync, and whatever the target's io strategy needs besides)? Looked
 * up at run time, so the benchmark builds and runs whether or not that
 * package is built, and a strategy can name methods not released yet.
 */
import { SYNC_IO } from './peers/shm-io.js';
import type { Probe } from './targets.js';

/** Typed `string`, not the literal: TypeScript then leaves the import to run time and never resolves it at build. */
const SHM_MODULE: string = '@ipckit/shared-memory';

interface ShmModule {
  ShmChannel?: { prototype: Record<string, unknown> };
  transport?: { capabilities: { backend: string; primitive: string; maxMessageBytes: number } };
}

/** `io`: the target's strategy, an id of SYNC_IO. */
export async function probeShmSync(io: string): Promise<Probe> {
  const strategy = SYNC_IO[io];
  if (!strategy) return { available: false, reason: `no io strategy ${io} in peers/shm-io.ts` };
  let module: ShmModule;
  try {
    module = (await import(SHM_MODULE)) as ShmModule;
  } catch (error) {
    return { available: false, reason: `@ipckit/shared-memory is not built (${String((error as { message?: unknown }).message ?? error).split('\n')[0]})` };
  }
  const proto = module.ShmChannel?.prototype;
  const missing = ['sendSync', 'receiveSync', ...strategy.requires].filter((method) => typeof proto?.[method] !== 'function');
  if (!module.transport || missing.length) {
    return { available: false, reason: `@ipckit/shared-memory's ShmChannel has no ${missing.join(', ') || 'transport'}` };
  }
  const caps = module.transport.capabilities;
  return {
    available: true,
    backend: `${caps.backend}: ${caps.primitive}; ${strategy.describe} in a worker thread of each peer`,
    duplex: true,
    // A thread blocked in receiveSync serves one channel: a many-writer reader needs the async API.
    manyWriters: false,
    maxMessageBytes: caps.maxMessageBytes,
    noFanIn: 'a thread blocked in receiveSync serves one channel, so a reader of many writers uses the async API (see shm (async) fan-in)',
  };
}
