/**
 * The figures beside each figure: latency against the Atomics floor, against
 * named-pipe and against zeromq's ipc:// (the first round trips after connect
 * also against the same target's warmed-up ping-pong); throughput against both memcpy
 * ceilings, named-pipe and zeromq ipc://; many-channels' aggregate rate
 * against named-pipe's and zeromq's. Always in the same run, at the same
 * message size, under the same load and (many-channels) with the same
 * number of channels.
 */
import type { CaseResult } from './results.js';

function key(r: CaseResult): string {
  return `${r.scenario}/${r.sizeBytes}/${r.load ?? 0}/${r.channels ?? 0}`;
}

function floorKey(r: CaseResult): string {
  return `${r.scenario}/${r.sizeBytes}/${r.load ?? 0}`;
}

/** The headline figure a ratio divides: p50 (lower is better), or a rate (higher is better). */
function rateOf(r: CaseResult): number | undefined {
  return r.roundTripsPerSec ?? r.throughput?.megabytesPerSec;
}

export function computeRatios(results: CaseResult[]): void {
  const floor = new Map<string, CaseResult>();
  const hot = new Map<number, CaseResult>();
  const ram = new Map<number, CaseResult>();
  const pipe = new Map<string, CaseResult>();
  const zmq = new Map<string, CaseResult>();
  for (const r of results) {
    // The floor of a ping-pong case is the floor's ping-pong; of a first-round-trips case, the floor's first round trips.
    if (r.target === 'atomics' && (r.scenario === 'ping-pong' || r.scenario === 'first-round-trips')) floor.set(floorKey(r), r);
    if (r.target === 'memcpy') hot.set(r.sizeBytes, r);
    if (r.target === 'memcpy-ram') ram.set(r.sizeBytes, r);
    if (r.target === 'pipe') pipe.set(key(r), r);
    if (r.target === 'zmq-ipc') zmq.set(key(r), r);
  }
  for (const r of results) {
    const ratios: CaseResult['ratios'] = {};
    const p = pipe.get(key(r));
    const z = zmq.get(key(r));
    if (r.latencyNs) {
      const f = floor.get(floorKey(r))?.latencyNs;
      if (f) ratios.toFloor = r.latencyNs.p50 / f.p50;
      if (p?.latencyNs) ratios.toPipe = r.latencyNs.p50 / p.latencyNs.p50;
      if (r.scenario === 'first-round-trips') {
        const steady = results.find((x) => x.target === r.target && x.scenario === 'ping-pong' && x.sizeBytes === r.sizeBytes && !x.load)?.latencyNs;
        if (steady) ratios.toSteady = r.latencyNs.p50 / steady.p50;
      }
      if (z?.latencyNs) ratios.toZmqIpc = r.latencyNs.p50 / z.latencyNs.p50;
    } else if (r.scenario !== 'memcpy') {
      const rate = rateOf(r);
      if (rate !== undefined) {
        if (r.throughput) {
          const c = hot.get(r.sizeBytes)?.throughput;
          const m = ram.get(r.sizeBytes)?.throughput;
          if (c) ratios.toCeiling = r.throughput.megabytesPerSec / c.megabytesPerSec;
          if (m) ratios.toMemoryCeiling = r.throughput.megabytesPerSec / m.megabytesPerSec;
        }
        const pr = p ? rateOf(p) : undefined;
        const zr = z ? rateOf(z) : undefined;
        if (pr) ratios.toPipe = rate / pr;
        if (zr) ratios.toZmqIpc = rate / zr;
      }
    }
    r.ratios = ratios;
  }
}
