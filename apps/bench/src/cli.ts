#!/usr/bin/env node
/**
 * ipckit-bench: every transport's latency, throughput and cost, side by side
 * with Node's own baselines, in one run.
 *
 *   ipckit-bench [--quick] [--transports LIST] [--baselines LIST] [--scenarios LIST] [--load N]
 *                [--trials N] [--sizes LIST] [--channels LIST] [--writers N] [--idle-seconds S]
 *                [--json FILE] [--html FILE] [--windows]
 *   ipckit-bench compare A.json B.json
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSize, parseSize } from './format.js';
import { PROFILES, type Profile } from './profile.js';
import { createProgress } from './progress.js';
import { checkRun, renderCompare } from './report/compare.js';
import { renderHtml } from './report/html.js';
import { renderTable } from './report/table.js';
import type { BenchRun, ScenarioId } from './results.js';
import { runBench } from './runner.js';
import { BASELINE_IDS, TARGETS, TRANSPORT_IDS } from './targets.js';

/** What --scenarios chooses from (memcpy runs with its baseline; contention is what --load turns on). */
const SCENARIO_IDS: Array<ScenarioId | 'contention'> = [
  'ping-pong',
  'first-round-trips',
  'stream',
  'fan-in',
  'fan-out',
  'idle',
  'many-channels',
  'sync',
  'contention',
];
/** The scenarios of a run without --scenarios. */
const DEFAULT_SCENARIOS: ScenarioId[] = ['ping-pong', 'first-round-trips', 'stream', 'fan-in', 'fan-out', 'idle', 'many-channels', 'sync'];

const USAGE = `ipckit-bench — ipckit's transports side by side: latency, throughput and cost

Usage
  ipckit-bench [options]              run the benchmark (npm run bench at the repository root)
  ipckit-bench compare A.json B.json  compare two runs saved with --json

Options
  --quick                 fewer sizes and shorter phases: under a minute (default run: under ten)
  --transports LIST       ${TRANSPORT_IDS.join(',')} (default: all), or none
  --baselines LIST        ${BASELINE_IDS.join(',')} (default: all), or none
  --scenarios LIST        ${SCENARIO_IDS.join(',')}
                          (default: ${DEFAULT_SCENARIOS.join(',')}; all = every one, contention included)
  --load N|cores          the contention scenario: every ping-pong and stream case also runs beside N busy
                          processes (for (;;) {}) that this run starts and stops; quiet and loaded side by side
                          (--scenarios contention alone: one per core, here ${availableParallelism()})
  --trials N              measured trials of each case, after one warm-up; figures are medians
                          (default ${PROFILES.default.trials}; --quick ${PROFILES.quick.trials})
  --sizes LIST            message sizes, e.g. 8,64,1k,64k,1m (default: ${PROFILES.default.sizes.map(formatSize).join(', ').replace(/ /g, '')};
                          --quick: ${PROFILES.quick.sizes.map(formatSize).join(', ').replace(/ /g, '')})
  --first N               first-round-trips: round trips recorded after each fresh connect, at 64 B
                          (default ${PROFILES.default.firstCount}; issue 20 §1's figure)
  --channels LIST         many-channels: channel counts (default ${PROFILES.default.channels.join(',')}; --quick ${PROFILES.quick.channels.join(',')})
  --subscribers LIST      fan-out: subscriber processes per case (default ${PROFILES.default.fanOutSubscribers.join(',')}; --quick ${PROFILES.quick.fanOutSubscribers.join(',')});
                          its sizes are ${PROFILES.default.fanOutSizes.map(formatSize).join(', ').replace(/ /g, '')} (--quick ${PROFILES.quick.fanOutSizes.map(formatSize).join(', ').replace(/ /g, '')}), or --sizes
  --writers N             writer processes for fan-in (default ${PROFILES.default.writers}; --quick ${PROFILES.quick.writers})
  --idle-seconds S        the idle window: a connected channel, nothing sent, CPU per process
                          (default ${PROFILES.default.idleMs / 1000}; --quick ${PROFILES.quick.idleMs / 1000})
  --json FILE             write the run (environment, backends, every figure) as JSON
  --html FILE             write a self-contained HTML report with log-scale charts
  --windows               run the same benchmark under Windows Node in Wine (the Windows lane);
                          absolute numbers under Wine are not Windows numbers
  --progress MODE         bar (default on a terminal), lines, none
  -h, --help              this text

Every latency is a round trip; every throughput is one-way; idle CPU is a share of one core,
per process. Each peer is its own OS process. A case measured while other programs used the CPU
(or the hypervisor stole it) is marked NOT QUIET.`;

function list<T extends string>(value: string | undefined, known: readonly T[], what: string): T[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'all') return [...known];
  if (value === 'none' || value === '') return [];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = items.filter((i) => !(known as readonly string[]).includes(i));
  if (unknown.length) throw new UsageError(`unknown ${what} ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return items as T[];
}

class UsageError extends Error {}

/**
 * Where a relative file name is taken from: the folder the user ran the command in. Through
 * `npm run bench` that is npm's INIT_CWD (npm runs scripts from the package's root), else the
 * process's own working directory.
 */
function userPath(file: string): string {
  return resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
}

function write(file: string, text: string): string {
  const path = userPath(file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** The command line as typed, for the report (with the program name, not node's path). */
function commandLine(argv: string[]): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  return ['ipckit-bench', ...argv].map(quote).join(' ');
}

async function compare(files: string[]): Promise<number> {
  if (files.length !== 2) throw new UsageError('compare takes two JSON files: ipckit-bench compare A.json B.json');
  const [a, b] = files.map((f) => checkRun(JSON.parse(readFileSync(userPath(f), 'utf8')), f)) as [BenchRun, BenchRun];
  console.log(renderCompare(a, b, files as [string, string]));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      transports: { type: 'string' },
      baselines: { type: 'string' },
      scenarios: { type: 'string' },
      sizes: { type: 'string' },
      channels: { type: 'string' },
      first: { type: 'string' },
      subscribers: { type: 'string' },
      load: { type: 'string' },
      trials: { type: 'string' },
      writers: { type: 'string' },
      'idle-seconds': { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      windows: { type: 'boolean', default: false },
      progress: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      // Set by --windows for the run inside Wine.
      'under-wine': { type: 'boolean', default: false },
      'wine-version': { type: 'string' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] === 'compare') return compare(positionals.slice(1));
  if (positionals.length && positionals[0] !== 'run') throw new UsageError(`unknown command ${positionals[0]}`);

  const base = PROFILES[values.quick ? 'quick' : 'default'];
  const profile: Profile = { ...base };
  if (values.sizes !== undefined) {
    profile.sizes = [...new Set(values.sizes.split(',').filter(Boolean).map(parseSize))].sort((a, b) => a - b);
    if (profile.sizes.length === 0) throw new UsageError('--sizes is empty');
    profile.fanOutSizes = profile.sizes;
  }
  if (values.subscribers !== undefined) {
    const counts = [...new Set(values.subscribers.split(',').filter(Boolean).map(Number))].sort((a, b) => a - b);
    if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 256)) {
      throw new UsageError('--subscribers is a list of integers from 1 to 256');
    }
    profile.fanOutSubscribers = counts;
  }
  if (values.channels !== undefined) {
    const counts = [...new Set(values.channels.split(',').filter(Boolean).map(Number))].sort((a, b) => a - b);
    if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 65_536)) {
      throw new UsageError('--channels is a list of integers from 1 to 65536');
    }
    profile.channels = counts;
  }
  if (values.first !== undefined) {
    const n = Number(values.first);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new UsageError('--first must be an integer from 1 to 1000000');
    profile.firstCount = n;
  }
  if (values.trials !== undefined) {
    const n = Number(values.trials);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError('--trials must be an integer from 1 to 100');
    profile.trials = n;
  }
  let load: number | undefined;
  if (values.load !== undefined) {
    load = values.load === 'cores' ? availableParallelism() : Number(values.load);
    if (!Number.isInteger(load) || load < 1 || load > 256) throw new UsageError('--load must be an integer from 1 to 256 (or "cores")');
  }
  if (values.writers !== undefined) {
    const n = Number(values.writers);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError('--writers must be an integer from 1 to 64');
    profile.writers = n;
  }
  if (values['idle-seconds'] !== undefined) {
    const seconds = Number(values['idle-seconds']);
    if (!(seconds >= 0.1 && seconds <= 600)) throw new UsageError('--idle-seconds must be a number from 0.1 to 600');
    profile.idleMs = Math.round(seconds * 1000);
  }
  const transports = list(values.transports, TRANSPORT_IDS, 'transport') ?? TRANSPORT_IDS;
  const baselines = list(values.baselines, BASELINE_IDS, 'baseline') ?? BASELINE_IDS;
  const scenarios: Array<ScenarioId | 'contention'> = list(values.scenarios, SCENARIO_IDS, 'scenario') ?? [...DEFAULT_SCENARIOS];
  if (load !== undefined && !scenarios.includes('contention')) scenarios.push('contention');
  const targets = TARGETS.map((t) => t.id).filter((id) => transports.includes(id) || baselines.includes(id));
  // The sync scenario brings its own objects (and its pipe:// reference): it needs no target.
  if (targets.length === 0 && !scenarios.includes('sync')) throw new UsageError('nothing to measure: --transports and --baselines are both empty');

  const mode = (values.progress ?? (process.stderr.isTTY ? 'bar' : 'lines')) as 'bar' | 'lines' | 'none';
  if (!['bar', 'lines', 'none'].includes(mode)) throw new UsageError('--progress is bar, lines or none');
  const progress = createProgress(mode);

  let run: BenchRun;
  if (values.windows) {
    const { runUnderWine } = await import('./windows.js');
    const forwarded = argv.filter((a, i) => {
      const previous = argv[i - 1];
      return (
        a !== '--windows' &&
        !['--json', '--html', '--progress'].includes(a) &&
        !['--json', '--html', '--progress'].includes(previous ?? '') &&
        !a.startsWith('--json=') &&
        !a.startsWith('--html=') &&
        !a.startsWith('--progress=')
      );
    });
    run = await runUnderWine(forwarded, progress, values.quick ? 20 * 60_000 : 60 * 60_000);
    run.command = commandLine(argv);
  } else {
    run = await runBench({
      profile,
      targets,
      scenarios,
      ...(load !== undefined ? { load } : {}),
      command: commandLine(argv),
      underWine: values['under-wine'],
      ...(values['wine-version'] ? { wineVersion: values['wine-version'] } : {}),
      progress,
    });
  }
  progress.finish();

  if (values.json) console.error(`JSON written to ${write(values.json, `${JSON.stringify(run, null, 2)}\n`)}`);
  if (values.html) console.error(`HTML report written to ${write(values.html, renderHtml(run))}`);
  // Under Wine stdout is a file nobody reads; the outer run prints the table.
  if (!values['under-wine']) console.log(renderTable(run));
  // Nothing measured at all (every target unavailable or failed) is a failure.
  return run.results.length + (run.firstRoundTrips?.length ?? 0) + (run.idle?.length ?? 0) + (run.sync?.length ?? 0) + (run.fanOut?.length ?? 0) > 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string } | null | undefined)?.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`ipckit-bench: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      console.error(`ipckit-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 1;
    }
  },
);
