/**
 * Lesson 5, reading a bench run: the JSON `npm run bench -- --json FILE` writes (schema
 * ipckit-bench/1). Prints which run it is and each transport's median round trip at the smallest and
 * the largest size it measured.
 *
 *   node dist/05-choosing/bench-summary.js <run.json>
 */
import { readFileSync } from 'node:fs';
import { arg, say } from '../common/say.js';
import { formatNs, formatSize } from './format.js';

interface Run {
  createdAt: string;
  command: string;
  options: { profile: string; sizes: number[] };
  environment: { label: string; cpuModel: string; cores: number };
  results: Array<{ target: string; targetLabel: string; kind: string; scenario: string; sizeBytes: number; latencyNs?: { p50: number } }>;
}

// #region summary
const run = JSON.parse(readFileSync(arg(0, 'bench JSON file'), 'utf8')) as Run;
say(
  `the run of ${run.createdAt.slice(0, 16).replace('T', ' ')} UTC, ${run.options.profile} profile, ${run.environment.label}, ${run.environment.cpuModel} × ${String(run.environment.cores)}`,
);
say(`  ${run.command}`);
const sizes = run.options.sizes;
const [small, large] = [sizes[0] ?? 0, sizes[sizes.length - 1] ?? 0];
const pingPong = run.results.filter((r) => r.scenario === 'ping-pong');
for (const target of [...new Set(pingPong.map((r) => r.target))]) {
  const at = (size: number) => pingPong.find((r) => r.target === target && r.sizeBytes === size)?.latencyNs?.p50;
  const [a, b] = [at(small), at(large)];
  const label = pingPong.find((r) => r.target === target)?.targetLabel ?? target;
  say(
    `  ${label.padEnd(30)} round trip, median: ${a === undefined ? '–' : formatNs(a)} at ${formatSize(small)}, ${b === undefined ? '–' : formatNs(b)} at ${formatSize(large)}`,
  );
}
// #endregion summary
