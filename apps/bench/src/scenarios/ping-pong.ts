/** Ping-pong: one echo process, one pinger process; every sample a round trip. */
import { caseLabel, eachCase, underLoad, type CaseContext, type Planned } from '../case.js';
import { decodeSamples, type CpuSnapshot } from '../peers/common.js';
import type { CpuCost, LatencyStats, Warmup } from '../results.js';
import { cpuOf, delta, type Peer, type Session } from '../session.js';
import { clampCount, latencyStats, medianOf, spreadOf } from '../stats.js';
import { warmUntilSteady } from '../warmup.js';

/** User + system CPU of every role, per message. */
export function cpuCost(byRole: Record<string, CpuSnapshot>, messages: number): CpuCost {
  let user = 0;
  let system = 0;
  const roles: Record<string, number> = {};
  for (const [role, cpu] of Object.entries(byRole)) {
    user += cpu.userUs * 1000;
    system += cpu.systemUs * 1000;
    roles[role] = (cpu.userUs + cpu.systemUs) * 1000;
  }
  return { perMessageNs: (user + system) / messages, userNs: user, systemNs: system, byRole: roles };
}

/** One trial of `count` recorded round trips: its time, latency percentiles, CPU per message and peak RSS by role. */
export interface PingPongTrial {
  count: number;
  elapsedNs: number;
  latency: LatencyStats;
  cpu: CpuCost;
  rss: Record<string, number>;
}

/**
 * One trial between an echo peer and a pinger peer already connected: the
 * pinger's `count` round trips of `size` bytes, each recorded, with both
 * processes' CPU over it (`begin`/`end` on the echo side).
 */
export async function pingPongTrial(server: Peer, client: Peer, size: number, count: number, timeoutMs: number): Promise<PingPongTrial> {
  const s0 = cpuOf(await server.handle.request('begin'));
  const run = await client.handle.request('pp', { size, count, record: true }, timeoutMs);
  const end = await server.handle.request('end', {}, timeoutMs);
  const serverCpu = end['cpu'] ? cpuOf(end['cpu']) : delta(s0, cpuOf(end));
  const clientCpu = cpuOf(run['cpu']);
  return {
    count,
    elapsedNs: Number(run['elapsedNs']),
    latency: latencyStats(decodeSamples(String(run['samples']))),
    cpu: cpuCost({ client: clientCpu, server: serverCpu }, 2 * count),
    rss: { client: clientCpu.maxRssBytes, server: serverCpu.maxRssBytes },
  };
}

export async function runPingPong(session: Session, plan: Planned, ctx: CaseContext): Promise<void> {
  const { profile } = ctx;
  const server = await session.spawn(session.spec('echo'));
  const [client] = await session.connectAll(server, 'pinger', 1, plan.probe.duplex !== false);
  const timeout = profile.watchdogMs;

  for (const size of plan.sizes) {
    for (const load of plan.loads) {
      ctx.each(caseLabel(plan.target, 'ping-pong', size, 1, load));
      const skip = { target: plan.target.id, scenario: 'ping-pong' as const, sizeBytes: size, ...(load ? { load } : {}) };
      await eachCase(
        skip,
        async () => {
          let warmup: Warmup | undefined;
          const { value: trials, machine } = await underLoad(load, profile, async () => {
            // Warm-up, in rounds by time, until the round trip is steady; it also tells how many fit the budget.
            const warmed = await warmUntilSteady(profile, async () => {
              await server.handle.request('begin');
              const warm = await client!.handle.request('pp', { size, count: 20, budgetMs: profile.pingWarmMs }, timeout);
              await server.handle.request('end', {}, timeout);
              return Number(warm['elapsedNs']) / Number(warm['count']);
            });
            warmup = warmed.warmup;
            const perRoundTrip = warmed.perOperationNs;
            // Enough round trips for the budget, at least pingMin for the tail percentiles, unless a
            // round trip is so slow that pingMin would take over 4 budgets (then 300, or what fits).
            let count = clampCount((profile.pingBudgetMs * 1e6) / perRoundTrip, profile.pingMin, profile.pingMax);
            const cap = Math.floor((4 * profile.pingBudgetMs * 1e6) / perRoundTrip);
            if (count > cap) count = Math.max(Math.min(300, profile.pingMin), cap);
            const trials: PingPongTrial[] = [];
            for (let t = 0; t < profile.trials; t++) trials.push(await pingPongTrial(server, client!, size, count, timeout));
            return trials;
          });
          const last = trials[trials.length - 1]!;
          ctx.results.push({
            target: plan.target.id,
            targetLabel: plan.target.label,
            kind: plan.target.kind,
            scenario: 'ping-pong',
            direction: 'round trip',
            label: caseLabel(plan.target, 'ping-pong', size, 1, load),
            sizeBytes: size,
            operations: trials.reduce((n, t) => n + t.count, 0),
            writers: 1,
            durationNs: trials.reduce((n, t) => n + t.elapsedNs, 0),
            load,
            latencyNs: medianOf(trials.map((t) => t.latency)),
            cpu: medianOf(trials.map((t) => t.cpu)),
            peakRssBytes: last.rss,
            ratios: {},
            spread: spreadOf(
              'latencyNs.p50',
              trials.map((t) => t.latency.p50),
            ),
            machine,
            ...(warmup ? { warmup } : {}),
          });
        },
        ctx.skipped,
      );
    }
  }
}
