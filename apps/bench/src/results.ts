/**
 * The shape of a benchmark run: what `--json FILE` writes, what `compare`
 * reads and what the table and the HTML report are drawn from.
 */

/** Bumped when a field changes meaning; `compare` refuses other schemas. */
export const SCHEMA = 'ipckit-bench/1';

/** The measurements. Every label says round trip, one-way or no traffic. */
export type ScenarioId = 'ping-pong' | 'stream' | 'fan-in' | 'idle' | 'memcpy';

/** What a figure measures: a message there and back, messages in one direction, or a channel with nothing on it. */
export type Direction = 'round trip' | 'one-way' | 'in-process copy' | 'no traffic';

export interface ScenarioInfo {
  id: ScenarioId;
  title: string;
  direction: Direction;
  description: string;
}

export const SCENARIOS: Readonly<Record<ScenarioId, ScenarioInfo>> = {
  'ping-pong': {
    id: 'ping-pong',
    title: 'ping-pong latency',
    direction: 'round trip',
    description: 'one client process sends a message, the server process sends it back; one sample per round trip',
  },
  stream: {
    id: 'stream',
    title: 'streaming throughput',
    direction: 'one-way',
    description: 'one writer process sends as fast as backpressure allows; one reader process receives; from the first send to the last receive',
  },
  'fan-in': {
    id: 'fan-in',
    title: 'fan-in throughput',
    direction: 'one-way',
    description: "N writer processes send at once to one reader process; from the first send to the reader's last receive",
  },
  idle: {
    id: 'idle',
    title: 'idle CPU',
    direction: 'no traffic',
    description:
      'one writer process connected to one reader process that waits in receive (after one message, so past any spin before sleeping), nothing sent for a few seconds: the CPU each process uses, as a share of one core',
  },
  memcpy: {
    id: 'memcpy',
    title: 'memcpy bandwidth',
    direction: 'in-process copy',
    description: 'single-thread Uint8Array.prototype.set of one message into another buffer (tinybench): the copy ceiling',
  },
};

/** Latency statistics of one case, in nanoseconds. */
export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  min: number;
  mean: number;
}

export interface Throughput {
  messagesPerSec: number;
  /** Payload megabytes (10^6 bytes) per second. */
  megabytesPerSec: number;
}

/** CPU time (user + system) of every process of the case over the measured phase. */
export interface CpuCost {
  /** Sum over all processes, nanoseconds per message (a round trip is two messages). */
  perMessageNs: number;
  userNs: number;
  systemNs: number;
  /** CPU time of each role (client/server, writer(s)/reader), nanoseconds. */
  byRole: Record<string, number>;
}

export interface Ratios {
  /** Latency: this p50 over the Atomics floor's p50 at the same size (>= 1 is slower). */
  toFloor?: number;
  /** Throughput: this MB/s over the memcpy ceiling at the same size (< 1). */
  toCeiling?: number;
  /** Latency: this p50 over named-pipe's; throughput: this MB/s over named-pipe's. */
  toPipe?: number;
}

export interface CaseResult {
  target: string;
  targetLabel: string;
  kind: 'transport' | 'baseline';
  scenario: ScenarioId;
  direction: Direction;
  /** Human label, always saying round trip or one-way, e.g. "pipe · ping-pong round trip · 64 B". */
  label: string;
  sizeBytes: number;
  /** Measured messages (round trips count once here; see cpu.perMessageNs). */
  operations: number;
  /** Writer processes (fan-in), else 1. */
  writers: number;
  durationNs: number;
  latencyNs?: LatencyStats;
  throughput?: Throughput;
  cpu: CpuCost;
  /** Each process's peak resident set (maxRSS) in bytes, by role. For a peer kept across sizes, the peak so far. */
  peakRssBytes: Record<string, number>;
  ratios: Ratios;
}

/** One target's idle measure: a connected channel with nothing sent on it. */
export interface IdleResult {
  target: string;
  targetLabel: string;
  kind: 'transport' | 'baseline';
  /** Human label, e.g. "shm (async) · idle, no traffic · 2 s". */
  label: string;
  /** The idle window measured, wall clock, nanoseconds. */
  durationNs: number;
  /**
   * CPU time (user + system, every thread) of each process over the window,
   * as a percentage of one core: `reader` waits in receive, `writer` is
   * connected and sends nothing.
   */
  cpuPercent: Record<string, number>;
  peakRssBytes: Record<string, number>;
}

export interface SkippedCase {
  target: string;
  scenario: ScenarioId;
  sizeBytes?: number;
  reason: string;
}

export interface TargetInfo {
  id: string;
  label: string;
  kind: 'transport' | 'baseline';
  available: boolean;
  /** Backend facts: e.g. "posix: Unix domain socket (SOCK_STREAM)". */
  backend?: string;
  /** Why it did not run. */
  reason?: string;
}

export interface Environment {
  /** e.g. "linux x64" or "win32 under Wine — absolute numbers are not Windows numbers". */
  label: string;
  platform: string;
  arch: string;
  underWine: boolean;
  wineVersion?: string;
  /** Under Wine: the real OS and kernel underneath (os/kernel then describe what Wine reports). */
  host?: string;
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  os: { type: string; release: string; version: string };
  kernel: string;
  node: string;
  v8: string;
  hostname: string;
  clock: string;
}

export interface RunOptionsRecord {
  profile: 'quick' | 'default';
  sizes: number[];
  scenarios: ScenarioId[];
  targets: string[];
  writers: number;
  budgetMs: number;
  /** The idle window, ms (absent in runs made before the idle measure). */
  idleMs?: number;
}

export interface BenchRun {
  schema: typeof SCHEMA;
  createdAt: string;
  command: string;
  durationMs: number;
  options: RunOptionsRecord;
  environment: Environment;
  targets: TargetInfo[];
  results: CaseResult[];
  /** The idle measure, one entry per target (absent in runs made before it existed). */
  idle?: IdleResult[];
  skipped: SkippedCase[];
  notes: string[];
}
