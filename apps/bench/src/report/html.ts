/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script,
 * no fonts, no network) that opens offline in any browser.
 */
import { formatBytes, formatCount, formatMBps, formatNs, formatPercent, formatRatio, formatSize, sig } from '../format.js';
import { SCENARIOS, type BenchRun, type CaseResult } from '../results.js';
import { logLogChart, type Series } from './svg-chart.js';

const PALETTE: Record<string, string> = {
  shm: '#1b9e77',
  'shm-sync': '#66a61e',
  'shm-sync-into': '#a6d854',
  pipe: '#d95f02',
  mailslot: '#7570b3',
  tcp: '#e7298a',
  'cp-json': '#a6761d',
  'cp-advanced': '#e6ab02',
  atomics: '#333333',
  memcpy: '#888888',
};
const EXTRA = ['#1f78b4', '#b2df8a', '#fb9a99', '#cab2d6'];

function color(target: string, index: number): string {
  return PALETTE[target] ?? EXTRA[index % EXTRA.length]!;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function group(results: CaseResult[]): CaseResult[][] {
  const map = new Map<string, CaseResult[]>();
  for (const r of results) map.set(r.target, [...(map.get(r.target) ?? []), r]);
  return [...map.values()];
}

function series(results: CaseResult[], value: (r: CaseResult) => number | undefined, tip: (r: CaseResult) => string, dashedTargets: string[] = []): Series[] {
  return group(results).map((list, i) => ({
    name: list[0]!.targetLabel,
    color: color(list[0]!.target, i),
    dashed: dashedTargets.includes(list[0]!.target),
    points: list.map((r) => ({ x: r.sizeBytes, y: value(r) ?? Number.NaN, tip: `${formatSize(r.sizeBytes)}: ${tip(r)}` })),
  }));
}

/** Decade ticks without trailing zeros: 100 ns, 1 µs, 10 µs, ... */
function nsTick(ns: number): string {
  const units: Array<[number, string]> = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
    [1, 'ns'],
  ];
  for (const [scale, unit] of units) if (ns >= scale) return `${Number((ns / scale).toPrecision(3))} ${unit}`;
  return `${Number(ns.toPrecision(3))} ns`;
}
const mbTick = (mb: number): string => (mb >= 1000 ? `${Number((mb / 1000).toPrecision(3))} GB/s` : `${Number(mb.toPrecision(3))} MB/s`);
const countTick = (n: number): string => formatCount(n).replace(/\.0+ /, ' ');

function table(headers: string[], rows: string[][], numericFrom = 2): string {
  const head = headers.map((h, i) => `<th${i >= numericFrom ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function rss(r: CaseResult): string {
  return Object.entries(r.peakRssBytes)
    .map(([role, b]) => `${role} ${formatBytes(b)}`)
    .join(', ');
}

export function renderHtml(run: BenchRun): string {
  const e = run.environment;
  const ping = run.results.filter((r) => r.scenario === 'ping-pong');
  const stream = run.results.filter((r) => r.scenario === 'stream');
  const fanIn = run.results.filter((r) => r.scenario === 'fan-in');
  const memcpy = run.results.filter((r) => r.scenario === 'memcpy');
  const writers = fanIn[0]?.writers ?? run.options.writers;
  const byte = { xLabel: 'message size (bytes, log scale)', xTick: formatSize };

  const charts = [
    logLogChart(
      series(
        ping,
        (r) => r.latencyNs?.p50,
        (r) => `p50 ${formatNs(r.latencyNs?.p50)}, p99 ${formatNs(r.latencyNs?.p99)}`,
        ['atomics'],
      ),
      {
        title: 'Ping-pong latency by size — ROUND TRIP, p50 (lower is better)',
        yLabel: 'round trip p50 (log scale)',
        yTick: nsTick,
        ...byte,
      },
    ),
    logLogChart(
      series(
        ping,
        (r) => r.latencyNs?.p99,
        (r) => `p99 ${formatNs(r.latencyNs?.p99)}, p99.9 ${formatNs(r.latencyNs?.p999)}`,
        ['atomics'],
      ),
      {
        title: 'Ping-pong latency by size — ROUND TRIP, p99 (lower is better)',
        yLabel: 'round trip p99 (log scale)',
        yTick: nsTick,
        ...byte,
      },
    ),
    logLogChart(
      series(
        [...stream, ...memcpy],
        (r) => r.throughput?.megabytesPerSec,
        (r) => `${formatMBps(r.throughput?.megabytesPerSec)}, ${formatCount(r.throughput?.messagesPerSec)} msg/s`,
        ['memcpy'],
      ),
      {
        title: 'Streaming throughput by size — ONE-WAY, 1 writer → 1 reader (higher is better)',
        yLabel: 'payload MB/s (log scale)',
        yTick: mbTick,
        ...byte,
      },
    ),
    logLogChart(
      series(
        stream,
        (r) => r.throughput?.messagesPerSec,
        (r) => `${formatCount(r.throughput?.messagesPerSec)} msg/s`,
      ),
      {
        title: 'Streaming message rate by size — ONE-WAY (higher is better)',
        yLabel: 'messages/s (log scale)',
        yTick: countTick,
        ...byte,
      },
    ),
    logLogChart(
      series(
        [...fanIn, ...memcpy],
        (r) => r.throughput?.megabytesPerSec,
        (r) => `${formatMBps(r.throughput?.megabytesPerSec)}, ${formatCount(r.throughput?.messagesPerSec)} msg/s`,
        ['memcpy'],
      ),
      {
        title: `Fan-in throughput by size — ONE-WAY, ${writers} writers → 1 reader (higher is better)`,
        yLabel: 'payload MB/s (log scale)',
        yTick: mbTick,
        ...byte,
      },
    ),
    logLogChart(
      series(
        [...ping, ...stream],
        (r) => r.cpu.perMessageNs,
        (r) => `${formatNs(r.cpu.perMessageNs)} CPU per message (${r.scenario})`,
      ),
      {
        title: 'CPU time per message by size — both processes, user + system (lower is better)',
        yLabel: 'CPU per message (log scale)',
        yTick: nsTick,
        ...byte,
      },
    ),
  ];

  const latencyRows = ping.map((r) => [
    r.targetLabel,
    formatSize(r.sizeBytes),
    formatNs(r.latencyNs?.p50),
    formatNs(r.latencyNs?.p90),
    formatNs(r.latencyNs?.p99),
    formatNs(r.latencyNs?.p999),
    formatNs(r.latencyNs?.max),
    formatRatio(r.ratios.toFloor),
    formatRatio(r.ratios.toPipe),
    formatNs(r.cpu.perMessageNs),
    rss(r),
    formatCount(r.operations),
  ]);
  const tputRows = (list: CaseResult[]): string[][] =>
    list.map((r) => [
      r.targetLabel,
      formatSize(r.sizeBytes),
      `${formatCount(r.throughput?.messagesPerSec)}/s`,
      formatMBps(r.throughput?.megabytesPerSec),
      r.ratios.toCeiling === undefined ? '–' : `${(r.ratios.toCeiling * 100).toPrecision(2)}%`,
      formatRatio(r.ratios.toPipe),
      formatNs(r.cpu.perMessageNs),
      rss(r),
      formatCount(r.operations),
    ]);

  const idle = run.idle ?? [];
  const idleRows = idle.map((r) => [
    r.targetLabel,
    formatPercent(r.cpuPercent['reader']),
    formatPercent(r.cpuPercent['writer']),
    `${sig(r.durationNs / 1e9)} s`,
    Object.entries(r.peakRssBytes)
      .map(([role, b]) => `${role} ${formatBytes(b)}`)
      .join(', '),
  ]);
  const targetRows = run.targets.map((t) => [t.label, t.kind, t.available ? (t.backend ?? '') : `not available: ${t.reason ?? ''}`]);
  const skippedRows = run.skipped.map((s) => [s.target, s.scenario, s.sizeBytes ? formatSize(s.sizeBytes) : 'all', s.reason]);
  const envRows = [
    ['platform', e.label],
    ['CPU', `${e.cpuModel}, ${e.cores} cores`],
    ['memory', formatBytes(e.totalMemoryBytes)],
    ['OS / kernel', `${e.os.type} ${e.os.release} — ${e.os.version}`],
    ['Node', `${e.node} (V8 ${e.v8})`],
    ...(e.wineVersion ? [['Wine', e.wineVersion]] : []),
    ...(e.host ? [['host', e.host]] : []),
    ['clock', e.clock],
    ['profile', `${run.options.profile}: sizes ${run.options.sizes.map(formatSize).join(', ')}; fan-in ${run.options.writers} writers`],
    ['command', run.command],
    ['run', `${run.createdAt}, ${(run.durationMs / 1000).toFixed(1)} s`],
  ];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ipckit-bench — ${esc(e.label)} — ${esc(run.createdAt)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1180px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.wine { background: #fff3cd; border: 1px solid #e0b400; padding: 10px 14px; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg { background: #fff; border: 1px solid #e4e4e4; max-width: 100%; height: auto; }
svg .title { font-size: 14px; font-weight: 600; } svg .tick { font-size: 11px; fill: #555; } svg .axis { font-size: 12px; fill: #333; }
svg .legend { font-size: 12px; } svg .grid { stroke: #ddd; } svg .grid.minor { stroke: #f0f0f0; } svg .frame { fill: none; stroke: #999; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12.5px; }
th, td { padding: 3px 9px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f6f6f6; } .empty { color: #888; } code { background: #f4f4f4; padding: 1px 4px; }
</style>
</head>
<body>
<h1>ipckit-bench: IPC transports side by side</h1>
${e.underWine ? `<p class="wine">${esc(e.label)}. These figures come from Windows Node running under Wine${e.wineVersion ? ` (${esc(e.wineVersion)})` : ''} on ${esc(e.host ?? 'Linux')}: Wine translates every Windows call, so compare the transports with each other (the ratios), not with real Windows machines.</p>` : ''}
<p>${esc(e.label)} · ${esc(e.cpuModel)} · ${e.cores} cores · Node ${esc(e.node)} · ${esc(run.options.profile)} profile · ${esc(run.createdAt)}</p>
<h2>How to read this</h2>
<ul>
<li><b>Latency</b> is a <b>round trip</b>: one process sends a message, the other sends it back. Percentiles come from one sample per round trip (p50 = median; p99.9 = one round trip in a thousand was slower).</li>
<li><b>Throughput</b> is <b>one-way</b>: writers send as fast as backpressure lets them; the clock runs from the first send to the reader's last receive. MB/s counts payload bytes (1 MB = 10<sup>6</sup> bytes).</li>
<li><b>×floor</b>: the p50 over the <i>Atomics floor</i> (two processes spinning on a shared mapping — nothing in JavaScript is faster). <b>×pipe</b>: over named-pipe at the same size. <b>of memcpy</b>: share of the single-thread copy bandwidth, the ceiling.</li>
<li><b>CPU/msg</b>: user + system time of every process of the case during the measured phase, per message (a round trip is two). Busy-polling transports spend CPU to save latency; this column shows the price.</li>
<li><b>Idle CPU</b>: a connected channel with nothing sent on it; each process's user + system time over the window as a share of one core (100 % = a core kept busy). What waiting costs.</li>
<li>Every peer is a separate OS process. Both axes of every chart are logarithmic. Hover a point for its figures.</li>
</ul>
<h2>Charts</h2>
<div class="charts">
${charts.join('\n')}
</div>
<h2>Ping-pong latency — round trip</h2>
${ping.length ? table(['target', 'size', 'p50', 'p90', 'p99', 'p99.9', 'max', '×floor', '×pipe', 'CPU/msg', 'peak RSS', 'round trips'], latencyRows) : '<p class="empty">not measured</p>'}
<h2>Streaming throughput — one-way, 1 writer → 1 reader</h2>
${stream.length ? table(['target', 'size', 'messages', 'payload', 'of memcpy', '×pipe', 'CPU/msg', 'peak RSS', 'messages sent'], tputRows(stream)) : '<p class="empty">not measured</p>'}
<h2>Fan-in throughput — one-way, ${writers} writers → 1 reader</h2>
${fanIn.length ? table(['target', 'size', 'messages', 'payload', 'of memcpy', '×pipe', 'CPU/msg', 'peak RSS', 'messages sent'], tputRows(fanIn)) : '<p class="empty">not measured</p>'}
<h2>Idle CPU — no traffic, % of one core per process</h2>
${idle.length ? table(['target', 'reader (waiting in receive)', 'writer (connected, idle)', 'window', 'peak RSS'], idleRows, 1) : '<p class="empty">not measured</p>'}
<h2>memcpy ceiling — in-process copy, single thread</h2>
${
  memcpy.length
    ? table(
        ['target', 'size', 'per copy', 'bandwidth'],
        memcpy.map((r) => [r.targetLabel, formatSize(r.sizeBytes), formatNs(r.cpu.perMessageNs), formatMBps(r.throughput?.megabytesPerSec)]),
      )
    : '<p class="empty">not measured</p>'
}
<h2>Targets and backends</h2>
${table(['target', 'kind', 'backend'], targetRows, 99)}
${skippedRows.length ? `<h2>Not measured</h2>${table(['target', 'scenario', 'size', 'why'], skippedRows, 99)}` : ''}
<h2>Environment</h2>
${table(['', ''], envRows, 99)}
<h2>Notes</h2>
<ul>${run.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<p>Scenarios: ${Object.values(SCENARIOS)
    .map((s) => `<b>${esc(s.title)}</b> (${esc(s.direction)}): ${esc(s.description)}`)
    .join('; ')}.</p>
</body>
</html>
`;
}
