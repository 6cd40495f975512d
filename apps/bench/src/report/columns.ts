/**
 * The columns of the per-case tables, defined once for the terminal report
 * (table.ts) and the HTML one (html.ts): each column's header beside the
 * cell it shows, so the two reports cannot drift apart.
 */
import { formatBytes, formatCount, formatMBps, formatNs, formatRatio, sig } from '../format.js';
import { machineMark } from '../machine.js';
import type { CaseResult, MachineCheck, Spread } from '../results.js';

/** One column of a per-case table. */
export interface Column {
  header: string;
  cell: (r: CaseResult) => string;
  /** Text, not a figure: left-aligned. */
  text?: boolean;
}

/** (max − min) / median of the trials, as "4.1%" ("–" for one trial). */
export function formatSpread(spread: Spread | undefined): string {
  if (!spread || spread.values.length < 2) return '–';
  return `${sig(spread.relative * 100)}%`;
}

/** A fraction as a percentage ("–" when unknown). */
export function share(value: number | undefined): string {
  return value === undefined ? '–' : `${sig(value * 100)}%`;
}

/** Peak RSS of each process of the case, in the order of its roles, as "54.2/53.4 MiB". */
export function rss(r: Pick<CaseResult, 'peakRssBytes'>): string {
  return (
    Object.values(r.peakRssBytes)
      .map((b) => formatBytes(b).replace(' MiB', ''))
      .join('/') + ' MiB'
  );
}

const SPREAD: Column = { header: 'spread', cell: (r) => formatSpread(r.spread) };
const TO_PIPE: Column = { header: '×pipe', cell: (r) => formatRatio(r.ratios.toPipe) };
const TO_ZMQ: Column = { header: '×zmq-ipc', cell: (r) => formatRatio(r.ratios.toZmqIpc) };
const CPU: Column = { header: 'CPU/msg', cell: (r) => formatNs(r.cpu.perMessageNs) };
/**
 * The machine during a case, and whether its warm-up reached a steady state: a case whose last
 * warm-up rounds still disagreed is marked NOT STEADY, so a short run does not pass off a
 * transport's first, slower round trips as its speed.
 */
export function caseMark(r: Pick<CaseResult, 'machine' | 'warmup'>): string {
  const machine = machineMark(r.machine);
  return r.warmup?.steady === false ? `${machine}, NOT STEADY (${r.warmup.rounds} warm-up rounds)` : machine;
}

const MACHINE: Column = { header: 'machine', cell: caseMark, text: true };
const rssColumn = (roles: string): Column => ({ header: `peak RSS ${roles}`, cell: rss });
const counted = (header: string): Column => ({ header, cell: (r) => formatCount(r.operations) });

/** Round-trip latency of ping-pong cases. */
export const LATENCY_COLUMNS: readonly Column[] = [
  { header: 'p50', cell: (r) => formatNs(r.latencyNs?.p50) },
  { header: 'p90', cell: (r) => formatNs(r.latencyNs?.p90) },
  { header: 'p99', cell: (r) => formatNs(r.latencyNs?.p99) },
  { header: 'p99.9', cell: (r) => formatNs(r.latencyNs?.p999) },
  { header: 'max', cell: (r) => formatNs(r.latencyNs?.max) },
  SPREAD,
  { header: '×floor', cell: (r) => formatRatio(r.ratios.toFloor) },
  TO_PIPE,
  TO_ZMQ,
  CPU,
  rssColumn('client/server'),
  counted('round trips'),
  MACHINE,
];

/**
 * The first round trips after connect (issue 20 §1): percentiles, ×floor (the floor's own first
 * round trips), ×steady (over the same target's warmed-up ping-pong of this run), ×pipe.
 */
export const FIRST_COLUMNS: readonly Column[] = [
  { header: 'p50', cell: (r) => formatNs(r.latencyNs?.p50) },
  { header: 'p90', cell: (r) => formatNs(r.latencyNs?.p90) },
  { header: 'p99', cell: (r) => formatNs(r.latencyNs?.p99) },
  { header: 'max', cell: (r) => formatNs(r.latencyNs?.max) },
  SPREAD,
  { header: '×floor', cell: (r) => formatRatio(r.ratios.toFloor) },
  { header: '×steady', cell: (r) => formatRatio(r.ratios.toSteady) },
  TO_PIPE,
  CPU,
  rssColumn('client/server'),
  counted('round trips'),
  MACHINE,
];

/** One-way throughput of stream and fan-in cases. */
export function throughputColumns(fanIn: boolean): readonly Column[] {
  return [
    { header: 'messages', cell: (r) => `${formatCount(r.throughput?.messagesPerSec)}/s` },
    { header: 'payload', cell: (r) => formatMBps(r.throughput?.megabytesPerSec) },
    SPREAD,
    { header: 'of memcpy hot', cell: (r) => share(r.ratios.toCeiling) },
    { header: 'of memcpy RAM', cell: (r) => share(r.ratios.toMemoryCeiling) },
    TO_PIPE,
    TO_ZMQ,
    CPU,
    rssColumn(fanIn ? 'reader/writers' : 'reader/writer'),
    counted('messages sent'),
    MACHINE,
  ];
}

/** Aggregate round trips of many-channels cases. */
export const MANY_CHANNELS_COLUMNS: readonly Column[] = [
  { header: 'round trips (all channels)', cell: (r) => `${formatCount(r.roundTripsPerSec)}/s` },
  SPREAD,
  {
    header: 'slowest channel',
    cell: (r) => (r.slowestChannelRoundTripsPerSec === undefined ? '—' : `${formatCount(r.slowestChannelRoundTripsPerSec)}/s`),
  },
  TO_PIPE,
  CPU,
  rssColumn('client/server'),
  counted('counted'),
  MACHINE,
];

/**
 * Quiet and loaded side by side, for a loaded case `l` of `results`: its quiet
 * twin is the case of the same target, scenario and size run without load.
 */
export function contentionColumns(scenario: 'ping-pong' | 'stream', results: readonly CaseResult[]): readonly Column[] {
  const quietOf = (l: CaseResult): CaseResult | undefined =>
    results.find((x) => x.target === l.target && x.scenario === l.scenario && x.sizeBytes === l.sizeBytes && !x.load);
  const both = (header: string, value: (r: CaseResult) => string): Column[] => [
    { header: `${header} quiet`, cell: (l) => quietCell(quietOf(l), value) },
    { header: `${header} loaded`, cell: (l) => marked(value(l), l.machine) },
  ];
  const ratio = (header: string, value: (r: CaseResult) => number | undefined): Column => ({
    header,
    cell: (l) => {
      const q = quietOf(l);
      const loaded = value(l);
      const quiet = q === undefined ? undefined : value(q);
      return loaded !== undefined && quiet !== undefined ? formatRatio(loaded / quiet) : '–';
    },
  });
  const figures =
    scenario === 'ping-pong'
      ? [
          ...both('p50', (r) => formatNs(r.latencyNs?.p50)),
          ...both('p99', (r) => formatNs(r.latencyNs?.p99)),
          ratio('loaded/quiet p50', (r) => r.latencyNs?.p50),
        ]
      : [...both('msg/s', (r) => `${formatCount(r.throughput?.messagesPerSec)}/s`), ratio('loaded/quiet', (r) => r.throughput?.messagesPerSec)];
  return [
    ...figures,
    { header: '×pipe quiet', cell: (l) => formatRatio(quietOf(l)?.ratios.toPipe) },
    { header: '×pipe loaded', cell: (l) => formatRatio(l.ratios.toPipe) },
    { header: 'machine', cell: (l) => (quietOf(l)?.machine?.quiet === false ? 'NOT QUIET (quiet case)' : machineMark(l.machine)), text: true },
  ];
}

/** Put after a figure whose case ran on a machine that was not quiet. */
export const NOT_QUIET_MARK = '!';

/** A figure, marked when its case was not quiet. */
export function marked(text: string, machine: MachineCheck | undefined): string {
  return machine?.quiet === false ? `${text}${NOT_QUIET_MARK}` : text;
}

function quietCell(q: CaseResult | undefined, value: (r: CaseResult) => string): string {
  return q === undefined ? '–' : marked(value(q), q.machine);
}
