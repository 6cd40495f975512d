/**
 * The sync scenario (issue 10 §4, docs/sync.md "Measured"): @ipckit/sync's
 * costs against what they are built from, in one run.
 *
 * - Uncontended acquire + release (nobody else wants the mutex), per pair:
 *   the Atomics floor, `await acquire()` on the main thread, `acquireSync()`
 *   in a worker thread.
 * - Hand-off between two processes: one side releases (or sets), the other's
 *   pending acquire (or wait) returns; a sample is a round trip of two
 *   hand-offs, for the Mutex and the Event, async and in worker threads;
 *   next to a pipe:// round trip and the Atomics spin floor's round trip
 *   (8 B each), measured here by the same ping-pong as everywhere else.
 *
 * Anything that fails (the package not built, a worker that cannot load the
 * addon) is "not measured" with its reason; the run goes on.
 */
import { uniqueName } from '@ipckit/core';
import { firstLine, underLoad, type CaseContext, type Planned } from '../case.js';
import type { CaseResult, SyncResult } from '../results.js';
import type { Session } from '../session.js';
import { median, spreadOf } from '../stats.js';
import type { Probe, TargetDef } from '../targets.js';
import { runPingPong } from './ping-pong.js';

interface Uncontended {
  id: string;
  label: string;
  description: string;
}

export const UNCONTENDED: readonly Uncontended[] = [
  {
    id: 'floor',
    label: 'Atomics floor: compareExchange + store',
    description:
      'Atomics.compareExchange(word, 0, 1) + Atomics.store(word, 0) on a word of a named shared region: taking and dropping a lock, at the least JavaScript can do it',
  },
  {
    id: 'mutex-async',
    label: 'Mutex: await acquire() + release()',
    description: '(await mutex.acquire()).release() on the main thread, nobody else using the mutex',
  },
  {
    id: 'mutex-sync',
    label: 'Mutex: acquireSync() + release(), worker',
    description: 'mutex.acquireSync().release() in a worker thread, nobody else using the mutex',
  },
];

/** The hand-offs, as ping-pong targets of their own (not in TARGETS: they take part in this scenario only). */
export const HANDOFFS: readonly TargetDef[] = (
  [
    ['mutex', 'Mutex hand-off: async acquire()', 'three mutexes passed back and forth; each side waits in acquire() (a native thread, the event loop)'],
    ['event', 'Event hand-off: async wait()', 'two auto-reset events: set() by one side, wait() by the other'],
    ['mutex-sync', 'Mutex hand-off: acquireSync(), workers', 'the same three mutexes, each side waiting in acquireSync() in a worker thread'],
    ['event-sync', 'Event hand-off: waitSync(), workers', 'the same two events, each side waiting in waitSync() in a worker thread'],
  ] as const
).map(([variant, label, description]) => ({
  id: `handoff-${variant}`,
  label,
  kind: 'baseline' as const,
  family: 'sync' as const,
  variant,
  scenarios: ['sync' as const],
  description: `${description}; a sample is a round trip of two hand-offs between two processes`,
  probe: async (): Promise<Probe> => ({ available: true, duplex: true }),
}));

/** The size of the reference round trips (pipe://, the Atomics floor): a hand-off carries nothing, this is the smallest default size. */
export const REFERENCE_BYTES = 8;

/** Cases this scenario runs, for the progress display. */
export function syncCaseCount(references: number): number {
  return UNCONTENDED.length + HANDOFFS.length + references;
}

export interface SyncRunner {
  /** A session for a target's peers (closed by the caller of `body`). */
  withSession(target: TargetDef, maxSize: number, body: (session: Session) => Promise<void>): Promise<void>;
  /** The reference round trips: pipe:// and the Atomics floor, when available. */
  references: Array<{ target: TargetDef; probe: Probe }>;
}

export async function runSync(ctx: CaseContext, runner: SyncRunner): Promise<SyncResult[]> {
  const { profile } = ctx;
  const out: SyncResult[] = [];
  const skip = (id: string, reason: string): void => {
    ctx.skipped.push({ target: id, scenario: 'sync', reason });
  };
  const solo: TargetDef = { ...HANDOFFS[0]!, id: 'sync-uncontended', label: '@ipckit/sync uncontended', variant: 'mutex' };

  // Uncontended: one process.
  try {
    await runner.withSession(solo, 64, async (session) => {
      const peer = await session.spawn(session.spec('solo'));
      for (const u of UNCONTENDED) {
        ctx.each(`sync · ${u.label}`);
        try {
          const { value, machine } = await underLoad(0, profile, () =>
            peer.handle.request(
              'uncontended',
              { api: u.id, name: uniqueName('ipckit-bench'), warmMs: profile.syncWarmMs, budgetMs: profile.syncBudgetMs, trials: profile.trials },
              profile.watchdogMs,
            ),
          );
          const trials = value['trials'] as Array<{ ops: number; elapsedNs: number }>;
          const perOp = trials.map((t) => t.elapsedNs / t.ops);
          out.push({
            id: u.id,
            label: u.label,
            measure: 'uncontended',
            description: u.description,
            perOpNs: median(perOp),
            operations: trials.reduce((n, t) => n + t.ops, 0),
            ratios: {},
            spread: spreadOf('perOpNs', perOp),
            machine,
          });
        } catch (error) {
          skip(u.id, `failed: ${firstLine(error)}`);
        }
      }
    });
  } catch (error) {
    for (const u of UNCONTENDED) if (!out.some((r) => r.id === u.id)) skip(u.id, `failed: ${firstLine(error)}`);
  }

  // Hand-offs and the reference round trips: the ping-pong of every transport.
  const pingPongs: Array<{ target: TargetDef; probe: Probe; size: number }> = [
    ...HANDOFFS.map((target) => ({ target, probe: { available: true, duplex: true }, size: REFERENCE_BYTES })),
    ...runner.references.map((r) => ({ ...r, size: REFERENCE_BYTES })),
  ];
  for (const { target, probe, size } of pingPongs) {
    const results: CaseResult[] = [];
    const plan: Planned = { target, probe, scenario: 'ping-pong', sizes: [size], loads: [0] };
    const reference = target.family !== 'sync';
    const label = reference ? `${target.label} round trip, ${size} B` : target.label;
    try {
      await runner.withSession(target, size, (session) => runPingPong(session, plan, { ...ctx, results, each: () => ctx.each(`sync · ${label}`) }));
    } catch (error) {
      skip(target.id, `failed: ${firstLine(error)}`);
      continue;
    }
    const r = results[0];
    if (!r?.latencyNs) continue;
    out.push({
      id: reference ? `handoff-${target.id}` : target.id,
      label,
      measure: 'hand-off',
      description: reference ? `for comparison: ${target.description}` : target.description,
      latencyNs: r.latencyNs,
      operations: r.operations,
      ratios: {},
      ...(r.spread ? { spread: r.spread } : {}),
      ...(r.machine ? { machine: r.machine } : {}),
    });
  }

  const floor = out.find((r) => r.id === 'floor')?.perOpNs;
  const pipe = out.find((r) => r.id === 'handoff-pipe')?.latencyNs?.p50;
  for (const r of out) {
    if (r.perOpNs !== undefined && floor) r.ratios.toFloor = r.perOpNs / floor;
    if (r.latencyNs && pipe) r.ratios.toPipe = r.latencyNs.p50 / pipe;
  }
  return out;
}
