/**
 * `compare A.json B.json`: every case present in both runs, B against A.
 * Latency: B's p50 / A's p50 (below 1 is faster). Throughput: B's MB/s / A's
 * (above 1 is faster). CPU per message: B / A. Idle CPU: B's share of a core / A's.
 */
import { formatCount, formatMBps, formatNs, formatPercent, formatSize } from '../format.js';
import { SCHEMA, type BenchRun, type CaseResult } from '../results.js';
import { NOT_QUIET_MARK, marked } from './columns.js';
import { textTable } from './text-table.js';

function key(r: CaseResult): string {
  return `${r.target}/${r.scenario}/${r.writers}/${r.sizeBytes}/${r.load ?? 0}/${r.channels ?? 0}`;
}

/** What a case is, beyond its target and size: the load it ran beside. */
function condition(r: CaseResult): string {
  return r.load ? `, load ${r.load}` : '';
}

/** Marks a change whose two runs' trials do not overlap: the difference is beyond either run's spread. */
export const DISAGREE_MARK = ' ‼';

/**
 * True when every trial of one run is beyond every trial of the other for the
 * same headline figure (issue 20 §4: the same case measured 88 µs and 897 µs):
 * the two runs disagree by more than their spread, so at least one of them
 * measured something else than the code (the machine, a change).
 */
export function disagree(a: CaseResult, b: CaseResult): boolean {
  const sa = a.spread;
  const sb = b.spread;
  if (!sa || !sb || sa.figure !== sb.figure || sa.values.length < 2 || sb.values.length < 2) return false;
  return sa.max < sb.min || sb.max < sa.min;
}

function change(ratio: number, lowerIsBetter: boolean): string {
  if (!Number.isFinite(ratio)) return '–';
  const better = lowerIsBetter ? ratio < 1 : ratio > 1;
  const pct = (ratio - 1) * 100;
  const mark = Math.abs(pct) < 5 ? '' : better ? '  better' : '  worse';
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%${mark}`;
}

export function checkRun(value: unknown, file: string): BenchRun {
  const run = value as Partial<BenchRun> | null | undefined;
  if (run?.schema !== SCHEMA || !Array.isArray(run.results)) throw new Error(`${file} is not an ipckit-bench JSON file (schema ${SCHEMA})`);
  return run as BenchRun;
}

export function renderCompare(a: BenchRun, b: BenchRun, names: [string, string]): string {
  const cases = (run: BenchRun): CaseResult[] => [...run.results, ...(run.firstRoundTrips ?? [])];
  const mapA = new Map(cases(a).map((r) => [key(r), r]));
  const rows: string[][] = [];
  const onlyOne: string[] = [];
  for (const rb of cases(b)) {
    const ra = mapA.get(key(rb));
    if (!ra) {
      onlyOne.push(`only in B: ${rb.label}`);
      continue;
    }
    mapA.delete(key(rb));
    const mark = disagree(ra, rb) ? DISAGREE_MARK : '';
    if (rb.roundTripsPerSec !== undefined && ra.roundTripsPerSec !== undefined) {
      rows.push([
        rb.targetLabel,
        `${rb.channels ?? '?'} channels (round trips/s)`,
        formatSize(rb.sizeBytes),
        marked(`${formatCount(ra.roundTripsPerSec)}/s`, ra.machine),
        marked(`${formatCount(rb.roundTripsPerSec)}/s`, rb.machine),
        change(rb.roundTripsPerSec / ra.roundTripsPerSec, false) + mark,
        change(rb.cpu.perMessageNs / ra.cpu.perMessageNs, true),
      ]);
    } else if (rb.latencyNs && ra.latencyNs) {
      rows.push([
        rb.targetLabel,
        `${rb.scenario} (round trip${condition(rb)}) p50`,
        formatSize(rb.sizeBytes),
        marked(formatNs(ra.latencyNs.p50), ra.machine),
        marked(formatNs(rb.latencyNs.p50), rb.machine),
        change(rb.latencyNs.p50 / ra.latencyNs.p50, true) + mark,
        change(rb.cpu.perMessageNs / ra.cpu.perMessageNs, true),
      ]);
      rows.push([
        '',
        `${rb.scenario} (round trip) p99`,
        '',
        formatNs(ra.latencyNs.p99),
        formatNs(rb.latencyNs.p99),
        change(rb.latencyNs.p99 / ra.latencyNs.p99, true),
        '',
      ]);
    } else if (rb.throughput && ra.throughput) {
      const dir = rb.scenario === 'memcpy' ? 'in-process' : 'one-way';
      rows.push([
        rb.targetLabel,
        `${rb.scenario}${rb.writers > 1 ? ` ${rb.writers}→1` : ''} (${dir}${condition(rb)})`,
        formatSize(rb.sizeBytes),
        marked(formatMBps(ra.throughput.megabytesPerSec), ra.machine),
        marked(formatMBps(rb.throughput.megabytesPerSec), rb.machine),
        change(rb.throughput.megabytesPerSec / ra.throughput.megabytesPerSec, false) + mark,
        rb.scenario === 'memcpy' ? '' : change(rb.cpu.perMessageNs / ra.cpu.perMessageNs, true),
      ]);
    }
  }
  for (const ra of mapA.values()) onlyOne.push(`only in A: ${ra.label}`);
  const idleA = new Map((a.idle ?? []).map((r) => [r.target, r]));
  for (const rb of b.idle ?? []) {
    const ra = idleA.get(rb.target);
    if (!ra) {
      onlyOne.push(`only in B: ${rb.label}`);
      continue;
    }
    idleA.delete(rb.target);
    for (const role of Object.keys(rb.cpuPercent)) {
      const pa = ra.cpuPercent[role];
      const pb = rb.cpuPercent[role];
      if (pa === undefined || pb === undefined) continue;
      rows.push([
        role === 'reader' ? rb.targetLabel : '',
        `idle CPU, ${role} (% of a core)`,
        '',
        marked(formatPercent(pa), ra.machine),
        marked(formatPercent(pb), rb.machine),
        change(pb / pa, true),
        '',
      ]);
    }
  }
  for (const ra of idleA.values()) onlyOne.push(`only in A: ${ra.label}`);
  const syncA = new Map((a.sync ?? []).map((r) => [r.id, r]));
  for (const rb of b.sync ?? []) {
    const ra = syncA.get(rb.id);
    if (!ra) {
      onlyOne.push(`only in B: sync · ${rb.label}`);
      continue;
    }
    syncA.delete(rb.id);
    const fa = ra.perOpNs ?? ra.latencyNs?.p50;
    const fb = rb.perOpNs ?? rb.latencyNs?.p50;
    if (fa === undefined || fb === undefined) continue;
    rows.push([
      rb.label,
      rb.measure === 'uncontended' ? 'sync, per acquire + release' : 'sync, hand-off round trip p50',
      '',
      marked(formatNs(fa), ra.machine),
      marked(formatNs(fb), rb.machine),
      change(fb / fa, true),
      '',
    ]);
  }
  for (const ra of syncA.values()) onlyOne.push(`only in A: sync · ${ra.label}`);
  const head = [
    `A: ${names[0]} — ${a.environment.label}, ${a.environment.cpuModel}, Node ${a.environment.node}, ${a.options.profile}, ${a.createdAt}`,
    `B: ${names[1]} — ${b.environment.label}, ${b.environment.cpuModel}, Node ${b.environment.node}, ${b.options.profile}, ${b.createdAt}`,
  ];
  if (a.environment.underWine !== b.environment.underWine || a.environment.platform !== b.environment.platform) {
    head.push('Warning: the runs come from different platforms; compare the ratios within each run rather than these figures.');
  }
  if (a.environment.underWine || b.environment.underWine) head.push('Note: a run under Wine: absolute numbers are not Windows numbers.');
  if (rows.some((r) => r.some((c) => c.endsWith(NOT_QUIET_MARK))))
    head.push("!: that run measured the case on a machine that was not quiet; its figure is not the code's speed.");
  if (rows.some((r) => r.some((c) => c.endsWith(DISAGREE_MARK))))
    head.push(
      '‼: the two runs disagree by more than their spread (every trial of one is beyond every trial of the other): the code changed, or one machine was not what the other was; do not quote either figure alone.',
    );
  const body = textTable(
    [
      { header: 'target' },
      { header: 'figure' },
      { header: 'size' },
      { header: 'A', align: 'right' },
      { header: 'B', align: 'right' },
      { header: 'B vs A', align: 'right' },
      { header: 'CPU/msg B vs A', align: 'right' },
    ],
    rows,
  );
  return [...head, '', body, ...(onlyOne.length ? ['', ...onlyOne] : [])].join('\n');
}
