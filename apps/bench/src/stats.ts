import type { LatencyStats, Spread } from './results.js';

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

/** The median of some numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** How a figure varied over a case's trials. */
export function spreadOf(figure: string, values: number[]): Spread {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { figure, values, median: m, min, max, relative: m > 0 ? (max - min) / m : 0 };
}

/** Each field the median of that field over the trials (every trial has the same fields). */
export function medianOf<T extends object>(trials: readonly T[]): T {
  const first = trials[0];
  if (first === undefined) throw new Error('no trials');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    if (typeof value === 'number') out[key] = median(trials.map((t) => (t as Record<string, number>)[key]!));
    else if (value !== null && typeof value === 'object') out[key] = medianOf(trials.map((t) => (t as Record<string, object>)[key]!));
    else out[key] = value;
  }
  return out as T;
}
