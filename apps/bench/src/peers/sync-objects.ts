/**
 * What the sync scenario's peers use of @ipckit/sync, and the hand-off
 * protocols they run with it. The package is loaded at run time (typed here
 * by the few calls the bench makes), so the bench builds and runs, without
 * this scenario, where it is not built.
 *
 * Mutex hand-off: a round trip of two hand-offs needs three mutexes, so that
 * nobody takes back a mutex it has just released before the other side has
 * had it (with two, the releaser's next acquire can win the race against the
 * woken waiter). The pinger starts holding M0 and M1, the echo M2. Step k:
 *   pinger: release M[k % 3], then acquire M[(k + 2) % 3]  (the round trip)
 *   echo:   acquire M[k % 3],  then release M[(k + 2) % 3]
 * The pinger's release wakes the echo's pending acquire (hand-off one), the
 * echo's release wakes the pinger's pending acquire (hand-off two); after
 * three steps everyone holds what they started with.
 *
 * Event hand-off: two auto-reset events; the pinger sets `ping` and waits on
 * `pong`, the echo waits on `ping` and sets `pong`.
 */

export interface SyncWait {
  timeoutMs?: number;
}

export interface SyncGuard {
  release(): void;
}

export interface SyncMutex {
  acquire(options?: SyncWait): Promise<SyncGuard>;
  acquireSync(options?: SyncWait): SyncGuard;
  release(): void;
  close(): void;
}

export interface SyncEvent {
  set(): void;
  wait(options?: SyncWait): Promise<void>;
  waitSync(options?: SyncWait): void;
  close(): void;
}

export interface SyncModule {
  createMutex(name: string): Promise<SyncMutex>;
  openMutex(name: string): Promise<SyncMutex>;
  createEvent(name: string, options: { manualReset: boolean }): Promise<SyncEvent>;
  openEvent(name: string): Promise<SyncEvent>;
}

/** Typed `string`: TypeScript leaves the import to run time. */
const SYNC_MODULE: string = '@ipckit/sync';

export async function loadSync(): Promise<SyncModule> {
  return (await import(SYNC_MODULE)) as SyncModule;
}

/** Which hand-off: the object, and whether its waits block a worker thread (sync) or not (async). */
export type HandOffVariant = 'mutex' | 'event' | 'mutex-sync' | 'event-sync';

export function isSyncVariant(variant: string): boolean {
  return variant.endsWith('-sync');
}

/** One side's objects of a hand-off, and its step. */
export interface HandOffSide {
  step(timeoutMs: number): Promise<void>;
  stepSync(timeoutMs: number): void;
  close(): void;
}

const names = (base: string, kind: 'mutex' | 'event'): string[] =>
  kind === 'mutex' ? [0, 1, 2].map((i) => `${base}-m${i}`) : [`${base}-ping`, `${base}-pong`];

/**
 * The echo's side: creates the objects (before the pinger opens them) and,
 * for the mutex, takes M2. Runs in the thread that will step it: a mutex
 * belongs to the thread that acquires it.
 */
export async function createEchoSide(sync: SyncModule, base: string, kind: 'mutex' | 'event', blocking: boolean): Promise<HandOffSide> {
  if (kind === 'event') {
    const [ping, pong] = await Promise.all(names(base, kind).map((name) => sync.createEvent(name, { manualReset: false })));
    return {
      step: async (timeoutMs) => {
        await ping!.wait({ timeoutMs });
        pong!.set();
      },
      stepSync: (timeoutMs) => {
        ping!.waitSync({ timeoutMs });
        pong!.set();
      },
      close: () => [ping, pong].forEach((e) => e?.close()),
    };
  }
  const m = await Promise.all(names(base, kind).map((name) => sync.createMutex(name)));
  if (blocking) m[2]!.acquireSync({ timeoutMs: 10_000 });
  else await m[2]!.acquire({ timeoutMs: 10_000 });
  let k = 0;
  return {
    step: async (timeoutMs) => {
      await m[k % 3]!.acquire({ timeoutMs });
      m[(k + 2) % 3]!.release();
      k++;
    },
    stepSync: (timeoutMs) => {
      m[k % 3]!.acquireSync({ timeoutMs });
      m[(k + 2) % 3]!.release();
      k++;
    },
    close: () => m.forEach((x) => x.close()),
  };
}

/** The pinger's side: opens the objects and, for the mutex, takes M0 and M1. One step is one round trip. */
export async function openPingerSide(sync: SyncModule, base: string, kind: 'mutex' | 'event', blocking: boolean): Promise<HandOffSide> {
  if (kind === 'event') {
    const [ping, pong] = await Promise.all(names(base, kind).map((name) => sync.openEvent(name)));
    return {
      step: async (timeoutMs) => {
        ping!.set();
        await pong!.wait({ timeoutMs });
      },
      stepSync: (timeoutMs) => {
        ping!.set();
        pong!.waitSync({ timeoutMs });
      },
      close: () => [ping, pong].forEach((e) => e?.close()),
    };
  }
  const m = await Promise.all(names(base, kind).map((name) => sync.openMutex(name)));
  for (const held of [m[0]!, m[1]!]) {
    if (blocking) held.acquireSync({ timeoutMs: 10_000 });
    else await held.acquire({ timeoutMs: 10_000 });
  }
  let k = 0;
  return {
    step: async (timeoutMs) => {
      m[k % 3]!.release();
      await m[(k + 2) % 3]!.acquire({ timeoutMs });
      k++;
    },
    stepSync: (timeoutMs) => {
      m[k % 3]!.release();
      m[(k + 2) % 3]!.acquireSync({ timeoutMs });
      k++;
    },
    close: () => m.forEach((x) => x.close()),
  };
}

/** `for (;;) op()` timed: a warm-up by time gives the rate, then each trial runs about `budgetMs` of operations. */
export function timeSyncLoop(op: () => void, warmMs: number, budgetMs: number, trials: number): Array<{ ops: number; elapsedNs: number }> {
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(warmMs * 1e6));
  const w0 = process.hrtime.bigint();
  let warm = 0;
  do {
    for (let i = 0; i < 256; i++) op();
    warm += 256;
  } while (process.hrtime.bigint() < warmEnd);
  const perOp = Number(process.hrtime.bigint() - w0) / warm;
  const ops = Math.max(1000, Math.min(100_000_000, Math.round((budgetMs * 1e6) / perOp)));
  const out: Array<{ ops: number; elapsedNs: number }> = [];
  for (let t = 0; t < trials; t++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) op();
    out.push({ ops, elapsedNs: Number(process.hrtime.bigint() - t0) });
  }
  return out;
}

/**
 * The same for an acquire that returns a promise of a guard: each is awaited
 * and its guard released before the next, as a program would write it.
 */
export async function timeAcquireLoop(
  acquire: () => Promise<SyncGuard>,
  warmMs: number,
  budgetMs: number,
  trials: number,
): Promise<Array<{ ops: number; elapsedNs: number }>> {
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(warmMs * 1e6));
  const w0 = process.hrtime.bigint();
  let warm = 0;
  do {
    for (let i = 0; i < 64; i++) (await acquire()).release();
    warm += 64;
  } while (process.hrtime.bigint() < warmEnd);
  const perOp = Number(process.hrtime.bigint() - w0) / warm;
  const ops = Math.max(1000, Math.min(20_000_000, Math.round((budgetMs * 1e6) / perOp)));
  const out: Array<{ ops: number; elapsedNs: number }> = [];
  for (let t = 0; t < trials; t++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) (await acquire()).release();
    out.push({ ops, elapsedNs: Number(process.hrtime.bigint() - t0) });
  }
  return out;
}
