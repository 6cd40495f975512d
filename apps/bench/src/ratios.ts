/**
 * The figures beside each figure: latency against the Atomics floor and
 * against named-pipe; throughput against the memcpy ceiling and against
 * named-pipe. Always at the same message size and in the same run.
 */
import type { CaseResult } from './results.js';

function key(scenario: string, size: number): string {
  return `${scenario}/${size}`;
}

export function computeRatios(results: CaseResult[]): void {
  const floor = new Map<number, CaseResult>();
  const ceiling = new Map<number, CaseResult>();
  const pipe = new Map<string, CaseResult>();
  for (const r of results) {
    if (r.target === 'atomics' && r.scenario === 'ping-pong') floor.set(r.sizeBytes, r);
    if (r.target === 'memcpy') ceiling.set(r.sizeBytes, r);
    if (r.target === 'pipe') pipe.set(key(r.scenario, r.sizeBytes), r);
  }
  for (const r of results) {
    const ratios: CaseResult['ratios'] = {};
    const p = pipe.get(key(r.scenario, r.sizeBytes));
    if (r.latencyNs) {
      const f = floor.get(r.sizeBytes)?.latencyNs;
      if (f) ratios.toFloor = r.latencyNs.p50 / f.p50;
      if (p?.latencyNs) ratios.toPipe = r.latencyNs.p50 / p.latencyNs.p50;
    }
    if (r.throughput && r.scenario !== 'memcpy') {
      const c = ceiling.get(r.sizeBytes)?.throughput;
      if (c) ratios.toCeiling = r.throughput.megabytesPerSec / c.megabytesPerSec;
      if (p?.throughput) ratios.toPipe = r.throughput.megabytesPerSec / p.throughput.megabytesPerSec;
    }
    r.ratios = ratios;
  }
}
