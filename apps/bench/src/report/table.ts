/** The terminal report: the run's environment, compact matrices, then every figure. */
import { formatBytes, formatCount, formatMBps, formatNs, formatPercent, formatRatio, formatSize } from '../format.js';
import { QUIET_OTHER_CORES, QUIET_STEAL_PERCENT, machineMark } from '../machine.js';
import { SCENARIOS, type BenchRun, type CaseResult, type GoalCheck, type IdleResult, type MachineCheck, type ScenarioId, type SyncResult } from '../results.js';
import {
  FIRST_COLUMNS,
  LATENCY_COLUMNS,
  MANY_CHANNELS_COLUMNS,
  NOT_QUIET_MARK,
  contentionColumns,
  formatSpread,
  marked,
  rss,
  share,
  throughputColumns,
  type Column,
} from './columns.js';
import { fanOutTable } from './fan-out.js';
import { textTable } from './text-table.js';

function byTarget(results: CaseResult[]): Map<string, CaseResult[]> {
  const map = new Map<string, CaseResult[]>();
  for (const r of results) {
    const list = map.get(r.target) ?? [];
    list.push(r);
    map.set(r.target, list);
  }
  return map;
}

const quietOnes = (results: CaseResult[]): CaseResult[] => results.filter((r) => !r.load);

/** Rows = targets, columns = sizes (or whatever `column` picks). */
function matrix(
  title: string,
  results: CaseResult[],
  value: (r: CaseResult) => string,
  column: (r: CaseResult) => number = (r) => r.sizeBytes,
  head = formatSize,
): string {
  if (results.length === 0) return '';
  const columns = [...new Set(results.map(column))].sort((a, b) => a - b);
  const rows: string[][] = [];
  for (const [, list] of byTarget(results)) {
    rows.push([
      list[0]!.targetLabel,
      ...columns.map((c) => {
        const r = list.find((x) => column(x) === c);
        return r ? marked(value(r), r.machine) : '–';
      }),
    ]);
  }
  return `${title}\n${textTable([{ header: 'target' }, ...columns.map((c) => ({ header: head(c), align: 'right' as const }))], rows)}`;
}

/**
 * One row per case, grouped by `key` (a blank line between groups): the key
 * and the target first, then `columns`.
 */
function perCaseTable(
  results: CaseResult[],
  key: { header: string; of: (r: CaseResult) => number; format: (n: number) => string },
  columns: readonly Column[],
): string {
  const rows: string[][] = [];
  for (const k of [...new Set(results.map(key.of))].sort((a, b) => a - b)) {
    if (rows.length) rows.push([]);
    for (const r of results.filter((x) => key.of(x) === k)) rows.push([key.format(k), r.targetLabel, ...columns.map((c) => c.cell(r))]);
  }
  return textTable(
    [{ header: key.header }, { header: 'target' }, ...columns.map((c) => ({ header: c.header, align: c.text ? undefined : ('right' as const) }))],
    rows,
  );
}

/** The round trips the first-round-trips scenario records, as "1,000". */
export function firstCount(run: BenchRun): string {
  return (run.options.firstRoundTrips?.count ?? 1000).toLocaleString('en-US');
}

const BY_SIZE = { header: 'size', of: (r: CaseResult): number => r.sizeBytes, format: formatSize };

function latencyTable(results: CaseResult[]): string {
  return perCaseTable(results, BY_SIZE, LATENCY_COLUMNS);
}

function throughputTable(results: CaseResult[], scenario: ScenarioId): string {
  return perCaseTable(results, BY_SIZE, throughputColumns(scenario === 'fan-in'));
}

/** Quiet and loaded side by side: one row per (size, target) measured both ways. */
function contentionTable(results: CaseResult[], scenario: 'ping-pong' | 'stream'): string {
  const loaded = results.filter((r) => r.scenario === scenario && (r.load ?? 0) > 0);
  return perCaseTable(loaded, BY_SIZE, contentionColumns(scenario, results));
}

function manyChannelsTable(results: CaseResult[]): string {
  return perCaseTable(results, { header: 'channels', of: (r) => r.channels ?? 0, format: String }, MANY_CHANNELS_COLUMNS);
}

/** The sync scenario: uncontended pairs, then hand-off round trips. */
export function syncTable(sync: SyncResult[]): string {
  const uncontended = sync.filter((r) => r.measure === 'uncontended');
  const handoffs = sync.filter((r) => r.measure === 'hand-off');
  const out: string[] = [];
  if (uncontended.length) {
    out.push(
      'Uncontended acquire + release, one thread, nobody else wanting the lock',
      textTable(
        [
          { header: 'what' },
          { header: 'per pair', align: 'right' },
          { header: 'spread', align: 'right' },
          { header: '×floor', align: 'right' },
          { header: 'machine' },
        ],
        uncontended.map((r) => [
          r.label,
          marked(formatNs(r.perOpNs), r.machine),
          formatSpread(r.spread),
          formatRatio(r.ratios.toFloor),
          machineMark(r.machine),
        ]),
      ),
    );
  }
  if (handoffs.length) {
    if (out.length) out.push('');
    out.push(
      "Hand-off between two processes, ROUND TRIP of two hand-offs (one side releases or sets, the other's pending wait returns, and back)",
      textTable(
        [
          { header: 'what' },
          { header: 'p50', align: 'right' },
          { header: 'p90', align: 'right' },
          { header: 'p99', align: 'right' },
          { header: 'spread', align: 'right' },
          { header: '×pipe', align: 'right' },
          { header: 'round trips', align: 'right' },
          { header: 'machine' },
        ],
        handoffs.map((r) => [
          r.label,
          marked(formatNs(r.latencyNs?.p50), r.machine),
          formatNs(r.latencyNs?.p90),
          formatNs(r.latencyNs?.p99),
          formatSpread(r.spread),
          formatRatio(r.ratios.toPipe),
          formatCount(r.operations),
          machineMark(r.machine),
        ]),
      ),
    );
  }
  return out.join('\n');
}

/** The idle measure: one row per target, CPU of each process as a share of one core. */
export function idleTable(idle: IdleResult[], idleMs: number | undefined): string {
  const seconds = (idleMs ?? Math.round((idle[0]?.durationNs ?? 0) / 1e6)) / 1000;
  const rows = idle.map((r) => [
    r.targetLabel,
    marked(formatPercent(r.cpuPercent['reader']), r.machine),
    formatPercent(r.cpuPercent['writer']),
    formatSpread(r.spread),
    rss(r),
    machineMark(r.machine),
  ]);
  return `Idle CPU, % of one core per process (a connected channel, nothing sent for ${Number(seconds.toPrecision(3))} s)\n${textTable(
    [
      { header: 'target' },
      { header: 'reader (waiting in receive)', align: 'right' },
      { header: 'writer (connected, idle)', align: 'right' },
      { header: 'spread (reader)', align: 'right' },
      { header: 'peak RSS reader/writer', align: 'right' },
      { header: 'machine' },
    ],
    rows,
  )}`;
}

/** Every machine check of the run, for the summary. */
export function machineChecks(run: BenchRun): Array<{ label: string; machine: MachineCheck }> {
  const all: Array<{ label: string; machine?: MachineCheck | undefined }> = [
    ...run.results.map((r) => ({ label: r.label, machine: r.machine })),
    ...(run.firstRoundTrips ?? []).map((r) => ({ label: r.label, machine: r.machine })),
    ...(run.idle ?? []).map((r) => ({ label: r.label, machine: r.machine })),
    ...(run.sync ?? []).map((r) => ({ label: `sync · ${r.label}`, machine: r.machine })),
  ];
  return all.filter((c): c is { label: string; machine: MachineCheck } => c.machine !== undefined);
}

/** How quiet the machine was: a count, the definition, and the cases that were not. */
export function machineSummary(run: BenchRun): string {
  const checks = machineChecks(run);
  if (checks.length === 0) return '';
  const noisy = checks.filter((c) => c.machine.quiet === false);
  const unchecked = checks.filter((c) => c.machine.quiet === null);
  const lines = [
    `Machine: ${checks.length - noisy.length - unchecked.length} of ${checks.length} cases quiet, ${noisy.length} NOT QUIET${unchecked.length ? `, ${unchecked.length} not checked (${unchecked[0]!.machine.reasons[0] ?? ''})` : ''}.`,
    `  Quiet = over the case, processes outside this run used < ${QUIET_OTHER_CORES * 100} % of a core and the hypervisor stole < ${QUIET_STEAL_PERCENT} % of the CPU time.`,
  ];
  if (noisy.length) {
    lines.push(`  Figures marked ${NOT_QUIET_MARK} come from a case that was not quiet: do not read them as this code's speed.`);
    for (const c of noisy.slice(0, 8)) {
      const la = c.machine.before.loadAvg[0].toFixed(2);
      lines.push(`  ${NOT_QUIET_MARK} ${c.label}: ${c.machine.reasons.join('; ')} (load average ${la} before)`);
    }
    if (noisy.length > 8) lines.push(`  … and ${noisy.length - 8} more (every case's check is in the JSON: results[].machine).`);
  }
  const unsteady = run.results.filter((r) => r.warmup?.steady === false);
  if (unsteady.length) {
    lines.push(
      `  ${unsteady.length} case${unsteady.length === 1 ? '' : 's'} NOT STEADY: the warm-up's last rounds still disagreed, so their figures may be a transport's first, slower messages (results[].warmup).`,
    );
  }
  return lines.join('\n');
}

/** The goals this run has figures for; the others are counted (the JSON lists every one, with what it needs). */
function goalsSection(goals: GoalCheck[]): string {
  const measured = goals.filter((g) => g.met !== null);
  const rest = goals.length - measured.length;
  const title = "Goals (issues 13, 10, 19 and 20), as this run's figures say";
  const tail = rest ? `\n  ${rest} more not measured in this run (their scenarios or targets did not run; goals[] in the JSON says what each needs).` : '';
  if (measured.length === 0) return `${title}: none measured in this run.${tail}`;
  const rows = measured.map((g) => [g.met ? 'met' : 'NOT MET', `${g.polluted ? `${NOT_QUIET_MARK} ` : ''}${g.goal}`, g.detail]);
  return `${title} (${NOT_QUIET_MARK}: rests on a case that was not quiet)\n${textTable([{ header: 'verdict' }, { header: 'goal' }, { header: 'figures (failing first)' }], rows)}${tail}`;
}

export function renderHeader(run: BenchRun): string {
  const e = run.environment;
  const lines = [
    `ipckit-bench — ${e.label}`,
    `  ${e.cpuModel}, ${e.cores} cores, ${formatBytes(e.totalMemoryBytes).replace(' MiB', '')} MiB RAM; ${e.kernel}; Node ${e.node}`,
    `  ${run.options.profile} profile, ${run.options.trials ?? 1} trials a case${run.options.load ? `, contention: ${run.options.load} busy processes` : ''}; ${run.createdAt}; ${run.command}`,
  ];
  if (e.underWine) {
    lines.splice(2, 0, `  Wine ${e.wineVersion ?? '(version unknown)'} on ${e.host ?? 'Linux'}`);
    lines.push('', `  *** ${e.label}: Wine translates every Windows call; read the ratios, not the absolute figures. ***`);
  }
  return lines.join('\n');
}

export function renderTargets(run: BenchRun): string {
  const rows = run.targets.map((t) => [t.label, t.kind, t.available ? (t.backend ?? '') : `NOT AVAILABLE: ${t.reason ?? ''}`]);
  return `Targets\n${textTable([{ header: 'target' }, { header: 'kind' }, { header: 'backend' }], rows)}`;
}

/** The whole terminal report. */
export function renderTable(run: BenchRun): string {
  const out: string[] = [renderHeader(run), '', renderTargets(run)];
  const ping = run.results.filter((r) => r.scenario === 'ping-pong');
  const first = run.firstRoundTrips ?? [];
  const stream = run.results.filter((r) => r.scenario === 'stream');
  const fanIn = run.results.filter((r) => r.scenario === 'fan-in');
  const many = run.results.filter((r) => r.scenario === 'many-channels');
  const memcpy = run.results.filter((r) => r.scenario === 'memcpy');
  const loaded = run.results.some((r) => (r.load ?? 0) > 0);
  const load = run.options.load;

  out.push('', '── Summary ──');
  const summary = machineSummary(run);
  if (summary) out.push('', summary);
  const m1 = matrix(`Ping-pong latency, round trip, p50${loaded ? ' (quiet: no busy processes)' : ''}`, quietOnes(ping), (r) => formatNs(r.latencyNs?.p50));
  const m2 = matrix('Streaming throughput, one-way, payload MB/s (1 writer → 1 reader)', quietOnes([...stream, ...memcpy]), (r) =>
    formatMBps(r.throughput?.megabytesPerSec),
  );
  const writers = fanIn[0]?.writers ?? run.options.writers;
  // Issue 13 §2 reads large messages against the copy ceilings of the same run.
  const shares = quietOnes(stream).filter((r) => r.sizeBytes >= 4096 && (r.ratios.toCeiling !== undefined || r.ratios.toMemoryCeiling !== undefined));
  const m2b = matrix(
    'Streaming, one-way, share of the memcpy ceilings measured in this run: cache-hot / memory-bound (4 KiB and up)',
    shares,
    (r) => `${share(r.ratios.toCeiling)} / ${share(r.ratios.toMemoryCeiling)}`,
  );
  const m3 = matrix(`Fan-in throughput, one-way, payload MB/s (${writers} writers → 1 reader)`, fanIn, (r) => formatMBps(r.throughput?.megabytesPerSec));
  const m4 = loaded
    ? matrix(
        `Ping-pong latency, round trip, p50, beside ${load ?? '?'} busy processes`,
        ping.filter((r) => r.load),
        (r) => formatNs(r.latencyNs?.p50),
      )
    : '';
  const m5 = matrix(
    'Many channels: round trips per second, all channels together (64 B; columns: channels)',
    many,
    (r) => formatCount(r.roundTripsPerSec),
    (r) => r.channels ?? 0,
    (n) => String(n),
  );
  const m1b = matrix(
    `First ${firstCount(run)} round trips after connect, round trip p50 (fresh processes, no warm-up) / ×floor (the floor's first round trips)`,
    first,
    (r) => `${formatNs(r.latencyNs?.p50)} / ${formatRatio(r.ratios.toFloor)}`,
  );
  for (const m of [m1, m1b, m2, m2b, m3, m4, m5]) if (m) out.push('', m);
  const idle = run.idle ?? [];
  if (idle.length) out.push('', idleTable(idle, run.options.idleMs));
  if (run.goals?.length) out.push('', goalsSection(run.goals));

  if (ping.length)
    out.push(
      '',
      `── ${SCENARIOS['ping-pong'].title}, ROUND TRIP ──  (×floor: p50 over the Atomics floor's; ×pipe, ×zmq-ipc: over named-pipe's, zeromq ipc://'s; CPU/msg: both processes, a round trip is 2 messages)`,
      latencyTable(quietOnes(ping)),
    );
  if (first.length)
    out.push(
      '',
      `── ${SCENARIOS['first-round-trips'].title}: the first ${firstCount(run)} ROUND TRIPS of a fresh pair of processes, no warm-up ──  (×floor: p50 over the Atomics floor's first round trips; ×steady: over the same target's warmed-up ping-pong in this run)`,
      perCaseTable(first, BY_SIZE, FIRST_COLUMNS),
    );
  if (stream.length)
    out.push(
      '',
      `── ${SCENARIOS.stream.title}, ONE-WAY, 1 writer → 1 reader ──  (of memcpy hot / RAM: share of the cache-hot / memory-bound single-thread copy ceiling measured in this run; ×pipe, ×zmq-ipc: message rate over theirs)`,
      throughputTable(quietOnes(stream), 'stream'),
    );
  if (fanIn.length) out.push('', `── ${SCENARIOS['fan-in'].title}, ONE-WAY, ${writers} writers → 1 reader ──`, throughputTable(fanIn, 'fan-in'));
  if (loaded) {
    out.push(
      '',
      `── CONTENTION: quiet and beside ${load ?? '?'} busy processes (for (;;) {}, started by this run for each loaded case) ──`,
      `Ping-pong, ROUND TRIP`,
      contentionTable(ping, 'ping-pong'),
    );
    if (stream.some((r) => r.load)) out.push('', 'Streaming, ONE-WAY, messages/s', contentionTable(stream, 'stream'));
    out.push('', 'Every loaded figure in full:', latencyTable(ping.filter((r) => r.load)));
    if (stream.some((r) => r.load))
      out.push(
        '',
        throughputTable(
          stream.filter((r) => r.load),
          'stream',
        ),
      );
  }
  if (run.fanOut?.length)
    out.push(
      '',
      `── ${SCENARIOS['fan-out'].title}: 1 publisher → N subscriber processes, ONE-WAY ──  (delivered: all subscribers together; pub CPU: the publisher's own per message; sub p50: paced messages, send to receipt, median of the subscribers')`,
      fanOutTable(run.fanOut),
    );
  if (many.length)
    out.push(
      '',
      `── ${SCENARIOS['many-channels'].title}: one client, N channels, one echo server, 64 B ROUND TRIPS on every channel at once ──`,
      manyChannelsTable(many),
    );
  if (run.sync?.length) out.push('', `── ${SCENARIOS.sync.title}: Mutex and Event ──`, syncTable(run.sync));
  if (memcpy.length) {
    out.push(
      '',
      `── ${SCENARIOS.memcpy.title} (single thread, in-process: the ceilings) ──`,
      textTable(
        [{ header: 'size' }, { header: 'target' }, { header: 'per copy', align: 'right' }, { header: 'bandwidth', align: 'right' }, { header: 'machine' }],
        memcpy.map((r) => [
          formatSize(r.sizeBytes),
          r.targetLabel,
          formatNs(r.cpu.perMessageNs),
          formatMBps(r.throughput?.megabytesPerSec),
          machineMark(r.machine),
        ]),
      ),
    );
  }
  if (run.skipped.length) {
    out.push('', 'Not measured');
    const seen = new Set<string>();
    for (const s of run.skipped) {
      const what = `${s.sizeBytes ? ` ${formatSize(s.sizeBytes)}` : ''}${s.subscribers ? ` × ${s.subscribers} subscribers` : ''}${s.channels ? ` × ${s.channels} channels` : ''}${s.load ? ` (load ${s.load})` : ''}`;
      const line = `  ${s.target} ${s.scenario}${what}: ${s.reason}`;
      const key = `${s.target}/${s.scenario}/${s.reason}`;
      if (seen.has(key) && s.reason.startsWith('failed')) continue;
      seen.add(key);
      out.push(line);
    }
  }
  const unavailable = run.targets.filter((t) => !t.available);
  if (unavailable.length) out.push('', `Not available in this run: ${unavailable.map((t) => `${t.label} (${t.reason ?? '?'})`).join('; ')}`);
  out.push('', ...run.notes.map((n) => `Note: ${n}`), `Finished in ${(run.durationMs / 1000).toFixed(1)} s.`);
  return out.join('\n');
}
