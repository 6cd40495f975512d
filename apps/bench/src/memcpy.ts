/**
 * The copy ceilings: single-thread Uint8Array.prototype.set of one message,
 * measured with tinybench (its model fits: one process, one synchronous
 * function). Small copies are batched so one sample is far above the
 * timer's resolution.
 *
 * - cache-hot (`memcpy`): the same source and destination every time, so
 *   both stay in the cache up to its size: the fastest a copy can be.
 * - memory-bound (`memcpy-ram`): each copy reads and writes the next place
 *   of two buffers of `profile.memoryBoundBytes` each (far larger than any
 *   cache), so the data comes from and goes to memory, as a large message
 *   that was just written by another core does. The places are views made
 *   before the clock starts (at most MAX_PLACES, spread over the buffers), so
 *   no copy allocates: below bytes / MAX_PLACES a message's places no longer
 *   cover the buffers and small copies partly hit the cache again (which is
 *   what small messages do anyway).
 */
import { Bench } from 'tinybench';
import { caseLabel, underLoad, type CaseContext } from './case.js';
import { snapshot, since } from './peers/common.js';
import type { Profile } from './profile.js';
import type { TargetDef } from './targets.js';

/** Copies per task call: about 256 KiB per call, at least one copy. */
function batch(size: number): number {
  return Math.max(1, Math.floor((256 * 1024) / size));
}

const MAX_PLACES = 65_536;

/** The memory-bound ceiling's two buffers, made (and touched, so every page is mapped) once per run of the target. */
interface Buffers {
  source: Uint8Array;
  destination: Uint8Array;
}

/** The copy a task call repeats, and what it is made of. */
function copier(size: number, buffers: Buffers | undefined): () => void {
  const copies = batch(size);
  if (!buffers) {
    const source = new Uint8Array(size).fill(0x61);
    const destination = new Uint8Array(size);
    return () => {
      for (let i = 0; i < copies; i++) destination.set(source);
    };
  }
  const { source, destination } = buffers;
  const bytes = source.length;
  const places = Math.max(1, Math.min(MAX_PLACES, Math.floor(bytes / size)));
  const stride = Math.floor(bytes / places);
  const from = Array.from({ length: places }, (_, i) => source.subarray(i * stride, i * stride + size));
  const to = Array.from({ length: places }, (_, i) => destination.subarray(i * stride, i * stride + size));
  let next = 0;
  return () => {
    for (let i = 0; i < copies; i++) {
      to[next]!.set(from[next]!);
      if (++next === places) next = 0;
    }
  };
}

export async function runMemcpy(target: TargetDef, sizes: number[], profile: Profile, ctx: CaseContext): Promise<void> {
  const bytes = profile.memoryBoundBytes;
  const buffers = target.memoryBound ? { source: new Uint8Array(bytes).fill(0x61), destination: new Uint8Array(bytes).fill(0x62) } : undefined;
  for (const size of sizes) {
    ctx.each(caseLabel(target, 'memcpy', size, 1));
    const copies = batch(size);
    const { value, machine } = await underLoad(0, profile, async () => {
      const bench = new Bench({
        name: `memcpy ${size}`,
        time: profile.memcpyMs,
        warmupTime: Math.max(10, profile.memcpyMs / 4),
        timestampProvider: 'hrtimeNow',
        throws: true,
      });
      bench.add('copy', copier(size, buffers));
      const c0 = snapshot();
      await bench.run();
      return { bench, cpu: since(c0) };
    });
    const { bench, cpu } = value;
    const result = bench.tasks[0]?.result;
    if (!result || !('latency' in result)) throw new Error(`tinybench did not complete the ${size}-byte copy (${result?.state ?? 'no result'})`);
    const runs = result.latency.samplesCount;
    const nsPerCopy = (result.latency.mean * 1e6) / copies;
    const totalCopies = Math.max(1, runs * copies);
    ctx.results.push({
      target: target.id,
      targetLabel: target.label,
      kind: target.kind,
      scenario: 'memcpy',
      direction: 'in-process copy',
      label: caseLabel(target, 'memcpy', size, 1),
      sizeBytes: size,
      operations: totalCopies,
      writers: 1,
      durationNs: result.totalTime * 1e6,
      load: 0,
      throughput: { messagesPerSec: 1e9 / nsPerCopy, megabytesPerSec: (size / nsPerCopy) * 1e3 },
      // tinybench's warm-up and bookkeeping are in this process's CPU time too: report the measured time per copy instead.
      cpu: { perMessageNs: nsPerCopy, userNs: cpu.userUs * 1000, systemNs: cpu.systemUs * 1000, byRole: { process: (cpu.userUs + cpu.systemUs) * 1000 } },
      peakRssBytes: { process: cpu.maxRssBytes },
      ratios: {},
      machine,
    });
  }
}
