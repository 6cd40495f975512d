// The lessons' numbers come from a saved benchmark run (bench/run.json, written by
// `npm run bench -- --json FILE`), never typed in. A text marks each figure with where it comes from:
//
//   <!-- bench:run -->…<!-- /bench -->                             which run: date, profile, machine, command
//   <!-- bench:value pipe ping-pong 8 p50 -->…<!-- /bench -->       one figure (p50, p99: round trip; mbps, msgs: one-way)
//   <!-- bench:ratio pipe shm-sync ping-pong 8 -->…<!-- /bench -->  how many times the first's p50 is the second's
//   <!-- bench:idle shm reader -->…<!-- /bench -->                  idle CPU of one process, % of a core
//   <!-- bench:table ping-pong p50 -->                             a table, every target by every size
//   …
//   <!-- /bench -->
//
// renderMarkers() fills every marker from the run; a test checks that the texts hold exactly that
// (node apps/lessons/bin/quote.mjs --bench rewrites them after a new run is saved), and the site is
// built from a fresh rendering, so it can never show other numbers than the file's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_DIR } from './programs.mjs';

export const RUN_FILE = join(APP_DIR, 'bench', 'run.json');

/**
 * @typedef {{ target: string, targetLabel: string, kind: string, scenario: string, sizeBytes: number,
 *   latencyNs: { p50: number, p90: number, p99: number }, throughput: { messagesPerSec: number, megabytesPerSec: number } }} BenchResult
 * @typedef {{ schema: string, createdAt: string, command: string, durationMs: number,
 *   options: { profile: string, sizes: number[] },
 *   environment: { label: string, cpuModel: string, cores: number, node: string },
 *   results: BenchResult[], idle?: Array<{ target: string, cpuPercent: Record<string, number> }> }} BenchRun
 */

/**
 * The saved run (schema ipckit-bench/1).
 * @param {string} [file]
 * @returns {BenchRun}
 */
export function loadRun(file = RUN_FILE) {
  const run = JSON.parse(readFileSync(file, 'utf8'));
  if (run.schema !== 'ipckit-bench/1') throw new Error(`${file}: schema ${run.schema}, expected ipckit-bench/1`);
  return run;
}

const sig3 = (x) => Number(x.toPrecision(3)).toString();

export function formatNs(ns) {
  if (ns < 1000) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${sig3(ns / 1e3)} µs`;
  if (ns < 1e9) return `${sig3(ns / 1e6)} ms`;
  return `${sig3(ns / 1e9)} s`;
}

export function formatMBps(mb) {
  return mb >= 1000 ? `${sig3(mb / 1000)} GB/s` : `${sig3(mb)} MB/s`;
}

export function formatCount(n) {
  if (n >= 1e6) return `${sig3(n / 1e6)} M`;
  if (n >= 1e3) return `${sig3(n / 1e3)} k`;
  return sig3(n);
}

export function formatSize(bytes) {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function result(run, target, scenario, size) {
  const r = run.results.find((x) => x.target === target && x.scenario === scenario && x.sizeBytes === Number(size));
  if (!r) throw new Error(`the bench run has no ${target} ${scenario} at ${size} bytes`);
  return r;
}

/** The lowest and highest value of a case's figure over its trials (the run's `spread`). */
function trialRange(r) {
  const values = r.spread?.values;
  if (!values?.length) throw new Error(`the bench run has no trials for ${r.label ?? r.target}`);
  return { min: Math.min(...values), max: Math.max(...values), n: values.length };
}

function figure(r, field) {
  switch (field) {
    case 'spread': {
      const { min, max } = trialRange(r);
      const format = { 'latencyNs.p50': formatNs, 'throughput.megabytesPerSec': formatMBps, 'throughput.messagesPerSec': (n) => `${formatCount(n)} msg/s` }[
        r.spread.figure
      ];
      if (!format) throw new Error(`the bench run's spread is of ${r.spread.figure}, which the lessons do not quote`);
      return `${format(min)}–${format(max)}`;
    }
    case 'p50':
    case 'p90':
    case 'p99':
      return formatNs(r.latencyNs[field]);
    case 'mbps':
      return formatMBps(r.throughput.megabytesPerSec);
    case 'msgs':
      return `${formatCount(r.throughput.messagesPerSec)} msg/s`;
    default:
      throw new Error(`unknown bench field ${field}`);
  }
}

const WORDS = {
  en: {
    run: (run, e) =>
      `the ${run.options.profile} run of ${run.createdAt.slice(0, 10)} ${run.createdAt.slice(11, 16)} UTC on ${e.label}, ${e.cpuModel}, ${e.cores} cores, Node ${e.node} (\`${run.command}\`, ${Math.round(run.durationMs / 1000)} s)`,
    head: (what) => `target (${what})`,
    p50: 'round trip, median (p50)',
    p99: 'round trip, 99th percentile (p99)',
    spread: 'round trip p50 of each trial, lowest–highest',
    trials: (n) => `over ${n} trials`,
    slower: (n, of) => `${n} of the ${of} targets`,
    mbps: 'one-way, payload MB/s',
    missing: '–',
  },
  'zh-CN': {
    run: (run, e) =>
      `${run.createdAt.slice(0, 10)} ${run.createdAt.slice(11, 16)} UTC 的 ${run.options.profile} 档运行，机器为 ${e.label}、${e.cpuModel}、${e.cores} 核、Node ${e.node}（\`${run.command}\`，用时 ${Math.round(run.durationMs / 1000)} 秒）`,
    head: (what) => `对象（${what}）`,
    p50: '往返，中位数 p50',
    p99: '往返，第 99 百分位 p99',
    spread: '每轮往返 p50，最低–最高',
    trials: (n) => `共 ${n} 轮`,
    slower: (n, of) => `${of} 个对象中的 ${n} 个`,
    mbps: '单向，有效载荷 MB/s',
    missing: '–',
  },
};

/** The content of one marker. */
export function renderMarker(run, spec, lang) {
  const [kind, ...args] = spec.trim().split(/\s+/);
  const words = WORDS[lang] ?? WORDS.en;
  switch (kind) {
    case 'run':
      return words.run(run, run.environment);
    case 'value': {
      const [target, scenario, size, field] = args;
      return figure(result(run, target, scenario, size), field);
    }
    case 'ratio': {
      const [a, b, scenario, size] = args;
      const ra = result(run, a, scenario, size);
      const rb = result(run, b, scenario, size);
      const x = scenario === 'ping-pong' ? ra.latencyNs.p50 / rb.latencyNs.p50 : ra.throughput.megabytesPerSec / rb.throughput.megabytesPerSec;
      return `×${sig3(x)}`;
    }
    case 'spread': {
      // spread pipe ping-pong 8: the case's figure in each trial, lowest to highest.
      const [target, scenario, size] = args;
      const r = result(run, target, scenario, size);
      return `${figure(r, 'spread')} ${words.trials(trialRange(r).n)}`;
    }
    case 'ratio-range': {
      // ratio-range pipe shm-sync ping-pong 8: the ratio of the first to the second, trial against
      // trial, from the smallest to the largest it could be.
      const [a, b, scenario, size] = args;
      const ra = trialRange(result(run, a, scenario, size));
      const rb = trialRange(result(run, b, scenario, size));
      return `×${sig3(ra.min / rb.max)}–×${sig3(ra.max / rb.min)}`;
    }
    case 'slower': {
      // slower ping-pong 8 1024: how many targets took longer at the first size than at the second.
      const [scenario, small, large] = args;
      const targets = [...new Set(run.results.filter((r) => r.scenario === scenario).map((r) => r.target))];
      const both = targets.filter((t) => run.results.some((r) => r.target === t && r.scenario === scenario && r.sizeBytes === Number(large)));
      const slower = both.filter((t) => result(run, t, scenario, small).latencyNs.p50 > result(run, t, scenario, large).latencyNs.p50);
      return words.slower(slower.length, both.length);
    }
    case 'idle': {
      const [target, role] = args;
      const idle = run.idle?.find((x) => x.target === target);
      if (idle?.cpuPercent[role] === undefined) throw new Error(`the bench run has no idle ${role} for ${target}`);
      return `${sig3(idle.cpuPercent[role])} %`;
    }
    case 'table': {
      const [scenario, field] = args;
      const rows = run.results.filter((r) => r.scenario === scenario);
      const sizes = run.options.sizes;
      const targets = [...new Map(rows.map((r) => [r.target, r.targetLabel])).entries()];
      const head = `| ${words.head(words[field] ?? field)} | ${sizes.map(formatSize).join(' | ')} |`;
      const rule = `|---|${sizes.map(() => '---:').join('|')}|`;
      const body = targets.map(([id, label]) => {
        const cells = sizes.map((s) => {
          const r = rows.find((x) => x.target === id && x.sizeBytes === s);
          return r ? figure(r, field) : words.missing;
        });
        return `| ${label} | ${cells.join(' | ')} |`;
      });
      return ['', head, rule, ...body, ''].join('\n');
    }
    default:
      throw new Error(`unknown bench marker "${spec}"`);
  }
}

const MARKER = /<!-- bench:([^>]*?) -->([\s\S]*?)<!-- \/bench -->/g;

/**
 * The markers of a text: { spec, content }.
 * @param {string} markdown
 * @returns {Array<{ spec: string, content: string }>}
 */
export function benchMarkers(markdown) {
  return [...markdown.matchAll(MARKER)].map((m) => ({ spec: m[1] ?? '', content: m[2] ?? '' }));
}

/**
 * The text with every marker's content rendered from `run`.
 * @param {string} markdown
 * @param {BenchRun} run
 * @param {string} lang
 * @returns {string}
 */
export function renderMarkers(markdown, run, lang) {
  return markdown.replace(MARKER, (_, spec) => `<!-- bench:${spec} -->${renderMarker(run, spec, lang)}<!-- /bench -->`);
}
