/**
 * The worker thread of a sync-scenario peer, for what blocks a thread:
 * uncontended `acquireSync()` + release, and the `-sync` hand-offs
 * (acquireSync / waitSync). A mutex belongs to the thread that acquires
 * it, so this thread makes and holds every object it steps. See sync.ts.
 *
 * An echo loop blocks the thread for good once it starts; its waits time out
 * every STOP_POLL_MS to look at the stop word the main thread sets on close.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveCommands, type Json } from './worker-rpc.js';
import { encodeSamples, pingLoopSync } from './common.js';
import { createEchoSide, loadSync, openPingerSide, timeSyncLoop, type HandOffSide } from './sync-objects.js';

const STOP_POLL_MS = 100;
const { stop, watchdogMs } = workerData as { stop: Int32Array; watchdogMs: number };
const port = parentPort!;
const sync = await loadSync();
let side: HandOffSide | undefined;

function isTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ETIMEDOUT';
}

/** Blocks this thread: echo steps until the stop word is set. */
function serve(echo: HandOffSide): void {
  while (Atomics.load(stop, 0) === 0) {
    try {
      echo.stepSync(STOP_POLL_MS);
    } catch (error) {
      if (!isTimeout(error)) throw error;
    }
  }
}

const handlers: Record<string, (args: Json) => Promise<Json> | Json> = {
  async uncontended(args) {
    const mutex = await sync.createMutex(String(args['name']));
    try {
      const trials = timeSyncLoop(() => mutex.acquireSync().release(), Number(args['warmMs']), Number(args['budgetMs']), Number(args['trials']));
      return { trials };
    } finally {
      mutex.close();
    }
  },
  async listen(args) {
    side = await createEchoSide(sync, String(args['name']), args['kind'] === 'event' ? 'event' : 'mutex', true);
    return {};
  },
  serve() {
    const echo = side;
    if (!echo) throw new Error('serve before listen');
    // Let this reply go out, then block the thread until the stop word is set.
    setImmediate(() => {
      try {
        serve(echo);
      } catch (error) {
        if (Atomics.load(stop, 0) === 0) port.postMessage({ event: 'failed', message: String((error as { message?: unknown }).message ?? error) });
      }
    });
    return {};
  },
  close() {
    // Runs once the echo loop (if any) has seen the stop word and let go of the thread.
    side?.close();
    side = undefined;
    return {};
  },
  async connect(args) {
    side = await openPingerSide(sync, String(args['name']), args['kind'] === 'event' ? 'event' : 'mutex', true);
    return {};
  },
  pp(args) {
    const pinger = side;
    if (!pinger) throw new Error('pp before connect');
    const r = pingLoopSync(() => pinger.stepSync(watchdogMs), {
      count: Number(args['count']),
      budgetMs: Number(args['budgetMs'] ?? 0),
      record: args['record'] === true,
    });
    return { count: r.count, elapsedNs: r.elapsedNs, cpu: r.cpu, ...(r.samples ? { samples: encodeSamples(r.samples) } : {}) };
  },
};

serveCommands(port, handlers);
