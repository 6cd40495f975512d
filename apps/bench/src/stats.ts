import type { LatencyStats } from './results.js';

/**
 * Percentiles by the nearest-rank method on the sorted samples (no
 * interpolation: every reported figure is a latency that really happened).
 */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Summarises nanosecond samples. Sorts `samples` in place. */
export function latencyStats(samples: Float64Array): LatencyStats {
  samples.sort();
  let sum = 0;
  for (const s of samples) sum += s;
  return {
    p50: percentile(samples, 0.5),
    p90: percentile(samples, 0.9),
    p99: percentile(samples, 0.99),
    p999: percentile(samples, 0.999),
    max: samples[samples.length - 1] ?? Number.NaN,
    min: samples[0] ?? Number.NaN,
    mean: sum / samples.length,
  };
}

/** Clamps `value` into [min, max] and rounds it. */
export function clampCount(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return max;
  return Math.round(Math.min(max, Math.max(min, value)));
}
