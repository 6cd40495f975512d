/**
 * The speed goals of issue 13 (shm:// on a busy machine, large messages,
 * many channels, the peers users would pick instead), issue 10 §4 (the
 * async wait of @ipckit/sync), issue 19 §5 (the fan-out scenario) and
 * issue 20 §1 (the first round trips after connect), checked against the
 * figures of one run, so that a reader sees at once which hold and on which
 * figures. Goals are judged by the benchmark, never by tests. A goal whose
 * figures are not in the run (a scenario or target not chosen) is "not
 * measured"; a verdict that rests on a case measured on a machine that was
 * not quiet says so.
 */
import { formatCount, formatNs, formatPercent, formatSize, sig } from './format.js';
import type { BenchRun, CaseResult, FanOutResult, GoalCheck } from './results.js';

const KiB = 1024;

interface Check {
  ok: boolean;
  text: string;
  polluted: boolean;
}

function polluted(...cases: Array<{ machine?: { quiet: boolean | null } } | undefined>): boolean {
  return cases.some((c) => c?.machine?.quiet === false);
}

/** A goal from its checks: met when every check holds; the failing ones listed first. */
function goal(id: string, text: string, checks: Check[], none: string): GoalCheck {
  if (checks.length === 0) return { id, goal: text, met: null, detail: none, polluted: false };
  const failing = checks.filter((c) => !c.ok);
  const shown = [...failing, ...checks.filter((c) => c.ok)].slice(0, 4).map((c) => c.text);
  const more = checks.length > 4 ? `; ${checks.length - 4} more` : '';
  return { id, goal: text, met: failing.length === 0, detail: `${shown.join('; ')}${more}`, polluted: checks.some((c) => c.polluted) };
}

export function checkGoals(run: BenchRun): GoalCheck[] {
  const results = run.results;
  const find = (target: string, scenario: string, size: number, load = 0): CaseResult | undefined =>
    results.find((r) => r.target === target && r.scenario === scenario && r.sizeBytes === size && (r.load ?? 0) === load);
  const shmTargets = [...new Set(results.filter((r) => r.target.startsWith('shm') && r.kind === 'transport').map((r) => r.target))];
  const labelOf = (id: string): string => results.find((r) => r.target === id)?.targetLabel ?? id;
  const goals: GoalCheck[] = [];

  // §4: the peers a Node user would pick instead, quiet, at 64 B (or the smallest size both measured).
  const zmqSize = (target: string): number | undefined => {
    const sizes = results.filter((r) => r.target === 'zmq-ipc' && r.scenario === 'ping-pong' && !r.load).map((r) => r.sizeBytes);
    const mine = new Set(results.filter((r) => r.target === target && r.scenario === 'ping-pong' && !r.load).map((r) => r.sizeBytes));
    const common = sizes.filter((s) => mine.has(s)).sort((a, b) => a - b);
    return common.includes(64) ? 64 : common[0];
  };
  const vsZmq = (target: string, factor: number): Check[] => {
    const size = zmqSize(target);
    if (size === undefined) return [];
    const mine = find(target, 'ping-pong', size)!;
    const zmq = find('zmq-ipc', 'ping-pong', size)!;
    const speedup = zmq.latencyNs!.p50 / mine.latencyNs!.p50;
    return [
      {
        ok: speedup >= factor,
        text: `${formatSize(size)}: ${labelOf(target)} ${formatNs(mine.latencyNs!.p50)}, zeromq ipc:// ${formatNs(zmq.latencyNs!.p50)}: ×${sig(speedup)} as fast`,
        polluted: polluted(mine, zmq),
      },
    ];
  };
  goals.push(
    goal(
      '13.4-pipe-vs-zmq',
      'issue 13 §4: pipe:// round trip at least 2× as fast as zeromq ipc:// (quiet)',
      vsZmq('pipe', 2),
      'needs pipe and zmq-ipc ping-pong',
    ),
  );
  for (const t of shmTargets) {
    goals.push(
      goal(`13.4-${t}-vs-zmq`, `issue 13 §4: ${labelOf(t)} round trip at least 50× as fast as zeromq ipc:// (quiet)`, vsZmq(t, 50), 'needs zmq-ipc ping-pong'),
    );
  }

  // §1 on a busy machine: the contention scenario's loaded cases.
  const loaded = results.filter((r) => (r.load ?? 0) > 0);
  for (const t of shmTargets) {
    const p50: Check[] = [];
    const p99: Check[] = [];
    const rate: Check[] = [];
    for (const r of loaded.filter((x) => x.target === t)) {
      const pipe = find('pipe', r.scenario, r.sizeBytes, r.load);
      if (!pipe) continue;
      if (r.latencyNs && pipe.latencyNs) {
        const ratio = r.latencyNs.p50 / pipe.latencyNs.p50;
        p50.push({
          ok: ratio <= 0.2,
          text: `${formatSize(r.sizeBytes)}: ${formatNs(r.latencyNs.p50)} vs ${formatNs(pipe.latencyNs.p50)} (×${sig(ratio)})`,
          polluted: polluted(r, pipe),
        });
        p99.push({
          ok: r.latencyNs.p99 <= pipe.latencyNs.p99,
          text: `${formatSize(r.sizeBytes)}: p99 ${formatNs(r.latencyNs.p99)} vs ${formatNs(pipe.latencyNs.p99)}`,
          polluted: polluted(r, pipe),
        });
      }
      if (r.scenario === 'stream' && r.throughput && pipe.throughput) {
        rate.push({
          ok: r.throughput.messagesPerSec >= pipe.throughput.messagesPerSec,
          text: `${formatSize(r.sizeBytes)}: ${formatCount(r.throughput.messagesPerSec)}/s vs ${formatCount(pipe.throughput.messagesPerSec)}/s`,
          polluted: polluted(r, pipe),
        });
      }
    }
    const none = 'needs --load (or --scenarios contention) with pipe';
    goals.push(goal(`13.1-${t}-loaded-p50`, `issue 13 §1: loaded, ${labelOf(t)} p50 round trip ≤ 0.2× pipe://'s, every size`, p50, none));
    goals.push(goal(`13.1-${t}-loaded-p99`, `issue 13 §1: loaded, ${labelOf(t)} p99 round trip ≤ pipe://'s p99, every size`, p99, none));
    goals.push(goal(`13.1-${t}-loaded-stream`, `issue 13 §1: loaded, ${labelOf(t)} streaming message rate ≥ pipe://'s, every size`, rate, none));
  }

  // §1 quiet: nothing gets worse.
  for (const t of shmTargets) {
    const mine = find(t, 'ping-pong', 64);
    const floor = find('atomics', 'ping-pong', 64);
    const checks: Check[] =
      mine?.latencyNs && floor?.latencyNs
        ? [
            {
              ok: mine.latencyNs.p50 <= 1.5 * floor.latencyNs.p50,
              text: `64 B: ${formatNs(mine.latencyNs.p50)} vs the floor's ${formatNs(floor.latencyNs.p50)} (×${sig(mine.latencyNs.p50 / floor.latencyNs.p50)})`,
              polluted: polluted(mine, floor),
            },
          ]
        : [];
    goals.push(
      goal(
        `13.1-${t}-floor`,
        `issue 13 §1: quiet, ${labelOf(t)} 64 B round trip within 1.5× the Atomics floor`,
        checks,
        'needs 64 B ping-pong with the atomics baseline',
      ),
    );
    const stream = find(t, 'stream', 64);
    const min = t === 'shm' ? 0.5e6 : 2e6;
    goals.push(
      goal(
        `13.1-${t}-stream64`,
        `issue 13 §1: quiet, ${labelOf(t)} streams 64 B at ≥ ${formatCount(min)} msg/s`,
        stream?.throughput
          ? [{ ok: stream.throughput.messagesPerSec >= min, text: `${formatCount(stream.throughput.messagesPerSec)}/s`, polluted: polluted(stream) }]
          : [],
        'needs 64 B stream',
      ),
    );
    const idle = run.idle?.find((r) => r.target === t);
    const reader = idle?.cpuPercent['reader'];
    goals.push(
      goal(
        `13.1-${t}-idle`,
        `issue 13 §1: quiet, an idle ${labelOf(t)} receiver under 2 % of a core`,
        reader === undefined ? [] : [{ ok: reader < 2, text: `reader ${formatPercent(reader)}`, polluted: polluted(idle) }],
        'needs the idle scenario',
      ),
    );
  }

  // §2: large messages against the cache-hot memcpy ceiling of the same run.
  for (const t of shmTargets) {
    const big: Check[] = [];
    const large: Check[] = [];
    for (const r of results.filter((x) => x.target === t && x.scenario === 'stream' && !x.load && x.ratios.toCeiling !== undefined)) {
      const share = r.ratios.toCeiling!;
      const check = (min: number): Check => ({
        ok: share >= min,
        text: `${formatSize(r.sizeBytes)}: ${(share * 100).toPrecision(2)} %`,
        polluted: polluted(r),
      });
      if (r.sizeBytes >= 64 * KiB && r.sizeBytes <= 1024 * KiB) big.push(check(0.5));
      if (r.sizeBytes >= 4 * KiB) large.push(check(0.1));
    }
    const none = 'needs stream sizes in range with the memcpy baseline';
    goals.push(goal(`13.2-${t}-large`, `issue 13 §2: ${labelOf(t)} streams 64 KiB–1 MiB at ≥ 50 % of the memcpy ceiling (cache-hot)`, big, none));
    goals.push(goal(`13.2-${t}-4k`, `issue 13 §2: ${labelOf(t)} streams every size ≥ 4 KiB at ≥ 10 % of the memcpy ceiling (cache-hot)`, large, none));
  }

  // Issue 20 §2: the copying paths (send(bytes) / for await, receiveSync()) at large sizes.
  const copying = ['shm', 'shm-sync'].filter((t) => shmTargets.includes(t));
  const memoryShare: Check[] = [];
  const overPipe: Check[] = [];
  for (const r of results.filter((x) => copying.includes(x.target) && x.sizeBytes >= 4 * KiB && x.sizeBytes <= 16 * 1024 * KiB)) {
    const where = `${labelOf(r.target)} ${r.scenario} ${formatSize(r.sizeBytes)}${r.load ? ` beside --load ${r.load}` : ''}`;
    if (r.scenario === 'stream' && !r.load && r.sizeBytes >= 64 * KiB && r.ratios.toMemoryCeiling !== undefined) {
      memoryShare.push({ ok: r.ratios.toMemoryCeiling >= 0.5, text: `${where}: ${(r.ratios.toMemoryCeiling * 100).toPrecision(2)} %`, polluted: polluted(r) });
    }
    const pipe = find('pipe', r.scenario, r.sizeBytes, r.load ?? 0);
    if (r.scenario === 'stream' && r.throughput && pipe?.throughput) {
      const ratio = r.throughput.messagesPerSec / pipe.throughput.messagesPerSec;
      overPipe.push({ ok: ratio > 1, text: `${where}: ×${sig(ratio)} pipe's rate`, polluted: polluted(r, pipe) });
    }
    if (r.scenario === 'ping-pong' && r.latencyNs && pipe?.latencyNs) {
      const ratio = r.latencyNs.p50 / pipe.latencyNs.p50;
      overPipe.push({ ok: ratio < 1, text: `${where}: p50 ×${sig(ratio)} pipe's`, polluted: polluted(r, pipe) });
    }
  }
  goals.push(
    goal(
      '20.2-memory-ceiling',
      'issue 20 §2: quiet, shm:// copying streams (async and receiveSync()) at ≥ 64 KiB reach ≥ 50 % of the memory-bound memcpy ceiling',
      memoryShare,
      'needs stream sizes ≥ 64 KiB for shm or shm-sync with the memcpy-ram baseline',
    ),
  );
  goals.push(
    goal(
      '20.2-over-pipe',
      "issue 20 §2: shm:// async and sync round trips and streams beat named-pipe's at every size from 4 KiB to 16 MiB, quiet and loaded",
      overPipe,
      'needs ping-pong or stream at 4 KiB–16 MiB for shm or shm-sync with pipe',
    ),
  );

  // §3: many channels.
  const many: Check[] = [];
  for (const r of results.filter((x) => x.target === 'shm' && x.scenario === 'many-channels')) {
    const pipe = results.find((x) => x.target === 'pipe' && x.scenario === 'many-channels' && x.channels === r.channels);
    if (!pipe?.roundTripsPerSec || !r.roundTripsPerSec) continue;
    const ratio = r.roundTripsPerSec / pipe.roundTripsPerSec;
    many.push({ ok: ratio >= 3, text: `${r.channels} channels: ×${sig(ratio)}`, polluted: polluted(r, pipe) });
  }
  const notTaken = run.skipped.filter((s) => s.target === 'shm' && s.scenario === 'many-channels' && s.channels !== undefined);
  for (const s of notTaken) many.push({ ok: false, text: `${s.channels} channels: not measured (${s.reason})`, polluted: false });
  // Issue 20 §3: shm at 1,024 channels keeps half its 16-channel rate, and no channel starves.
  const shmMany = results.filter((x) => x.target === 'shm' && x.scenario === 'many-channels');
  const at16 = shmMany.find((x) => x.channels === 16);
  const at1024 = shmMany.find((x) => x.channels === 1024);
  const scale: Check[] = [];
  if (at16?.roundTripsPerSec && at1024?.roundTripsPerSec) {
    const ratio = at1024.roundTripsPerSec / at16.roundTripsPerSec;
    scale.push({
      ok: ratio >= 0.5,
      text: `1024: ${formatCount(at1024.roundTripsPerSec)}/s vs 16: ${formatCount(at16.roundTripsPerSec)}/s (×${sig(ratio)}); slowest channel at 1024: ${formatCount(at1024.slowestChannelRoundTripsPerSec)}/s`,
      polluted: polluted(at16, at1024),
    });
  }
  goals.push(
    goal(
      '20.3-many-channels-scale',
      'issue 20 §3: shm:// aggregate round trips at 1,024 channels ≥ 50 % of its rate at 16',
      scale,
      'needs many-channels with shm at 16 and 1,024 channels',
    ),
  );
  goals.push(
    goal(
      '13.3-many-channels',
      "issue 13 §3: shm:// aggregate round trips ≥ 3× pipe://'s with 1 to 1,024 channels",
      many,
      'needs many-channels with shm and pipe',
    ),
  );

  // Issue 10 §4: an async wait costs about one kernel wake-up, not a timer tick.
  const sync = run.sync ?? [];
  const pipe = sync.find((r) => r.id === 'handoff-pipe');
  const waits: Check[] = [];
  for (const r of sync.filter((x) => x.id === 'handoff-mutex' || x.id === 'handoff-event')) {
    if (r.ratios.toPipe === undefined) continue;
    waits.push({
      ok: r.ratios.toPipe <= 3,
      text: `${r.label}: ${formatNs(r.latencyNs?.p50)}, ×${sig(r.ratios.toPipe)} a pipe round trip`,
      polluted: polluted(r, pipe),
    });
  }
  goals.push(...fanOutGoals(run, find));
  goals.push(firstRoundTripsGoal(run));

  goals.push(goal('10.4-async-wait', 'issue 10 §4: an async hand-off costs at most 3× a pipe:// round trip', waits, 'needs --scenarios sync'));
  return goals;
}

/**
 * Issue 19 §5: shm:// topics against zeromq PUB/SUB at 64 B, the publisher's
 * cost at 1 MiB (one write, not one per subscriber), the subscribers' latency
 * against a 1:1 shm channel, and drop-oldest never losing a message silently.
 */
function fanOutGoals(run: BenchRun, find: (target: string, scenario: string, size: number) => CaseResult | undefined): GoalCheck[] {
  const fan = run.fanOut ?? [];
  const at = (target: string, size: number, subscribers: number, policy: FanOutResult['policy'] = 'block'): FanOutResult | undefined =>
    fan.find((r) => r.target === target && r.sizeBytes === size && r.subscribers === subscribers && r.policy === policy);
  const failedShm = (size: number): Check[] =>
    run.skipped
      .filter((s) => s.target === 'shm' && s.scenario === 'fan-out' && s.sizeBytes === size && s.subscribers !== undefined)
      .map((s) => ({ ok: false, text: `${s.subscribers} subscribers: not measured (${s.reason})`, polluted: false }));
  const shm64 = fan.filter((r) => r.target === 'shm' && r.sizeBytes === 64 && r.policy === 'block');
  const goals: GoalCheck[] = [];

  const rate: Check[] = [...failedShm(64)];
  for (const r of shm64) {
    const zmq = at('zmq-ipc', 64, r.subscribers);
    if (!zmq) continue;
    const ratio = r.delivered.messagesPerSec / zmq.delivered.messagesPerSec;
    rate.push({
      ok: ratio >= 10,
      text: `1→${r.subscribers}: ${formatCount(r.delivered.messagesPerSec)}/s vs ${formatCount(zmq.delivered.messagesPerSec)}/s (×${sig(ratio)})`,
      polluted: polluted(r, zmq),
    });
  }
  goals.push(
    goal(
      '19.5-shm-vs-zmq-rate',
      "issue 19 §5: shm:// topics deliver ≥ 10× zeromq PUB/SUB ipc://'s aggregate message rate at 64 B, every N",
      rate,
      'needs fan-out at 64 B with shm and zmq-ipc',
    ),
  );

  const one = at('shm', 1024 * KiB, 1);
  const sixteen = at('shm', 1024 * KiB, 16);
  goals.push(
    goal(
      '19.5-shm-publisher-cpu',
      "issue 19 §5: at 1 MiB, the shm:// publisher's CPU per message with 16 subscribers within 2× of its cost with 1",
      one && sixteen
        ? [
            {
              ok: sixteen.publisherCpuPerMessageNs <= 2 * one.publisherCpuPerMessageNs,
              text: `16: ${formatNs(sixteen.publisherCpuPerMessageNs)}, 1: ${formatNs(one.publisherCpuPerMessageNs)} (×${sig(sixteen.publisherCpuPerMessageNs / one.publisherCpuPerMessageNs)})`,
              polluted: polluted(one, sixteen),
            },
          ]
        : [],
      'needs fan-out at 1 MiB with 1 and 16 shm subscribers',
    ),
  );

  const channel = find('shm', 'ping-pong', 64);
  const latency: Check[] = [];
  if (channel?.latencyNs) {
    const half = channel.latencyNs.p50 / 2;
    for (const r of shm64) {
      if (r.subscriberP50Ns === undefined) continue;
      latency.push({
        ok: r.subscriberP50Ns <= 2 * half,
        text: `1→${r.subscribers}: p50 ${formatNs(r.subscriberP50Ns)} vs half a round trip ${formatNs(half)} (×${sig(r.subscriberP50Ns / half)})`,
        polluted: polluted(r, channel),
      });
    }
  }
  goals.push(
    goal(
      '19.5-shm-latency',
      "issue 19 §5: a shm:// subscriber's p50 at 64 B within 2× of a 1:1 shm:// channel's round trip halved (this run's ping-pong)",
      latency,
      'needs fan-out at 64 B and ping-pong at 64 B with shm',
    ),
  );

  const told: Check[] = fan
    .filter((r) => r.policy === 'drop-oldest')
    .map((r) => {
      const missed = r.counts.reduce((n, c) => n + c.missed, 0);
      const silent = r.counts.reduce((n, c) => n + c.silent, 0);
      const short = r.counts.filter((c) => c.received + c.missed !== r.published).length;
      return {
        ok: r.lossCheck,
        text: `${r.targetLabel} 1→${r.subscribers}: ${formatCount(missed)} missed and told, ${silent} lost silently${short ? `, ${short} subscribers with received + missed ≠ ${r.published}` : ''}`,
        polluted: false,
      };
    });
  goals.push(
    goal(
      '19.5-drop-oldest-told',
      'issue 19 §5: no subscriber under drop-oldest loses a message without being told (received + missed = published, no silent gap)',
      told,
      'needs fan-out (its drop-oldest cases)',
    ),
  );
  return goals;
}

/** The shm targets issue 20 §1 names: the async API and the sync API with receiveSync(into); the other sync forms are judged when measured. */
const FIRST_NEEDED = ['shm', 'shm-sync-into'];
const FIRST_SHM = ['shm', 'shm-sync', 'shm-sync-into', 'shm-sync-inplace'];

/**
 * Issue 20 §1: in a process that has just connected, the median of its first
 * 1,000 round trips at 64 B within 3× the Atomics floor's first round trips
 * measured in the same run, async and sync alike. Not measured unless the
 * floor, shm async and shm sync with receiveSync(into) all ran the scenario
 * (a case of theirs that failed is a failing figure).
 */
function firstRoundTripsGoal(run: BenchRun): GoalCheck {
  const first = run.firstRoundTrips ?? [];
  const floor = first.find((r) => r.target === 'atomics');
  const failed = run.skipped.filter((s) => s.scenario === 'first-round-trips' && FIRST_SHM.includes(s.target));
  const present = (id: string): boolean => first.some((r) => r.target === id) || failed.some((s) => s.target === id);
  const checks: Check[] = [];
  if (floor?.latencyNs && FIRST_NEEDED.every(present)) {
    for (const r of first.filter((x) => FIRST_SHM.includes(x.target))) {
      if (!r.latencyNs) continue;
      const ratio = r.latencyNs.p50 / floor.latencyNs.p50;
      checks.push({
        ok: ratio <= 3,
        text: `${r.targetLabel}: p50 ${formatNs(r.latencyNs.p50)} vs the floor's ${formatNs(floor.latencyNs.p50)} (×${sig(ratio)}; p90 ${formatNs(r.latencyNs.p90)}, p99 ${formatNs(r.latencyNs.p99)})`,
        polluted: polluted(r, floor),
      });
    }
    for (const s of failed) checks.push({ ok: false, text: `${s.target}: not measured (${s.reason})`, polluted: false });
  }
  return goal(
    '20.1-first-1000',
    'issue 20 §1: shm first 1,000 round trips within 3× the floor, async and sync',
    checks,
    'needs --scenarios first-round-trips with shm, shm-sync-into and the atomics baseline',
  );
}
