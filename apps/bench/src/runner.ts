/**
 * The orchestrator: probes the targets, plans the cases, starts the peer
 * processes of each (target, scenario), runs the scenarios (scenarios/) and
 * collects the results. A failing case is recorded as not measured with its
 * reason and the run goes on.
 */
import { availableParallelism } from 'node:os';
import { caseLabel, firstLine, type CaseContext, type Planned } from './case.js';
import { ControlServer } from './control.js';
import { collectEnvironment } from './environment.js';
import { checkGoals } from './goals.js';
import { formatSize } from './format.js';
import { QUIET_OTHER_CORES, QUIET_STEAL_PERCENT } from './machine.js';
import { runMemcpy } from './memcpy.js';
import type { Profile } from './profile.js';
import { computeRatios } from './ratios.js';
import {
  SCHEMA,
  type BenchRun,
  type CaseResult,
  type FanOutResult,
  type IdleResult,
  type ScenarioId,
  type SkippedCase,
  type SyncResult,
  type TargetInfo,
} from './results.js';
import { IDLE_MESSAGE_BYTES, idleLabel, runIdle } from './scenarios/idle.js';
import { fanOutCases, runFanOut } from './scenarios/fan-out.js';
import { FAN_OUT_HEADER_BYTES } from './peers/topics.js';
import { runManyChannels } from './scenarios/many-channels.js';
import { runFirstRoundTrips } from './scenarios/first-round-trips.js';
import { runPingPong } from './scenarios/ping-pong.js';
import { runStreaming } from './scenarios/streaming.js';
import { REFERENCE_BYTES, runSync, syncCaseCount } from './scenarios/sync.js';
import { Session } from './session.js';
import { TARGETS, type Probe, type TargetDef } from './targets.js';

export interface Progress {
  /** A case starts: `done` of `total` cases are finished. */
  start(label: string, done: number, total: number): void;
  /** A line worth keeping (a skipped target, a failed case). */
  note(line: string): void;
}

export interface RunConfig {
  profile: Profile;
  /** Target ids, in any order (the report keeps the table's order). */
  targets: string[];
  /** The scenarios; `contention` adds a loaded twin of every ping-pong and stream case. */
  scenarios: Array<ScenarioId | 'contention'>;
  /** Busy processes of the contention scenario (default: one per core). */
  load?: number;
  command: string;
  underWine?: boolean;
  wineVersion?: string;
  progress?: Progress;
}

const silent: Progress = { start() {}, note() {} };

/** Scenarios a busy-process twin of each case is run for. */
const LOADED_SCENARIOS: ScenarioId[] = ['ping-pong', 'stream'];

/** Topics over channels add a header to every message (docs/topics.md: "the transport's largest less 16"). */
const TOPIC_FRAME_BYTES = 16;

function casesOf(p: Planned, profile: Profile): number {
  if (p.scenario === 'idle' || p.scenario === 'first-round-trips') return 1;
  if (p.scenario === 'fan-out') return fanOutCases(p, profile).length;
  if (p.scenario === 'many-channels') return p.channels?.length ?? 0;
  return p.sizes.length * p.loads.length;
}

function plan(config: RunConfig, loads: number[], probes: Map<string, Probe>, skipped: SkippedCase[]): Planned[] {
  const planned: Planned[] = [];
  const { profile } = config;
  for (const target of TARGETS) {
    if (!config.targets.includes(target.id)) continue;
    const probe = probes.get(target.id);
    if (!probe?.available) continue;
    for (const scenario of target.scenarios) {
      if (scenario !== 'memcpy' && !config.scenarios.includes(scenario)) continue;
      const loaded = LOADED_SCENARIOS.includes(scenario) && target.quietOnly === undefined;
      if (LOADED_SCENARIOS.includes(scenario) && target.quietOnly !== undefined && loads.length > 1)
        skipped.push({ target: target.id, scenario, load: loads[loads.length - 1], reason: `quiet only: ${target.quietOnly}` });
      const base = { target, probe, scenario, loads: loaded ? loads : [0] };
      if (scenario === 'idle') {
        planned.push({ ...base, sizes: [] });
        continue;
      }
      if (scenario === 'fan-in' && probe.manyWriters === false) {
        skipped.push({ target: target.id, scenario, reason: probe.noFanIn ?? `${target.label} does not take many writers on one name` });
        continue;
      }
      if (scenario === 'fan-out') {
        if (probe.topics !== true) {
          skipped.push({ target: target.id, scenario, reason: `${target.label} has no topics (capabilities.topics is false)` });
          continue;
        }
        const largest = probe.maxMessageBytes === undefined ? undefined : probe.maxMessageBytes - (target.family === 'zmq' ? 0 : TOPIC_FRAME_BYTES);
        const sizes: number[] = [];
        for (const size of profile.fanOutSizes) {
          if (size < FAN_OUT_HEADER_BYTES)
            skipped.push({
              target: target.id,
              scenario,
              sizeBytes: size,
              reason: `${formatSize(size)} is under the ${FAN_OUT_HEADER_BYTES}-byte header the fan-out messages carry`,
            });
          else if (largest !== undefined && size > largest)
            skipped.push({
              target: target.id,
              scenario,
              sizeBytes: size,
              reason: `${formatSize(size)} is over ${target.label}'s largest topic message (${largest} bytes)`,
            });
          else sizes.push(size);
        }
        if (sizes.length) planned.push({ ...base, sizes, subscribers: profile.fanOutSubscribers });
        continue;
      }
      if (scenario === 'many-channels') {
        if (probe.duplex === false) {
          skipped.push({ target: target.id, scenario, reason: `${target.label} is one-way: a channel cannot carry the echo back` });
          continue;
        }
        // A count the transport refuses is reported by the scenario, with the transport's own error.
        planned.push({ ...base, sizes: [profile.channelBytes], channels: profile.channels });
        continue;
      }
      const sizes: number[] = [];
      // first-round-trips: one size (64 B), whatever --sizes says: the figure issue 20 §1 names.
      for (const size of scenario === 'first-round-trips' ? [profile.firstBytes] : profile.sizes) {
        if (probe.maxMessageBytes !== undefined && size > probe.maxMessageBytes) {
          skipped.push({
            target: target.id,
            scenario,
            sizeBytes: size,
            reason: `${formatSize(size)} is over ${target.label}'s largest message (${probe.maxMessageBytes} bytes)`,
          });
        } else sizes.push(size);
      }
      if (sizes.length) planned.push({ ...base, sizes });
    }
  }
  return planned;
}

async function probeTarget(target: TargetDef): Promise<Probe> {
  try {
    return await target.probe();
  } catch (error) {
    return { available: false, reason: firstLine(error) };
  }
}

/** Runs the whole benchmark. */
export async function runBench(config: RunConfig): Promise<BenchRun> {
  const started = Date.now();
  const progress = config.progress ?? silent;
  const { profile } = config;
  const environment = collectEnvironment({ underWine: config.underWine ?? false, ...(config.wineVersion ? { wineVersion: config.wineVersion } : {}) });
  const contention = config.scenarios.includes('contention') || (config.load ?? 0) > 0;
  const load = contention ? (config.load ?? availableParallelism()) : 0;
  const loads = load > 0 ? [0, load] : [0];
  const targets: TargetInfo[] = [];
  const probes = new Map<string, Probe>();
  for (const target of TARGETS) {
    if (!config.targets.includes(target.id)) continue;
    const probe = await probeTarget(target);
    probes.set(target.id, probe);
    targets.push({
      id: target.id,
      label: target.label,
      kind: target.kind,
      available: probe.available,
      ...(probe.backend ? { backend: probe.backend } : {}),
      ...(probe.reason ? { reason: probe.reason } : {}),
    });
    if (!probe.available) progress.note(`not available: ${target.label} — ${probe.reason ?? 'unknown reason'}`);
  }
  // What a target needs running (nats://: its server), started once for the run.
  const teardowns: Array<() => Promise<void>> = [];
  try {
    return await measure();
  } finally {
    for (const stop of teardowns.reverse()) await stop().catch(() => undefined);
  }

  async function measure(): Promise<BenchRun> {
    for (const target of TARGETS) {
      const probe = probes.get(target.id);
      if (!target.setup || !probe?.available) continue;
      try {
        teardowns.push(await target.setup());
      } catch (error) {
        probe.available = false;
        probe.reason = `could not start what it needs: ${firstLine(error)}`;
        const info = targets.find((t) => t.id === target.id);
        if (info) {
          info.available = false;
          info.reason = probe.reason;
        }
        progress.note(`not available: ${target.label} — ${probe.reason}`);
      }
    }

    const skipped: SkippedCase[] = [];
    const planned = plan(config, loads, probes, skipped);
    // The sync scenario's reference round trips: pipe:// and the Atomics floor, whether or not they were chosen as targets.
    const syncReferences: Array<{ target: TargetDef; probe: Probe }> = [];
    if (config.scenarios.includes('sync')) {
      for (const id of ['pipe', 'atomics']) {
        const target = TARGETS.find((t) => t.id === id)!;
        const probe = probes.get(id) ?? (await probeTarget(target));
        if (probe.available) syncReferences.push({ target, probe });
        else skipped.push({ target: `handoff-${id}`, scenario: 'sync', reason: `${target.label} is not available: ${probe.reason ?? '?'}` });
      }
    }
    const syncCases = config.scenarios.includes('sync') ? syncCaseCount(syncReferences.length) : 0;
    const total = planned.reduce((n, p) => n + casesOf(p, profile), 0) + syncCases;
    let done = 0;
    const results: CaseResult[] = [];
    const idle: IdleResult[] = [];
    const fanOut: FanOutResult[] = [];
    const first: CaseResult[] = [];
    let sync: SyncResult[] | undefined;
    const control = new ControlServer();
    await control.start();
    const ctx: CaseContext = {
      profile,
      each: (label) => progress.start(label, done++, total),
      results,
      skipped,
    };
    try {
      for (const p of planned) {
        const writers = p.scenario === 'fan-in' ? profile.writers : 1;
        const groupStart = done;
        const maxSize = p.scenario === 'idle' ? IDLE_MESSAGE_BYTES : Math.max(...p.sizes);
        const session = new Session(control, p.target, profile, maxSize);
        try {
          if (p.scenario === 'memcpy') await runMemcpy(p.target, p.sizes, profile, ctx);
          else if (p.scenario === 'ping-pong') await runPingPong(session, p, ctx);
          else if (p.scenario === 'first-round-trips') await runFirstRoundTrips(() => new Session(control, p.target, profile, maxSize), p, ctx, first);
          else if (p.scenario === 'many-channels') await runManyChannels(session, p, ctx);
          else if (p.scenario === 'fan-out') await runFanOut(session, p, ctx, fanOut);
          else if (p.scenario === 'idle') {
            ctx.each(idleLabel(p.target, profile.idleMs));
            await runIdle(session, p, profile, idle);
          } else await runStreaming(session, p, writers, ctx);
        } catch (error) {
          const reason = `failed: ${firstLine(error)}`;
          if (p.scenario === 'idle') skipped.push({ target: p.target.id, scenario: p.scenario, reason });
          else if (p.scenario === 'fan-out') {
            // The peers did not start: every case not yet measured or noted.
            const key = (size: number, n: number): string => `${size}/${n}`;
            const seen = new Set([
              ...fanOut.filter((r) => r.target === p.target.id).map((r) => key(r.sizeBytes, r.subscribers)),
              ...skipped.filter((x) => x.target === p.target.id && x.scenario === 'fan-out').map((x) => key(x.sizeBytes ?? 0, x.subscribers ?? 0)),
            ]);
            for (const c of fanOutCases(p, profile))
              if (!seen.has(key(c.size, c.subscribers)))
                skipped.push({ target: p.target.id, scenario: 'fan-out', sizeBytes: c.size, subscribers: c.subscribers, reason });
          } else if (p.scenario === 'many-channels') {
            const measured = new Set(results.filter((r) => r.target === p.target.id && r.scenario === p.scenario).map((r) => r.channels));
            const noted = new Set(skipped.filter((s) => s.target === p.target.id && s.scenario === p.scenario).map((s) => s.channels));
            for (const channels of p.channels ?? [])
              if (!measured.has(channels) && !noted.has(channels))
                skipped.push({ target: p.target.id, scenario: p.scenario, sizeBytes: p.sizes[0], channels, reason });
          } else {
            const key = (size: number, l: number): string => `${size}/${l}`;
            const measured = new Set([
              ...[...results, ...first].filter((r) => r.target === p.target.id && r.scenario === p.scenario).map((r) => key(r.sizeBytes, r.load ?? 0)),
              ...skipped.filter((x) => x.target === p.target.id && x.scenario === p.scenario).map((x) => key(x.sizeBytes ?? 0, x.load ?? 0)),
            ]);
            for (const size of p.sizes)
              for (const l of p.loads)
                if (!measured.has(key(size, l)))
                  skipped.push({ target: p.target.id, scenario: p.scenario, sizeBytes: size, ...(l ? { load: l } : {}), reason });
          }
          progress.note(`${caseLabel(p.target, p.scenario, p.sizes[0] ?? 0, writers)}: ${reason}`);
        } finally {
          await session.close();
        }
        done = groupStart + casesOf(p, profile);
      }
      if (syncCases) {
        const groupStart = done;
        sync = await runSync(ctx, {
          references: syncReferences,
          async withSession(target, maxSize, body) {
            const session = new Session(control, target, profile, maxSize);
            try {
              await body(session);
            } finally {
              await session.close();
            }
          },
        });
        done = groupStart + syncCases;
      }
    } finally {
      await control.close();
    }
    progress.start('done', total, total);
    // The first round trips are held against the floor's first round trips and the steady ping-pong.
    computeRatios([...results, ...first]);

    const notes = [
      'Latency figures are round trips (a message there and back); throughput figures are one-way.',
      `Every figure is the median of ${profile.trials} trial${profile.trials === 1 ? '' : 's'} after one warm-up; "spread" is (max − min) / median of the trials' headline figure.`,
      'CPU per message is user + system time of every process of the case over the measured phase, divided by the messages (a round trip is two messages).',
      "Peak memory is each process's maxRSS; the peers of one scenario serve every size in turn (smallest first), so it is the peak up to that size.",
      'MB/s counts payload bytes, 1 MB = 10^6 bytes.',
      `A case is "quiet" when, over its wall time, processes outside this run used under ${QUIET_OTHER_CORES * 100} % of one core and the hypervisor stole under ${QUIET_STEAL_PERCENT} % of the CPU time (Linux /proc; not checked elsewhere).`,
    ];
    if (load) notes.push(`Contention: every ping-pong and stream case ran twice, quiet and beside ${load} busy processes (for (;;) {}) started by this run.`);
    if (first.length)
      notes.push(
        `first round trips after connect: each trial starts a fresh echo process and a fresh pinger process, connects them and records the pinger's first ${profile.firstCount} round trips of ${formatSize(profile.firstBytes)}, with no warm-up; ×floor is over the Atomics floor's first round trips in this run.`,
      );
    if (idle.length)
      notes.push(
        `Idle CPU is each process's user + system time over ${profile.idleMs / 1000} s with nothing sent, as a percentage of one core (100 % = one core busy).`,
      );
    if (fanOut.length)
      notes.push(
        `fan-out: one publisher process, N subscriber processes on one topic; delivered rate counts every subscriber's deliveries of the burst (about ${formatSize(profile.fanOutBudgetBytes)} delivered in all, ${profile.fanOutMin} to ${profile.fanOutMax} messages); publisher CPU is its process.cpuUsage over the burst per message sent; subscriber p50 is over ${profile.fanOutPaced} paced messages (${profile.fanOutGapMs} ms pause after each), send time in the payload, the median of the subscribers' p50s; "loss check" is every subscriber's received + missed = published with no silent gap.`,
      );
    if (sync) notes.push(`sync: the hand-offs are compared with a pipe:// round trip of ${REFERENCE_BYTES} B measured in the same scenario.`);
    if (environment.underWine) notes.unshift(`${environment.label}.`);
    const run: BenchRun = {
      schema: SCHEMA,
      createdAt: new Date(started).toISOString(),
      command: config.command,
      durationMs: Date.now() - started,
      options: {
        profile: profile.name,
        sizes: profile.sizes,
        scenarios: config.scenarios.filter((s): s is ScenarioId => s !== 'contention'),
        targets: config.targets,
        writers: profile.writers,
        budgetMs: profile.pingBudgetMs,
        trials: profile.trials,
        ...(config.scenarios.includes('idle') ? { idleMs: profile.idleMs } : {}),
        ...(load ? { load } : {}),
        ...(config.scenarios.includes('many-channels') ? { channels: profile.channels } : {}),
        ...(config.scenarios.includes('fan-out') ? { fanOut: { subscribers: profile.fanOutSubscribers, sizes: profile.fanOutSizes } } : {}),
        ...(config.scenarios.includes('first-round-trips') ? { firstRoundTrips: { count: profile.firstCount, sizeBytes: profile.firstBytes } } : {}),
      },
      environment,
      targets,
      results,
      ...(first.length ? { firstRoundTrips: first } : {}),
      idle,
      ...(fanOut.length ? { fanOut } : {}),
      ...(sync ? { sync } : {}),
      skipped,
      notes,
    };
    run.goals = checkGoals(run);
    return run;
  }
}
