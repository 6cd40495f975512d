/**
 * The shape of a benchmark run: what `--json FILE` writes, what `compare`
 * reads and what the table and the HTML report are drawn from.
 */

/** Bumped when a field changes meaning; `compare` refuses other schemas. */
export const SCHEMA = 'ipckit-bench/1';

/** The measurements. Every label says round trip, one-way or no traffic. */
export type ScenarioId = 'ping-pong' | 'first-round-trips' | 'stream' | 'fan-in' | 'fan-out' | 'idle' | 'many-channels' | 'sync' | 'memcpy';

/** What a figure measures: a message there and back, messages in one direction, or a channel with nothing on it. */
export type Direction = 'round trip' | 'one-way' | 'in-process copy' | 'no traffic' | 'in-process';

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
  'first-round-trips': {
    id: 'first-round-trips',
    title: 'first round trips after connect',
    direction: 'round trip',
    description:
      'a fresh echo process and a fresh pinger process connect, and the pinger records its first round trips (1,000 of 64 bytes by default), with no warm-up: what a short program sees (issue 20 §1); every trial starts both processes anew',
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
  'fan-out': {
    id: 'fan-out',
    title: 'fan-out (topics)',
    direction: 'one-way',
    description:
      'one publisher process sends on a topic to N subscriber processes (core publish/subscribe; zeromq PUB/SUB): aggregate delivered message rate, publisher CPU per message, subscriber p50 latency of paced messages (send time in the payload), and every subscriber received + missed = published',
  },
  idle: {
    id: 'idle',
    title: 'idle CPU',
    direction: 'no traffic',
    description:
      'one writer process connected to one reader process that waits in receive (after one message, so past any spin before sleeping), nothing sent for a few seconds: the CPU each process uses, as a share of one core',
  },
  'many-channels': {
    id: 'many-channels',
    title: 'many channels',
    direction: 'round trip',
    description:
      'one client process holds N channels to one echo server process; every channel does 64-byte round trips at once, after a warm-up; aggregate round trips per second, by N',
  },
  sync: {
    id: 'sync',
    title: '@ipckit/sync',
    direction: 'in-process',
    description:
      'uncontended acquire + release of a Mutex (async acquire(), and acquireSync() in a worker thread) against Atomics.compareExchange + Atomics.store on shared memory; and hand-offs between two processes (a round trip of two: Mutex, Event), next to a pipe:// round trip',
  },
  memcpy: {
    id: 'memcpy',
    title: 'memcpy bandwidth',
    direction: 'in-process copy',
    description:
      'single-thread Uint8Array.prototype.set of one message into another buffer (tinybench): the copy ceilings, cache-hot (one buffer, copied again and again) and memory-bound (each copy to and from fresh memory far larger than the cache)',
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

/**
 * Ratios to other figures of the same run, at the same size, the same load
 * and (many-channels) the same channel count.
 */
export interface Ratios {
  /**
   * Latency: this p50 over the Atomics floor's p50 at the same size, in the same scenario
   * (first round trips against the floor's first round trips) (>= 1 is slower).
   */
  toFloor?: number;
  /** first-round-trips: this p50 over the same target's warmed-up ping-pong p50 at the same size in this run (>= 1: the first round trips are slower). */
  toSteady?: number;
  /** Throughput: this MB/s over the cache-hot memcpy ceiling at the same size (< 1). */
  toCeiling?: number;
  /** Throughput: this MB/s over the memory-bound memcpy ceiling at the same size. */
  toMemoryCeiling?: number;
  /**
   * Latency: this p50 over named-pipe's (below 1 is faster); throughput and
   * many-channels: this rate over named-pipe's (above 1 is faster).
   */
  toPipe?: number;
  /** As toPipe, against zeromq's ipc:// (the peer a Node user would pick instead). */
  toZmqIpc?: number;
}

/**
 * A case's trials: the figure named by `figure` in each trial, and how far
 * apart they are. Every figure of the case is the median over its trials.
 */
export interface Spread {
  /** Which figure: e.g. "latencyNs.p50", "throughput.messagesPerSec", "roundTripsPerSec". */
  figure: string;
  /** Its value in each trial, in order. */
  values: number[];
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: 0 when every trial agreed. */
  relative: number;
}

/** One sample of the machine's state, taken before or after a case. */
export interface MachineSample {
  /** os.loadavg(): 1, 5 and 15 minutes (zeros on Windows, which has none). */
  loadAvg: [number, number, number];
  /** Linux: the CPU time the hypervisor has stolen from this machine since boot, seconds (/proc/stat). */
  stealSeconds?: number;
  /** Linux: runnable threads right now, this run's included (/proc/stat procs_running). */
  runnable?: number;
}

/**
 * Was the machine quiet during a case? See README "Is the machine quiet?".
 * On Linux from /proc; elsewhere `quiet` is null (not checked).
 */
export interface MachineCheck {
  before: MachineSample;
  after: MachineSample;
  /** The case's wall time, from the first sample to the last, seconds. */
  windowSeconds: number;
  /** Linux: CPU used by processes outside this run (user + system), in cores, averaged over the window. */
  otherCpuCores?: number;
  /** Linux: the share of all CPU time the hypervisor stole during the window, percent. */
  stealPercent?: number;
  /** True: quiet; false: not quiet (see `reasons`); null: not checked on this OS. */
  quiet: boolean | null;
  /** Why not quiet, or why not checked. */
  reasons: string[];
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
  /** Measured messages over all trials (round trips count once here; see cpu.perMessageNs). */
  operations: number;
  /** Writer processes (fan-in), else 1. */
  writers: number;
  /** Measured time over all trials. */
  durationNs: number;
  /** Busy processes (`for (;;) {}`) this run kept running beside the case: 0 quiet, N under --load (absent in older runs: 0). */
  load?: number;
  /** many-channels: channels the client held, each doing round trips at once. */
  channels?: number;
  latencyNs?: LatencyStats;
  throughput?: Throughput;
  /** many-channels: round trips per second, all channels together. */
  roundTripsPerSec?: number;
  /** many-channels: the round trips per second of the channel that made the fewest in a window (median over windows). */
  slowestChannelRoundTripsPerSec?: number;
  /** Median over trials: user + system CPU of every process per message. */
  cpu: CpuCost;
  /** Each process's peak resident set (maxRSS) in bytes, by role. For a peer kept across sizes, the peak so far. */
  peakRssBytes: Record<string, number>;
  ratios: Ratios;
  /** The trials behind the figures (absent in older runs: one trial). */
  spread?: Spread;
  /** The machine during the case (absent in older runs). */
  machine?: MachineCheck;
  /** How the case was warmed up (absent in older runs and cases that warm by time alone). */
  warmup?: Warmup;
}

/** A case's warm-up: rounds until two in a row agreed (steady), or the most the profile allows (not steady). */
export interface Warmup {
  rounds: number;
  /** Whether the last two rounds agreed within the profile's tolerance: the figures are the steady state. */
  steady: boolean;
  /** Each round's time per operation, ns (a round trip for ping-pong). */
  roundNs: number[];
}

/** One subscriber's counts over a fan-out case (every phase). */
export interface FanOutSubscriberCount {
  received: number;
  /** Messages the transport told the subscriber it missed (the deliveries' `missed`). */
  missed: number;
  /** Messages missing from the sequence that no `missed` accounted for: a silent loss. */
  silent: number;
}

/** One fan-out case: a publisher, N subscriber processes, one size, one policy. */
export interface FanOutResult {
  target: string;
  targetLabel: string;
  kind: 'transport' | 'baseline';
  /** e.g. "shm (async) · fan-out 1→16 · 64 B · block". */
  label: string;
  sizeBytes: number;
  subscribers: number;
  policy: 'block' | 'drop-oldest';
  /** Messages the publisher sent in the measured burst. */
  messages: number;
  /** From the burst's first send to the last subscriber's receipt of its last message. */
  durationNs: number;
  /** Deliveries per second, all subscribers together (and their payload MB/s). */
  delivered: Throughput;
  /** The publisher's own CPU (process.cpuUsage, user + system) per message sent in the burst, ns. */
  publisherCpuPerMessageNs: number;
  /** Latency of paced messages (one at a time, a pause between them), send to receipt: the median over subscribers of each one's p50, ns; absent under drop-oldest. */
  subscriberP50Ns?: number;
  /** The worst subscriber's p50, ns. */
  subscriberP50MaxNs?: number;
  /** Every message the publisher sent over the case (warm-up, burst, paced). */
  published: number;
  /** Each subscriber's counts over the case. */
  counts: FanOutSubscriberCount[];
  /** Every subscriber: received + missed = published, and no silent loss. */
  lossCheck: boolean;
  machine?: MachineCheck;
  /** The warm-up bursts before the measured one (absent in older runs). */
  warmup?: Warmup;
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
  /** The reader's cpuPercent in each trial (each trial a window of the same length); the figures are medians. */
  spread?: Spread;
  machine?: MachineCheck;
}

/** One figure of the sync scenario. */
export interface SyncResult {
  /** e.g. "mutex-async", "floor", "handoff-mutex", "handoff-pipe". */
  id: string;
  label: string;
  /** `uncontended`: acquire + release with nobody else; `hand-off`: a round trip of two hand-offs between two processes. */
  measure: 'uncontended' | 'hand-off';
  /** What runs, in words. */
  description: string;
  /** Uncontended: nanoseconds per acquire + release (median over trials). */
  perOpNs?: number;
  /** Hand-off: one sample per round trip (two hand-offs), medians over trials. */
  latencyNs?: LatencyStats;
  /** Acquire + release pairs, or round trips, over all trials. */
  operations: number;
  ratios: {
    /** Uncontended: this over the Atomics floor (compareExchange + store). */
    toFloor?: number;
    /** Hand-off: this p50 over the pipe:// round trip's p50 measured in the same scenario. */
    toPipe?: number;
  };
  spread?: Spread;
  machine?: MachineCheck;
}
export interface SkippedCase {
  target: string;
  scenario: ScenarioId;
  sizeBytes?: number;
  /** fan-out: the subscriber count not measured. */
  subscribers?: number;
  /** many-channels: the channel count not measured. */
  channels?: number;
  /** The load of the case not measured (absent: 0). */
  load?: number;
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
  /** The last-level cache of CPU 0, bytes, when the OS says (Linux sysfs). */
  cacheBytes?: number;
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
  /** Trials per case (absent in older runs: 1). */
  trials?: number;
  /** Busy processes of the contention scenario (absent or 0: no contention scenario). */
  load?: number;
  /** many-channels: the channel counts. */
  channels?: number[];
  /** fan-out: the subscriber counts and sizes. */
  fanOut?: { subscribers: number[]; sizes: number[] };
  /** first-round-trips: the round trips recorded after each fresh connect, and their size. */
  firstRoundTrips?: { count: number; sizeBytes: number };
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
  /** The first-round-trips scenario's cases, one per target (absent when it did not run). */
  firstRoundTrips?: CaseResult[];
  /** The fan-out scenario's cases (absent when it did not run). */
  fanOut?: FanOutResult[];
  /** The idle measure, one entry per target (absent in runs made before it existed). */
  idle?: IdleResult[];
  /** The sync scenario's figures (absent when it did not run). */
  sync?: SyncResult[];
  /** The goals of issues 13, 10, 19 and 20, checked against this run's figures (see goals.ts). */
  goals?: GoalCheck[];
  skipped: SkippedCase[];
  notes: string[];
}

/** One of issue 13's goals, checked against the figures of this run. */
export interface GoalCheck {
  id: string;
  /** The goal in words. */
  goal: string;
  /** true met, false not met, null not measured in this run (see `detail`). */
  met: boolean | null;
  /** The figures behind the verdict (the worst case first). */
  detail: string;
  /** True when a case the verdict rests on ran on a machine that was not quiet. */
  polluted: boolean;
}
