/**
 * Peers of the sync scenario (@ipckit/sync, docs/sync.md):
 *
 * - `solo`: uncontended acquire + release, nobody else using the mutex.
 *   `floor` is Atomics.compareExchange(0 → 1) + Atomics.store(0) on a word of
 *   a named shared region, what taking and dropping a lock costs at the very
 *   least in JavaScript; `mutex-async` is `(await mutex.acquire()).release()`
 *   on the main thread; `mutex-sync` is `mutex.acquireSync().release()` in a
 *   worker thread (sync-worker.ts).
 * - `echo` and `pinger`: hand-offs between two processes, one round trip of
 *   two hand-offs per sample (protocols in sync-objects.ts). The async
 *   variants run on the main thread, the `-sync` ones in a worker thread of
 *   each process. They answer the same commands as every ping-pong peer, so
 *   the runner measures them as it measures a transport's ping-pong.
 */
import { Worker } from 'node:worker_threads';
import type { ControlClient } from '../control.js';
import { createMapping, type SharedMapping } from '../mapping.js';
import { encodeSamples, pingLoop, since, snapshot } from './common.js';
import type { PeerSpec } from './spec.js';
import { WorkerRpc, type Json } from './worker-rpc.js';
import { createEchoSide, isSyncVariant, loadSync, openPingerSide, timeAcquireLoop, timeSyncLoop, type HandOffSide } from './sync-objects.js';

/** A worker thread running sync-worker.ts, and a request/reply relay to it. */
class SyncWorker {
  private readonly worker: Worker;
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private readonly rpc: WorkerRpc;

  constructor(watchdogMs: number, onFailed: (message: string) => void) {
    this.worker = new Worker(new URL('./sync-worker.js', import.meta.url), { workerData: { stop: this.stop, watchdogMs } });
    this.rpc = new WorkerRpc(this.worker, 'the sync worker', (message) => {
      if (message['event'] === 'failed') onFailed(String(message['message']));
    });
  }

  request(cmd: string, args: Json): Promise<Json> {
    return this.rpc.call(cmd, args);
  }

  /**
   * Sets the stop word and asks the thread to close its objects (an echo
   * loop notices the word within its poll, then closes them itself), then
   * ends the thread. The creator's close is what unlinks the objects' names.
   */
  async close(): Promise<void> {
    Atomics.store(this.stop, 0, 1);
    const closed = this.request('close', {}).catch(() => undefined);
    // terminate() cannot cut a native wait short: give the thread its poll, then end it.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    await Promise.race([this.worker.terminate(), new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
}

export async function syncPeer(spec: PeerSpec, control: ControlClient): Promise<{ close(): Promise<void> }> {
  const sync = await loadSync();
  const closers: Array<() => void | Promise<void>> = [];
  const failed = (message: string): void => void control.emit('failed', { message });
  let worker: SyncWorker | undefined;
  const inWorker = (): SyncWorker => {
    if (!worker) {
      const w = new SyncWorker(spec.watchdogMs, failed);
      worker = w;
      closers.push(() => w.close());
    }
    return worker;
  };
  const variant = spec.variant ?? 'mutex';
  const kind = variant.startsWith('event') ? 'event' : 'mutex';
  const blocking = isSyncVariant(variant);

  switch (spec.role) {
    case 'solo': {
      control.on('uncontended', async (args) => {
        const api = String(args['api']);
        const name = String(args['name']);
        const [warmMs, budgetMs, trials] = [Number(args['warmMs']), Number(args['budgetMs']), Number(args['trials'])];
        const c0 = snapshot();
        let result: Array<{ ops: number; elapsedNs: number }>;
        if (api === 'floor') {
          const mapping: SharedMapping = await createMapping(name, 64);
          try {
            const word = new Int32Array(mapping.bytes.buffer, mapping.bytes.byteOffset, 16);
            result = timeSyncLoop(
              () => {
                if (Atomics.compareExchange(word, 0, 0, 1) !== 0) throw new Error('the floor word was taken');
                Atomics.store(word, 0, 0);
              },
              warmMs,
              budgetMs,
              trials,
            );
          } finally {
            mapping.close();
          }
        } else if (api === 'mutex-async') {
          const mutex = await sync.createMutex(name);
          try {
            result = await timeAcquireLoop(() => mutex.acquire(), warmMs, budgetMs, trials);
          } finally {
            mutex.close();
          }
        } else if (api === 'mutex-sync') {
          result = (await inWorker().request('uncontended', args))['trials'] as typeof result;
        } else throw new Error(`unknown uncontended api ${api}`);
        return { trials: result, cpu: since(c0) };
      });
      break;
    }
    case 'echo': {
      let side: HandOffSide | undefined;
      let serving = false;
      let closed = false;
      control.on('listen', async (args) => {
        const name = String(args['name']);
        if (blocking) await inWorker().request('listen', { name, kind });
        else {
          const s = await createEchoSide(sync, name, kind, false);
          side = s;
          closers.push(() => {
            closed = true;
            s.close();
          });
        }
        return { connectName: name };
      });
      // The first phase starts the echo loop: by then the pinger holds what it starts with.
      control.on('begin', async () => {
        if (!serving) {
          serving = true;
          if (blocking) await inWorker().request('serve', {});
          else {
            const s = side!;
            void (async () => {
              while (!closed) await s.step(spec.watchdogMs);
            })().catch((error: unknown) => {
              if (!closed) failed(String((error as { message?: unknown }).message ?? error));
            });
          }
        }
        return snapshot();
      });
      break;
    }
    case 'pinger': {
      let side: HandOffSide | undefined;
      control.on('connect', async (args) => {
        const name = String(args['name']);
        if (blocking) await inWorker().request('connect', { name, kind });
        else {
          const s = await openPingerSide(sync, name, kind, false);
          side = s;
          closers.push(() => s.close());
        }
        return {};
      });
      control.on('pp', async (args) => {
        if (blocking) return inWorker().request('pp', args);
        const s = side;
        if (!s) throw new Error('pp before connect');
        const result = await pingLoop(() => s.step(spec.watchdogMs), {
          count: Number(args['count']),
          budgetMs: Number(args['budgetMs'] ?? 0),
          record: args['record'] === true,
        });
        return { count: result.count, elapsedNs: result.elapsedNs, cpu: result.cpu, ...(result.samples ? { samples: encodeSamples(result.samples) } : {}) };
      });
      break;
    }
    default:
      throw new Error(`the sync peers have no ${spec.role} role`);
  }
  return {
    async close() {
      // Every closer runs, whatever the others do: the creator's close is what unlinks the objects' names.
      for (const close of closers.reverse()) {
        try {
          await close();
        } catch {
          // closing what is already gone
        }
      }
    },
  };
}
