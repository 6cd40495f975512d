/**
 * Is @ipckit/shared-memory's synchronous API there (ShmChannel.sendSync /
 * receiveSync)? Looked up at run time, so the benchmark builds and runs
 * whether or not that package is built.
 */
import type { Probe } from './targets.js';

/** Typed `string`, not the literal: TypeScript then leaves the import to run time and never resolves it at build. */
const SHM_MODULE: string = '@ipckit/shared-memory';

interface ShmModule {
  ShmChannel?: { prototype: { sendSync?: unknown; receiveSync?: unknown } };
  transport?: { capabilities: { backend: string; primitive: string; maxMessageBytes: number } };
}

/** `receiveInto`: the variant that receives with receiveSync(into) into one reused array. */
export async function probeShmSync(receiveInto: boolean): Promise<Probe> {
  let module: ShmModule;
  try {
    module = (await import(SHM_MODULE)) as ShmModule;
  } catch (error) {
    return { available: false, reason: `@ipckit/shared-memory is not built (${String((error as { message?: unknown }).message ?? error).split('\n')[0]})` };
  }
  const proto = module.ShmChannel?.prototype;
  if (!module.transport || typeof proto?.sendSync !== 'function' || typeof proto.receiveSync !== 'function') {
    return { available: false, reason: '@ipckit/shared-memory exports no ShmChannel.sendSync/receiveSync' };
  }
  const caps = module.transport.capabilities;
  return {
    available: true,
    backend: `${caps.backend}: ${caps.primitive}; ShmChannel.sendSync/${receiveInto ? 'receiveSync(into) into one reused array' : 'receiveSync()'} in a worker thread of each peer`,
    duplex: true,
    // A thread blocked in receiveSync serves one channel: a many-writer reader needs the async API.
    manyWriters: false,
    maxMessageBytes: caps.maxMessageBytes,
    noFanIn: 'a thread blocked in receiveSync serves one channel, so a reader of many writers uses the async API (see shm (async) fan-in)',
  };
}
