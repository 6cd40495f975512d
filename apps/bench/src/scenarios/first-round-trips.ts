/**
 * The first round trips after connect (issue 20 §1): what a short program
 * sees (a CLI call, a request burst, a test), which a warmed-up ping-pong
 * hides. Every trial starts a fresh echo process and a fresh pinger process,
 * connects them, and records each of the pinger's first `firstCount`
 * round trips of `firstBytes` bytes: no warm-up, nothing learned before. The
 * figures are the medians over the trials of each trial's percentiles. The
 * cases go to their own list (`firstRoundTrips` in the JSON), beside the
 * steady-state `results`.
 */
import { caseLabel, underLoad, type CaseContext, type Planned } from '../case.js';
import type { CaseResult } from '../results.js';
import type { Session } from '../session.js';
import { medianOf, spreadOf } from '../stats.js';
import { pingPongTrial, type PingPongTrial } from './ping-pong.js';

/**
 * Runs the case of one target into `first`: `fresh()` makes the session of
 * one trial (its peers are stopped when the trial ends, so the next starts cold).
 */
export async function runFirstRoundTrips(fresh: () => Session, plan: Planned, ctx: CaseContext, first: CaseResult[]): Promise<void> {
  const { profile } = ctx;
  const size = plan.sizes[0] ?? profile.firstBytes;
  const count = profile.firstCount;
  const timeout = profile.watchdogMs;
  const label = caseLabel(plan.target, 'first-round-trips', size, 1, 0, undefined, count);
  ctx.each(label);

  async function trial(): Promise<PingPongTrial> {
    const session = fresh();
    try {
      const server = await session.spawn(session.spec('echo'));
      const [client] = await session.connectAll(server, 'pinger', 1, plan.probe.duplex !== false);
      // The first command after connect: nothing has gone over the channel before these round trips.
      return await pingPongTrial(server, client!, size, count, timeout);
    } finally {
      await session.close();
    }
  }

  const { value: trials, machine } = await underLoad(0, profile, async () => {
    const trials: PingPongTrial[] = [];
    for (let t = 0; t < profile.trials; t++) trials.push(await trial());
    return trials;
  });
  first.push({
    target: plan.target.id,
    targetLabel: plan.target.label,
    kind: plan.target.kind,
    scenario: 'first-round-trips',
    direction: 'round trip',
    label,
    sizeBytes: size,
    operations: count * trials.length,
    writers: 1,
    durationNs: trials.reduce((n, t) => n + t.elapsedNs, 0),
    load: 0,
    latencyNs: medianOf(trials.map((t) => t.latency)),
    cpu: medianOf(trials.map((t) => t.cpu)),
    peakRssBytes: trials[trials.length - 1]!.rss,
    ratios: {},
    spread: spreadOf(
      'latencyNs.p50',
      trials.map((t) => t.latency.p50),
    ),
    machine,
  });
}
