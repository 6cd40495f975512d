/**
 * The copy ceiling: single-thread Uint8Array.prototype.set of one message
 * into another buffer, measured with tinybench (its model fits: one process,
 * one synchronous function). Small copies are batched so one sample is far
 * above the timer's resolution.
 */
import { Bench } from 'tinybench';
import { snapshot, since } from './peers/common.js';
import type { Profile } from './profile.js';
import type { CaseResult, ScenarioId } from './results.js';
import type { TargetDef } from './targets.js';

/** Copies per task call: about 256 KiB per call, at least one copy. */
function batch(size: number): number {
  return Math.max(1, Math.floor((256 * 1024) / size));
}

export async function runMemcpy(
  target: TargetDef,
  sizes: number[],
  profile: Profile,
  each: (size: number) => void,
  results: CaseResult[],
  label: (target: TargetDef, scenario: ScenarioId, size: number, writers: number) => string,
): Promise<void> {
  for (const size of sizes) {
    each(size);
    const source = new Uint8Array(size).fill(0x61);
    const destination = new Uint8Array(size);
    const copies = batch(size);
    const bench = new Bench({
      name: `memcpy ${size}`,
      time: profile.memcpyMs,
      warmupTime: Math.max(10, profile.memcpyMs / 4),
      timestampProvider: 'hrtimeNow',
      throws: true,
    });
    bench.add('copy', () => {
      for (let i = 0; i < copies; i++) destination.set(source);
    });
    const c0 = snapshot();
    await bench.run();
    const cpu = since(c0);
    const task = bench.tasks[0];
    const result = task?.result;
    if (!result || !('latency' in result)) throw new Error(`tinybench did not complete the ${size}-byte copy (${result?.state ?? 'no result'})`);
    const runs = result.latency.samplesCount;
    const nsPerCopy = (result.latency.mean * 1e6) / copies;
    const totalCopies = Math.max(1, runs * copies);
    results.push({
      target: target.id,
      targetLabel: target.label,
      kind: target.kind,
      scenario: 'memcpy',
      direction: 'in-process copy',
      label: label(target, 'memcpy', size, 1),
      sizeBytes: size,
      operations: totalCopies,
      writers: 1,
      durationNs: result.totalTime * 1e6,
      throughput: { messagesPerSec: 1e9 / nsPerCopy, megabytesPerSec: (size / nsPerCopy) * 1e3 },
      // tinybench's warm-up and bookkeeping are in this process's CPU time too: report the measured time per copy instead.
      cpu: { perMessageNs: nsPerCopy, userNs: cpu.userUs * 1000, systemNs: cpu.systemUs * 1000, byRole: { process: (cpu.userUs + cpu.systemUs) * 1000 } },
      peakRssBytes: { process: cpu.maxRssBytes },
      ratios: {},
    });
  }
}
