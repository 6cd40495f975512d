/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script,
 * no fonts, no network) that opens offline in any browser.
 */
import { formatBytes, formatCount, formatMBps, formatNs, formatPercent, formatRatio, formatSize, sig } from '../format.js';
import { QUIET_OTHER_CORES, QUIET_STEAL_PERCENT, machineMark } from '../machine.js';
import { SCENARIOS, type BenchRun, type CaseResult, type MachineCheck } from '../results.js';
import { logLogChart, type Marker, type Series } from './svg-chart.js';
import { CHOOSING_URL, verdict } from './verdict.js';
import { FIRST_COLUMNS, LATENCY_COLUMNS, MANY_CHANNELS_COLUMNS, contentionColumns, formatSpread, throughputColumns, type Column } from './columns.js';
import { firstCount, machineChecks } from './table.js';

/**
 * Okabe and Ito's palette (https://jfly.uni-koeln.de/color/), which people with each common
 * colour-vision deficiency tell apart, and a marker of its own for each target of a colour: shm's
 * variants share a blue (one family) and differ by marker, so no two series are told apart by
 * colour alone.
 */
const STYLE: Record<string, { color: string; marker: Marker }> = {
  shm: { color: '#0072B2', marker: 'circle' },
  'shm-sync': { color: '#0072B2', marker: 'square' },
  'shm-sync-into': { color: '#0072B2', marker: 'triangle' },
  'shm-sync-inplace': { color: '#0072B2', marker: 'diamond' },
  pipe: { color: '#D55E00', marker: 'circle' },
  mailslot: { color: '#CC79A7', marker: 'square' },
  tcp: { color: '#E69F00', marker: 'triangle' },
  'cp-json': { color: '#009E73', marker: 'circle' },
  'cp-advanced': { color: '#009E73', marker: 'square' },
  'zmq-ipc': { color: '#56B4E9', marker: 'diamond' },
  'zmq-tcp': { color: '#56B4E9', marker: 'cross' },
  atomics: { color: '#000000', marker: 'x' },
  memcpy: { color: '#777777', marker: 'triangle-down' },
  'memcpy-ram': { color: '#777777', marker: 'diamond' },
};
const EXTRA = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const EXTRA_MARKERS: Marker[] = ['x', 'cross', 'triangle-down', 'square', 'diamond', 'triangle', 'circle'];

function styleOf(target: string, index: number): { color: string; marker: Marker } {
  return STYLE[target] ?? { color: EXTRA[index % EXTRA.length]!, marker: EXTRA_MARKERS[index % EXTRA_MARKERS.length]! };
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function group(results: CaseResult[]): CaseResult[][] {
  const map = new Map<string, CaseResult[]>();
  for (const r of results) map.set(r.target, [...(map.get(r.target) ?? []), r]);
  return [...map.values()];
}

function series(
  results: CaseResult[],
  value: (r: CaseResult) => number | undefined,
  tip: (r: CaseResult) => string,
  dashedTargets: string[] = [],
  x: (r: CaseResult) => number = (r) => r.sizeBytes,
  xText: (r: CaseResult) => string = (r) => formatSize(r.sizeBytes),
): Series[] {
  return group(results).map((list, i) => ({
    name: list[0]!.targetLabel,
    ...styleOf(list[0]!.target, i),
    dashed: dashedTargets.includes(list[0]!.target),
    points: list.map((r) => ({ x: x(r), y: value(r) ?? Number.NaN, tip: `${xText(r)}: ${tip(r)}${r.machine?.quiet === false ? ' (machine NOT QUIET)' : ''}` })),
  }));
}

/** Quiet cases solid, loaded ones dashed in the same colour: one chart of its own for the contention scenario. */
function contentionSeries(results: CaseResult[], value: (r: CaseResult) => number | undefined, tip: (r: CaseResult) => string): Series[] {
  const loaded = results.filter((r) => r.load);
  const targets = new Set(loaded.map((r) => r.target));
  const quiet = results.filter((r) => !r.load && targets.has(r.target));
  const q = series(quiet, value, tip);
  const l = series(loaded, value, tip).map((s) => ({ ...s, name: `${s.name}, loaded`, dashed: true }));
  return [...q, ...l];
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

/** A table; a row whose last cell is a machine verdict of "NOT QUIET" is flagged. */
function table(headers: string[], rows: string[][], numericFrom = 2): string {
  const head = headers.map((h, i) => `<th${i >= numericFrom ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => {
      const noisy = r[r.length - 1]?.startsWith('NOT QUIET') === true;
      return `<tr${noisy ? ' class="noisy" title="the machine was not quiet during this case: not this code\'s speed"' : ''}>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function noisyCases(run: BenchRun): Array<{ label: string; machine: MachineCheck }> {
  return machineChecks(run).filter((c) => c.machine.quiet === false);
}

/** One row per case: target and size (or `key`), then `columns`. */
function caseTable(results: CaseResult[], columns: readonly Column[], key: { header: string; cell: (r: CaseResult) => string } = SIZE_KEY): string {
  return table(
    ['target', key.header, ...columns.map((c) => c.header)],
    results.map((r) => [r.targetLabel, key.cell(r), ...columns.map((c) => c.cell(r))]),
  );
}

const SIZE_KEY = { header: 'size', cell: (r: CaseResult): string => formatSize(r.sizeBytes) };

export function renderHtml(run: BenchRun): string {
  const e = run.environment;
  const allPing = run.results.filter((r) => r.scenario === 'ping-pong');
  const allStream = run.results.filter((r) => r.scenario === 'stream');
  const ping = allPing.filter((r) => !r.load);
  const first = run.firstRoundTrips ?? [];
  const stream = allStream.filter((r) => !r.load);
  const fanIn = run.results.filter((r) => r.scenario === 'fan-in');
  const many = run.results.filter((r) => r.scenario === 'many-channels');
  const memcpy = run.results.filter((r) => r.scenario === 'memcpy');
  const loadedPing = allPing.filter((r) => r.load);
  const loadedStream = allStream.filter((r) => r.load);
  const writers = fanIn[0]?.writers ?? run.options.writers;
  const noisy = noisyCases(run);
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
        ['memcpy', 'memcpy-ram'],
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
        ['memcpy', 'memcpy-ram'],
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
  const contentionCharts = loadedPing.length
    ? [
        logLogChart(
          contentionSeries(
            allPing,
            (r) => r.latencyNs?.p50,
            (r) => `p50 ${formatNs(r.latencyNs?.p50)}, p99 ${formatNs(r.latencyNs?.p99)}`,
          ),
          {
            title: `Contention — ROUND TRIP p50, quiet (solid), ${run.options.load ?? '?'} busy processes (dashed)`,
            yLabel: 'round trip p50 (log scale)',
            yTick: nsTick,
            ...byte,
          },
        ),
        logLogChart(
          contentionSeries(
            allPing,
            (r) => r.latencyNs?.p99,
            (r) => `p99 ${formatNs(r.latencyNs?.p99)}`,
          ),
          {
            title: 'Contention — ROUND TRIP p99, quiet (solid), loaded (dashed)',
            yLabel: 'round trip p99 (log scale)',
            yTick: nsTick,
            ...byte,
          },
        ),
        ...(loadedStream.length
          ? [
              logLogChart(
                contentionSeries(
                  allStream,
                  (r) => r.throughput?.messagesPerSec,
                  (r) => `${formatCount(r.throughput?.messagesPerSec)} msg/s`,
                ),
                {
                  title: 'Contention — stream ONE-WAY msg/s, quiet (solid), loaded (dashed)',
                  yLabel: 'messages/s (log scale)',
                  yTick: countTick,
                  ...byte,
                },
              ),
            ]
          : []),
      ]
    : [];
  const manyChart = many.length
    ? logLogChart(
        series(
          many,
          (r) => r.roundTripsPerSec,
          (r) => `${formatCount(r.roundTripsPerSec)} round trips/s${r.ratios.toPipe ? `, ×${sig(r.ratios.toPipe)} pipe` : ''}`,
          [],
          (r) => r.channels ?? 0,
          (r) => `${r.channels ?? 0} channels`,
        ),
        {
          title: 'Many channels — aggregate ROUND TRIPS per second, 64 B (higher is better)',
          xLabel: 'channels held by the client (log scale)',
          xTick: (n) => String(n),
          yLabel: 'round trips/s, all channels (log scale)',
          yTick: countTick,
        },
      )
    : '';

  const sync = run.sync ?? [];
  const syncRows = sync.map((r) => [
    r.label,
    r.measure,
    r.perOpNs !== undefined ? `${formatNs(r.perOpNs)} per pair` : `p50 ${formatNs(r.latencyNs?.p50)}, p99 ${formatNs(r.latencyNs?.p99)}`,
    formatSpread(r.spread),
    r.ratios.toFloor !== undefined ? `${formatRatio(r.ratios.toFloor)} floor` : r.ratios.toPipe !== undefined ? `${formatRatio(r.ratios.toPipe)} pipe` : '–',
    r.description,
    machineMark(r.machine),
  ]);
  const goals = run.goals ?? [];
  const goalRows = goals.filter((g) => g.met !== null).map((g) => [g.met ? 'met' : 'NOT MET', g.goal, g.detail, g.polluted ? 'NOT QUIET' : '']);
  const goalsUnmeasured = goals.length - goalRows.length;

  const idle = run.idle ?? [];
  const idleRows = idle.map((r) => [
    r.targetLabel,
    formatPercent(r.cpuPercent['reader']),
    formatPercent(r.cpuPercent['writer']),
    formatSpread(r.spread),
    `${sig(r.durationNs / 1e9)} s`,
    Object.entries(r.peakRssBytes)
      .map(([role, b]) => `${role} ${formatBytes(b)}`)
      .join(', '),
    machineMark(r.machine),
  ]);
  const targetRows = run.targets.map((t) => [t.label, t.kind, t.available ? (t.backend ?? '') : `not available: ${t.reason ?? ''}`]);
  const skippedRows = run.skipped.map((s) => [
    s.target,
    s.scenario,
    `${s.sizeBytes ? formatSize(s.sizeBytes) : 'all'}${s.channels ? ` × ${s.channels} channels` : ''}${s.load ? ` (load ${s.load})` : ''}`,
    s.reason,
  ]);
  const envRows = [
    ['platform', e.label],
    ['CPU', `${e.cpuModel}, ${e.cores} cores`],
    ['memory', formatBytes(e.totalMemoryBytes)],
    ['OS / kernel', `${e.os.type} ${e.os.release} — ${e.os.version}`],
    ['Node', `${e.node} (V8 ${e.v8})`],
    ...(e.wineVersion ? [['Wine', e.wineVersion]] : []),
    ...(e.host ? [['host', e.host]] : []),
    ['clock', e.clock],
    ...(e.cacheBytes ? [['last-level cache', formatBytes(e.cacheBytes)]] : []),
    [
      'profile',
      `${run.options.profile}: ${run.options.trials ?? 1} trials a case; sizes ${run.options.sizes.map(formatSize).join(', ')}; fan-in ${run.options.writers} writers${run.options.load ? `; contention: ${run.options.load} busy processes` : ''}${run.options.channels ? `; channels ${run.options.channels.join(', ')}` : ''}`,
    ],
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
tr.noisy td { background: #fde2e1; }
dl.verdict dt { font-weight: 600; margin-top: 8px; } dl.verdict dd { margin: 2px 0 0 18px; } .caveat { color: #a94442; } .noisy-banner { background: #fde2e1; border: 1px solid #d9534f; padding: 10px 14px; }
</style>
</head>
<body>
<h1>ipckit-bench: IPC transports side by side</h1>
${e.underWine ? `<p class="wine">${esc(e.label)}. These figures come from Windows Node running under Wine${e.wineVersion ? ` (${esc(e.wineVersion)})` : ''} on ${esc(e.host ?? 'Linux')}: Wine translates every Windows call, so compare the transports with each other (the ratios), not with real Windows machines.</p>` : ''}
<p>${esc(e.label)} · ${esc(e.cpuModel)} · ${e.cores} cores · Node ${esc(e.node)} · ${esc(run.options.profile)} profile · ${esc(run.createdAt)}</p>
${
  noisy.length
    ? `<p class="noisy-banner"><b>${noisy.length} of ${machineChecks(run).length} cases ran on a machine that was not quiet</b> (rows in red, marked NOT QUIET): other processes used the CPU, or the hypervisor took it, while they ran. Do not read their figures as this code's speed. ${esc(
        noisy
          .slice(0, 3)
          .map((c) => `${c.label}: ${c.machine.reasons.join('; ')}`)
          .join(' · '),
      )}${noisy.length > 3 ? ' · …' : ''}</p>`
    : ''
}
<h2 id="verdict">Verdict for this machine</h2>
<dl class="verdict">
${verdict(run)
  .map(
    (v) => `<dt>${esc(v.question)}</dt><dd><b>${esc(v.answer)}</b>: ${esc(v.figures)}${v.caveat ? ` <span class="caveat">${esc(v.caveat)}</span>` : ''}</dd>`,
  )
  .join('\n')}
</dl>
<p>Why, and what else decides (one-way or duplex, many writers, across machines, security): <a href="${CHOOSING_URL}">choosing a transport</a> (docs/choosing-a-transport.md in the repository).</p>
<h2>How to read this</h2>
<ul>
<li><b>Latency</b> is a <b>round trip</b>: one process sends a message, the other sends it back. Percentiles come from one sample per round trip (p50 = median; p99.9 = one round trip in a thousand was slower).</li>
<li><b>Throughput</b> is <b>one-way</b>: writers send as fast as backpressure lets them; the clock runs from the first send to the reader's last receive. MB/s counts payload bytes (1 MB = 10<sup>6</sup> bytes).</li>
<li><b>×floor</b>: the p50 over the <i>Atomics floor</i> (two processes spinning on a shared mapping — nothing in JavaScript is faster). <b>×pipe</b>: over named-pipe at the same size. <b>of memcpy</b>: share of the single-thread copy bandwidth, the ceiling.</li>
<li><b>CPU/msg</b>: user + system time of every process of the case during the measured phase, per message (a round trip is two). Busy-polling transports spend CPU to save latency; this column shows the price.</li>
<li><b>Idle CPU</b>: a connected channel with nothing sent on it; each process's user + system time over the window as a share of one core (100 % = a core kept busy). What waiting costs.</li>
<li><b>Trials</b>: every case runs ${run.options.trials ?? 1} times after one warm-up; each figure is the median, <b>spread</b> is (max − min) / median of the trials' headline figure.</li>
<li><b>Machine</b>: a case is <i>quiet</i> when, over its wall time, processes outside this run used under ${QUIET_OTHER_CORES * 100} % of one core and the hypervisor stole under ${QUIET_STEAL_PERCENT} % of the CPU time (Linux /proc; "not checked" elsewhere). The load average before and after each case is in the JSON.</li>
<li><b>of memcpy hot / RAM</b>: share of the single-thread copy ceiling measured in this run, cache-hot (the same buffers every copy) and memory-bound (fresh memory every copy).</li>
<li>Every peer is a separate OS process. Both axes of every chart are logarithmic. Hover a point for its figures.</li>
</ul>
<h2>Charts</h2>
<div class="charts">
${charts.join('\n')}
</div>
<h2>Ping-pong latency — round trip</h2>
${ping.length ? caseTable(ping, LATENCY_COLUMNS) : '<p class="empty">not measured</p>'}
${
  first.length
    ? `<h2>First ${firstCount(run)} round trips after connect — round trip, fresh processes, no warm-up</h2>
<p>Each trial starts a fresh echo process and a fresh client process, connects them, and records the client's first ${firstCount(run)} round trips: what a short program (a CLI call, a request burst, a test) sees, before anything has warmed up or adapted. <b>×floor</b>: over the Atomics floor's own first round trips in this run; <b>×steady</b>: over the same target's warmed-up ping-pong in this run.</p>
${caseTable(first, FIRST_COLUMNS)}`
    : ''
}
<h2>Streaming throughput — one-way, 1 writer → 1 reader</h2>
${stream.length ? caseTable(stream, throughputColumns(false)) : '<p class="empty">not measured</p>'}
<h2>Fan-in throughput — one-way, ${writers} writers → 1 reader</h2>
${fanIn.length ? caseTable(fanIn, throughputColumns(true)) : '<p class="empty">not measured</p>'}
${
  loadedPing.length
    ? `<h2>Contention — quiet and beside ${run.options.load ?? '?'} busy processes</h2>
<p>Every ping-pong and stream case ran twice: quiet, then beside ${run.options.load ?? '?'} busy processes (<code>for (;;) {}</code>) this run started for the case and stopped after it.</p>
<div class="charts">
${contentionCharts.join('\n')}
</div>
${caseTable(loadedPing, contentionColumns('ping-pong', run.results))}
${loadedStream.length ? caseTable(loadedStream, contentionColumns('stream', run.results)) : ''}
${caseTable(loadedPing, LATENCY_COLUMNS)}`
    : ''
}
${
  many.length
    ? `<h2>Many channels — one client, N channels, one echo server, 64 B round trips on every channel at once</h2>
<div class="charts">${manyChart}</div>
${caseTable(many, MANY_CHANNELS_COLUMNS, { header: 'channels', cell: (r) => String(r.channels ?? '') })}`
    : ''
}
${sync.length ? `<h2>@ipckit/sync — Mutex and Event</h2>${table(['what', 'measure', 'figure', 'spread', 'ratio', 'how', 'machine'], syncRows, 2)}` : ''}
<h2>Idle CPU — no traffic, % of one core per process</h2>
${idle.length ? table(['target', 'reader (waiting in receive)', 'writer (connected, idle)', 'spread (reader)', 'window', 'peak RSS', 'machine'], idleRows, 1) : '<p class="empty">not measured</p>'}
<h2>memcpy ceilings — in-process copy, single thread</h2>
${
  memcpy.length
    ? table(
        ['target', 'size', 'per copy', 'bandwidth', 'machine'],
        memcpy.map((r) => [
          r.targetLabel,
          formatSize(r.sizeBytes),
          formatNs(r.cpu.perMessageNs),
          formatMBps(r.throughput?.megabytesPerSec),
          machineMark(r.machine),
        ]),
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
${
  goals.length
    ? `<h2>The project's own goals (issues 13, 10, 19 and 20)</h2><p>Targets ipckit set itself, checked against this run's figures: they say how far the code is from where the project wants it, not which transport to choose (that is the verdict at the top).</p>${goalRows.length ? table(['verdict', 'goal', 'figures (failing first)', 'machine'], goalRows, 99) : ''}${
        goalsUnmeasured
          ? `<p class="empty">${goalsUnmeasured} more not measured in this run (their scenarios or targets did not run; goals[] in the JSON says what each needs).</p>`
          : ''
      }`
    : ''
}

<p>Scenarios: ${Object.values(SCENARIOS)
    .map((s) => `<b>${esc(s.title)}</b> (${esc(s.direction)}): ${esc(s.description)}`)
    .join('; ')}.</p>
</body>
</html>
`;
}
