/**
 * The report's first screen: which transport to choose on this machine, in a
 * few sentences with ×N factors from this run. Small messages between two
 * processes (the lowest ping-pong round trip at the smallest size), large
 * ones (the highest one-way stream rate at the largest size), and a busy
 * machine (the contention scenario, when it ran). Only ipckit's transports are
 * chosen from; the factors are against pipe://, the usual default. A pick
 * that rests on a case that was not quiet or not steady says so.
 */
import { formatMBps, formatNs, formatRatio, formatSize } from '../format.js';
import type { BenchRun, CaseResult } from '../results.js';

/** Where the project explains the choice in full. */
export const CHOOSING_URL = 'https://github.com/ipckit/ipckit/blob/main/docs/choosing-a-transport.md';

/** One line of the verdict: the question, the answer, and the figures behind it (plain text, for the HTML to escape). */
export interface VerdictLine {
  question: string;
  answer: string;
  figures: string;
  /** Why the figures may not be this machine's speed (not quiet, not steady), or ''. */
  caveat: string;
}

function caveat(...cases: Array<CaseResult | undefined>): string {
  const reasons = new Set<string>();
  for (const c of cases) {
    if (c?.machine?.quiet === false) reasons.add('the machine was NOT QUIET');
    if (c?.warmup?.steady === false) reasons.add('a warm-up was NOT STEADY');
  }
  return reasons.size ? `Measured while ${[...reasons].join(' and ')}: run again on a quiet machine before relying on it.` : '';
}

const smallest = (cases: CaseResult[]): number => Math.min(...cases.map((c) => c.sizeBytes));
const largest = (cases: CaseResult[]): number => Math.max(...cases.map((c) => c.sizeBytes));

/** The lowest round trip at the smallest size among `cases`, and pipe's at that size. */
function fastestRoundTrip(cases: CaseResult[], question: string): VerdictLine | undefined {
  const ping = cases.filter((c) => c.scenario === 'ping-pong' && c.kind === 'transport' && c.latencyNs);
  if (ping.length === 0) return undefined;
  const size = smallest(ping);
  const at = ping.filter((c) => c.sizeBytes === size).sort((a, b) => a.latencyNs!.p50 - b.latencyNs!.p50);
  const best = at[0]!;
  const pipe = at.find((c) => c.target === 'pipe');
  const async = at.find((c) => c.target === 'shm');
  const factor =
    pipe && best !== pipe ? `, ${formatRatio(pipe.latencyNs!.p50 / best.latencyNs!.p50)} faster than pipe:// (${formatNs(pipe.latencyNs!.p50)})` : '';
  // The fastest is often a blocking API in a worker thread; say what the everyday async API gives too.
  const alsoAsync =
    async && async !== best && pipe
      ? `; with the async API, shm:// is ${formatRatio(pipe.latencyNs!.p50 / async.latencyNs!.p50)} pipe:// (${formatNs(async.latencyNs!.p50)})`
      : '';
  return {
    question: `${question} (${formatSize(size)})`,
    answer: best.targetLabel,
    figures: `round trip p50 ${formatNs(best.latencyNs!.p50)}${factor}${alsoAsync}.`,
    caveat: caveat(best, pipe, async),
  };
}

/** The highest one-way rate at the largest size, and pipe's. */
function fastestStream(cases: CaseResult[]): VerdictLine | undefined {
  const stream = cases.filter((c) => c.scenario === 'stream' && c.kind === 'transport' && !c.load && c.throughput);
  if (stream.length === 0) return undefined;
  const size = largest(stream);
  const at = stream.filter((c) => c.sizeBytes === size).sort((a, b) => b.throughput!.megabytesPerSec - a.throughput!.megabytesPerSec);
  const best = at[0]!;
  const pipe = at.find((c) => c.target === 'pipe');
  const factor =
    pipe && best !== pipe
      ? `, ${formatRatio(best.throughput!.megabytesPerSec / pipe.throughput!.megabytesPerSec)} pipe:// (${formatMBps(pipe.throughput!.megabytesPerSec)})`
      : '';
  return {
    question: `Large messages, one way (${formatSize(size)})`,
    answer: best.targetLabel,
    figures: `${formatMBps(best.throughput!.megabytesPerSec)}${factor}.`,
    caveat: caveat(best, pipe),
  };
}

/** The verdict lines this run has figures for. */
export function verdict(run: BenchRun): VerdictLine[] {
  const quiet = run.results.filter((c) => !c.load);
  const loaded = run.results.filter((c) => (c.load ?? 0) > 0);
  const lines: VerdictLine[] = [];
  const small = fastestRoundTrip(quiet, 'Small messages between two processes');
  if (small) lines.push(small);
  const large = fastestStream(quiet);
  if (large) lines.push(large);
  const busy = fastestRoundTrip(loaded, `On a busy machine (beside ${run.options.load ?? '?'} busy processes), small messages`);
  lines.push(
    busy ?? {
      question: 'On a busy machine',
      answer: 'not measured in this run',
      figures: 'add --load 2 (or --scenarios contention): every ping-pong and stream case then also runs beside busy processes.',
      caveat: '',
    },
  );
  return lines;
}
