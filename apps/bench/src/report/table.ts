/** The terminal report: the run's environment, compact matrices, then every figure. */
import { formatBytes, formatCount, formatMBps, formatNs, formatPercent, formatRatio, formatSize } from '../format.js';
import { SCENARIOS, type BenchRun, type CaseResult, type IdleResult, type ScenarioId } from '../results.js';
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

function sizesOf(results: CaseResult[]): number[] {
  return [...new Set(results.map((r) => r.sizeBytes))].sort((a, b) => a - b);
}

/** Rows = targets, columns = sizes. */
function matrix(title: string, results: CaseResult[], value: (r: CaseResult) => string): string {
  if (results.length === 0) return '';
  const sizes = sizesOf(results);
  const rows: string[][] = [];
  for (const [, list] of byTarget(results)) {
    rows.push([
      list[0]!.targetLabel,
      ...sizes.map((s) => {
        const r = list.find((x) => x.sizeBytes === s);
        return r ? value(r) : '–';
      }),
    ]);
  }
  return `${title}\n${textTable([{ header: 'target' }, ...sizes.map((s) => ({ header: formatSize(s), align: 'right' as const }))], rows)}`;
}

function rss(r: CaseResult): string {
  return (
    Object.values(r.peakRssBytes)
      .map((b) => formatBytes(b).replace(' MiB', ''))
      .join('/') + ' MiB'
  );
}

function latencyTable(results: CaseResult[]): string {
  const rows: string[][] = [];
  for (const size of sizesOf(results)) {
    if (rows.length) rows.push([]);
    for (const r of results.filter((x) => x.sizeBytes === size)) {
      const l = r.latencyNs!;
      rows.push([
        formatSize(size),
        r.targetLabel,
        formatNs(l.p50),
        formatNs(l.p90),
        formatNs(l.p99),
        formatNs(l.p999),
        formatNs(l.max),
        formatRatio(r.ratios.toFloor),
        formatRatio(r.ratios.toPipe),
        formatNs(r.cpu.perMessageNs),
        rss(r),
        formatCount(r.operations),
      ]);
    }
  }
  return textTable(
    [
      { header: 'size' },
      { header: 'target' },
      { header: 'p50', align: 'right' },
      { header: 'p90', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'p99.9', align: 'right' },
      { header: 'max', align: 'right' },
      { header: '×floor', align: 'right' },
      { header: '×pipe', align: 'right' },
      { header: 'CPU/msg', align: 'right' },
      { header: 'peak RSS client/server', align: 'right' },
      { header: 'round trips', align: 'right' },
    ],
    rows,
  );
}

function throughputTable(results: CaseResult[], scenario: ScenarioId): string {
  const rows: string[][] = [];
  for (const size of sizesOf(results)) {
    if (rows.length) rows.push([]);
    for (const r of results.filter((x) => x.sizeBytes === size)) {
      const t = r.throughput!;
      rows.push([
        formatSize(size),
        r.targetLabel,
        `${formatCount(t.messagesPerSec)}/s`,
        formatMBps(t.megabytesPerSec),
        r.ratios.toCeiling === undefined ? '–' : `${(r.ratios.toCeiling * 100).toPrecision(2)}%`,
        formatRatio(r.ratios.toPipe),
        formatNs(r.cpu.perMessageNs),
        rss(r),
        formatCount(r.operations),
      ]);
    }
  }
  return textTable(
    [
      { header: 'size' },
      { header: 'target' },
      { header: 'messages', align: 'right' },
      { header: 'payload', align: 'right' },
      { header: 'of memcpy', align: 'right' },
      { header: '×pipe', align: 'right' },
      { header: 'CPU/msg', align: 'right' },
      { header: scenario === 'fan-in' ? 'peak RSS reader/writers' : 'peak RSS reader/writer', align: 'right' },
      { header: 'messages sent', align: 'right' },
    ],
    rows,
  );
}

/** The idle measure: one row per target, CPU of each process as a share of one core. */
export function idleTable(idle: IdleResult[], idleMs: number | undefined): string {
  const seconds = (idleMs ?? Math.round((idle[0]?.durationNs ?? 0) / 1e6)) / 1000;
  const rows = idle.map((r) => [
    r.targetLabel,
    formatPercent(r.cpuPercent['reader']),
    formatPercent(r.cpuPercent['writer']),
    Object.values(r.peakRssBytes)
      .map((b) => formatBytes(b).replace(' MiB', ''))
      .join('/') + ' MiB',
  ]);
  return `Idle CPU, % of one core per process (a connected channel, nothing sent for ${Number(seconds.toPrecision(3))} s)\n${textTable(
    [
      { header: 'target' },
      { header: 'reader (waiting in receive)', align: 'right' },
      { header: 'writer (connected, idle)', align: 'right' },
      { header: 'peak RSS reader/writer', align: 'right' },
    ],
    rows,
  )}`;
}

export function renderHeader(run: BenchRun): string {
  const e = run.environment;
  const lines = [
    `ipckit-bench — ${e.label}`,
    `  ${e.cpuModel}, ${e.cores} cores, ${formatBytes(e.totalMemoryBytes).replace(' MiB', '')} MiB RAM; ${e.kernel}; Node ${e.node}`,
    `  ${run.options.profile} profile; ${run.createdAt}; ${run.command}`,
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
  const stream = run.results.filter((r) => r.scenario === 'stream');
  const fanIn = run.results.filter((r) => r.scenario === 'fan-in');
  const memcpy = run.results.filter((r) => r.scenario === 'memcpy');

  out.push('', '── Summary ──');
  const m1 = matrix('Ping-pong latency, round trip, p50', ping, (r) => formatNs(r.latencyNs?.p50));
  const m2 = matrix('Streaming throughput, one-way, payload MB/s (1 writer → 1 reader)', [...stream, ...memcpy], (r) =>
    formatMBps(r.throughput?.megabytesPerSec),
  );
  const writers = fanIn[0]?.writers ?? run.options.writers;
  const m3 = matrix(`Fan-in throughput, one-way, payload MB/s (${writers} writers → 1 reader)`, fanIn, (r) => formatMBps(r.throughput?.megabytesPerSec));
  for (const m of [m1, m2, m3]) if (m) out.push('', m);
  const idle = run.idle ?? [];
  if (idle.length) out.push('', idleTable(idle, run.options.idleMs));

  if (ping.length)
    out.push(
      '',
      `── ${SCENARIOS['ping-pong'].title}, ROUND TRIP ──  (×floor: p50 over the Atomics floor's; ×pipe: over named-pipe's; CPU/msg: both processes, a round trip is 2 messages)`,
      latencyTable(ping),
    );
  if (stream.length)
    out.push(
      '',
      `── ${SCENARIOS.stream.title}, ONE-WAY, 1 writer → 1 reader ──  (of memcpy: share of the single-thread copy ceiling; ×pipe: MB/s over named-pipe's)`,
      throughputTable(stream, 'stream'),
    );
  if (fanIn.length) out.push('', `── ${SCENARIOS['fan-in'].title}, ONE-WAY, ${writers} writers → 1 reader ──`, throughputTable(fanIn, 'fan-in'));
  if (memcpy.length) {
    out.push(
      '',
      `── ${SCENARIOS.memcpy.title} (single thread, in-process: the ceiling) ──`,
      textTable(
        [{ header: 'size' }, { header: 'per copy', align: 'right' }, { header: 'bandwidth', align: 'right' }],
        memcpy.map((r) => [formatSize(r.sizeBytes), formatNs(r.cpu.perMessageNs), formatMBps(r.throughput?.megabytesPerSec)]),
      ),
    );
  }
  if (run.skipped.length) {
    out.push('', 'Not measured');
    const seen = new Set<string>();
    for (const s of run.skipped) {
      const line = `  ${s.target} ${s.scenario}${s.sizeBytes ? ` ${formatSize(s.sizeBytes)}` : ''}: ${s.reason}`;
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
