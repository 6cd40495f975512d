/**
 * `ipckit-bench compare A.json B.json` (issue 20 §4): two runs of the same case whose trials do
 * not overlap disagree by more than their spread, and the comparison says so (‼ and a note),
 * while runs whose trials overlap are compared without it. Built from a real saved run
 * (apps/lessons/bench/run.json), with one case's trials moved.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DISAGREE_MARK, checkRun, disagree, renderCompare } from '../src/report/compare.js';
import type { BenchRun, CaseResult } from '../src/results.js';

const SAVED = fileURLToPath(new URL('../../lessons/bench/run.json', import.meta.url));
const load = (): BenchRun => checkRun(JSON.parse(readFileSync(SAVED, 'utf8')), SAVED);

/** The first latency case with a spread of two or more trials. */
const latencyCase = (run: BenchRun): CaseResult => {
  const found = run.results.find((r) => r.latencyNs !== undefined && (r.spread?.values.length ?? 0) >= 2);
  if (!found) throw new Error('the saved run has no latency case with trials');
  return found;
};

/** `r` with its trials (and p50) scaled by `factor`. */
function scaled(r: CaseResult, factor: number): void {
  const spread = r.spread!;
  spread.values = spread.values.map((v) => v * factor);
  spread.min *= factor;
  spread.max *= factor;
  spread.median *= factor;
  r.latencyNs!.p50 *= factor;
}

describe('compare', () => {
  it('marks a case whose two runs’ trials do not overlap, and explains the mark', () => {
    const a = load();
    const b = load();
    const ca = latencyCase(a);
    const cb = latencyCase(b);
    // Every trial of B beyond every trial of A: 10× (the issue saw 88 µs against 897 µs).
    scaled(cb, 10);
    expect(disagree(ca, cb)).toBe(true);
    const text = renderCompare(a, b, ['a.json', 'b.json']);
    const row = text.split('\n').find((line) => line.includes(DISAGREE_MARK.trim()) && line.includes(cb.targetLabel));
    expect(row, text).toBeDefined();
    expect(text).toContain('‼: the two runs disagree by more than their spread');
  });

  it('does not mark runs whose trials overlap, even when their medians differ', () => {
    const a = load();
    const b = load();
    const cb = latencyCase(b);
    const spread = cb.spread!;
    // Within A's own range of trials: no disagreement beyond the spread.
    scaled(cb, 1 + (spread.max - spread.min) / spread.max / 2);
    expect(disagree(latencyCase(a), cb)).toBe(false);
    const text = renderCompare(a, b, ['a.json', 'b.json']);
    expect(text).not.toContain(DISAGREE_MARK.trim());
  });
});
