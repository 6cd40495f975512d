/** Measurement helpers every peer family shares. */
import type { ControlClient } from '../control.js';

export type CpuSnapshot = {
  userUs: number;
  systemUs: number;
  maxRssBytes: number;
};

/** CPU time of this whole process (every thread) and its peak RSS so far. */
export function snapshot(): CpuSnapshot {
  const usage = process.resourceUsage();
  return { userUs: usage.userCPUTime, systemUs: usage.systemCPUTime, maxRssBytes: usage.maxRSS * 1024 };
}

export function since(start: CpuSnapshot): CpuSnapshot {
  const now = snapshot();
  return { userUs: now.userUs - start.userUs, systemUs: now.systemUs - start.systemUs, maxRssBytes: now.maxRssBytes };
}

/** A payload of `size` bytes: a repeating printable pattern (so json IPC needs no escaping). */
export function bytePayload(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = 97 + (i % 26);
  return bytes;
}

/** The nanosecond clock every process shares (CLOCK_MONOTONIC on Linux, QueryPerformanceCounter on Windows). */
export function now(): bigint {
  return process.hrtime.bigint();
}

/**
 * Runs round trips: by time (warm-up: `budgetMs`, at least `count`), or
 * exactly `count` with one sample each. Returns the samples (ns) when recording.
 */
export async function pingLoop(
  roundTrip: () => Promise<void>,
  args: { count: number; budgetMs?: number; record?: boolean },
): Promise<{ count: number; elapsedNs: number; samples?: Float64Array; cpu: CpuSnapshot }> {
  const c0 = snapshot();
  const start = now();
  if (args.record) {
    const samples = new Float64Array(args.count);
    for (let i = 0; i < args.count; i++) {
      const t = now();
      await roundTrip();
      samples[i] = Number(now() - t);
    }
    return { count: args.count, elapsedNs: Number(now() - start), samples, cpu: since(c0) };
  }
  const until = start + BigInt(Math.round((args.budgetMs ?? 0) * 1e6));
  let count = 0;
  while (count < args.count || now() < until) {
    await roundTrip();
    count++;
  }
  return { count, elapsedNs: Number(now() - start), cpu: since(c0) };
}

/** The synchronous twin of pingLoop, for spin-waiting families. */
export function pingLoopSync(
  roundTrip: () => void,
  args: { count: number; budgetMs?: number; record?: boolean },
): { count: number; elapsedNs: number; samples?: Float64Array; cpu: CpuSnapshot } {
  const c0 = snapshot();
  const start = now();
  if (args.record) {
    const samples = new Float64Array(args.count);
    for (let i = 0; i < args.count; i++) {
      const t = now();
      roundTrip();
      samples[i] = Number(now() - t);
    }
    return { count: args.count, elapsedNs: Number(now() - start), samples, cpu: since(c0) };
  }
  const until = start + BigInt(Math.round((args.budgetMs ?? 0) * 1e6));
  let count = 0;
  while (count < args.count || now() < until) {
    roundTrip();
    count++;
  }
  return { count, elapsedNs: Number(now() - start), cpu: since(c0) };
}

/** Sends `count` messages, awaiting each send (the backpressure). */
export async function sendLoop(send: () => Promise<void>, count: number): Promise<Record<string, unknown>> {
  const c0 = snapshot();
  const t0 = now();
  for (let i = 0; i < count; i++) await send();
  const t1 = now();
  return { t0: t0.toString(), t1: t1.toString(), cpu: since(c0) };
}

/**
 * Counts what a reader receives, over all its channels. `arm(until)` makes
 * it report a `reached` event with the clock when the total reaches `until`.
 */
export class Counter {
  count = 0;
  bytes = 0;
  private until = Number.POSITIVE_INFINITY;

  constructor(private readonly control: ControlClient) {}

  add(bytes: number): void {
    this.bytes += bytes;
    if (++this.count === this.until) {
      const tEnd = now();
      this.until = Number.POSITIVE_INFINITY;
      void this.control.emit('reached', { count: this.count, bytes: this.bytes, tEnd: tEnd.toString() });
    }
  }

  arm(until: number): void {
    if (this.count >= until) {
      throw new Error(`reader already holds ${this.count} messages, more than the ${until} expected`);
    }
    this.until = until;
  }
}

/** Turns a sample buffer into something JSON can carry compactly. */
export function encodeSamples(samples: Float64Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
}

export function decodeSamples(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float64Array(copy.buffer);
}
