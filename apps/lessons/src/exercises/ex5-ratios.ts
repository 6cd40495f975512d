/**
 * Lesson 5, exercise: read a bench run yourself. For every size the run measured, how many times
 * longer is a named-pipe round trip than a shared-memory one (the sync API), at the median?
 *
 *   node dist/exercises/ex5-ratios.js <run.json>
 */
import { readFileSync } from 'node:fs';
import { arg, say } from '../common/say.js';

interface Result {
  target: string;
  scenario: string;
  sizeBytes: number;
  latencyNs?: { p50: number };
}

// #region solution
const run = JSON.parse(readFileSync(arg(0, 'bench JSON file'), 'utf8')) as { options: { sizes: number[] }; results: Result[] };
const p50 = (target: string, size: number) =>
  run.results.find((r) => r.target === target && r.scenario === 'ping-pong' && r.sizeBytes === size)?.latencyNs?.p50;
for (const size of run.options.sizes) {
  const [pipe, shm] = [p50('pipe', size), p50('shm-sync', size)];
  if (pipe === undefined || shm === undefined) continue;
  say(`${String(size).padStart(8)} B: pipe ${(pipe / 1000).toFixed(1)} µs / shm (sync) ${(shm / 1000).toFixed(2)} µs = ×${(pipe / shm).toPrecision(3)}`);
}
// #endregion solution
