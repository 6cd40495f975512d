/** How long and how hard each case runs: `--quick` and the default. */
export interface Profile {
  name: 'quick' | 'default';
  sizes: number[];
  /** Measured trials of every case, after one warm-up; every figure is the median over them. */
  trials: number;
  /** Ping-pong: warm-up time, measured time budget (per trial), and bounds on the measured round trips (per trial). */
  pingWarmMs: number;
  pingBudgetMs: number;
  pingMin: number;
  pingMax: number;
  /** first-round-trips: the round trips recorded after each fresh connect, and their size (issue 20 §1: 1,000 of 64 B). */
  firstCount: number;
  firstBytes: number;
  /** Streaming and fan-in: warm-up time, measured time budget (per trial), bounds on messages (all writers together, per trial). */
  streamWarmMs: number;
  streamBudgetMs: number;
  streamMin: number;
  streamMax: number;
  /** Idle: the window measured, and the pause before it (past any spin before sleeping). */
  idleMs: number;
  idleSettleMs: number;
  /** memcpy (tinybench): time per size. */
  memcpyMs: number;
  /** Writer processes for fan-in. */
  writers: number;
  /** many-channels: the channel counts, the message size, the warm-up and each trial's window. */
  channels: number[];
  channelBytes: number;
  channelsWarmMs: number;
  channelsWindowMs: number;
  /** sync: warm-up time and each trial's time budget, for the uncontended loops and the hand-offs. */
  syncWarmMs: number;
  syncBudgetMs: number;
  /** memcpy: bytes of each of the two buffers of the memory-bound ceiling (far larger than any cache). */
  memoryBoundBytes: number;
  /** fan-out: message sizes and subscriber counts (one case each pair). */
  fanOutSizes: number[];
  fanOutSubscribers: number[];
  /**
   * fan-out: the burst's messages are about this many payload bytes delivered in all
   * (size × subscribers × messages), within [fanOutMin, fanOutMax] messages.
   */
  fanOutBudgetBytes: number;
  fanOutMin: number;
  fanOutMax: number;
  /** fan-out: paced messages whose latency is recorded, and the pause after each (ms). */
  fanOutPaced: number;
  fanOutGapMs: number;
  /** fan-out: also a drop-oldest twin of each 64 B case (with its loss check). */
  fanOutDropOldest: boolean;
  /** A command that takes longer than this fails the case (ms). */
  watchdogMs: number;
  /** Warm-up (ping-pong): rounds of the warm-up time each, until two agree within steadyTolerance, at most this many. */
  warmRoundsMax: number;
  /** Two warm-up rounds agree when they differ by at most this fraction. */
  steadyTolerance: number;
}

const KiB = 1024;
const MiB = 1024 * 1024;

/** 8 B to 1 MiB, factor 8: seven sizes on a log scale. */
export const DEFAULT_SIZES = [8, 64, 512, 4 * KiB, 32 * KiB, 256 * KiB, 1 * MiB];
export const QUICK_SIZES = [8, 1 * KiB, 64 * KiB, 1 * MiB];
/** many-channels: issue 13 §3's counts. */
export const DEFAULT_CHANNELS = [1, 16, 64, 128, 256, 1024];
export const QUICK_CHANNELS = [1, 16, 128];
/** fan-out: issue 19 §5's matrix. */
export const DEFAULT_FAN_OUT_SIZES = [64, 4 * KiB, 64 * KiB, 1 * MiB];
export const DEFAULT_FAN_OUT_SUBSCRIBERS = [1, 4, 16, 64];
export const QUICK_FAN_OUT_SIZES = [64, 1 * MiB];
export const QUICK_FAN_OUT_SUBSCRIBERS = [1, 16];

export const PROFILES: Readonly<Record<'quick' | 'default', Profile>> = {
  // Every case is ~0.2 s: the whole default set of targets in about a minute.
  quick: {
    name: 'quick',
    sizes: QUICK_SIZES,
    trials: 2,
    pingWarmMs: 40,
    pingBudgetMs: 60,
    pingMin: 150,
    pingMax: 20_000,
    firstCount: 1000,
    firstBytes: 64,
    streamWarmMs: 30,
    streamBudgetMs: 60,
    streamMin: 40,
    streamMax: 300_000,
    idleMs: 500,
    idleSettleMs: 250,
    memcpyMs: 60,
    writers: 3,
    channels: QUICK_CHANNELS,
    channelBytes: 64,
    channelsWarmMs: 50,
    channelsWindowMs: 100,
    syncWarmMs: 20,
    syncBudgetMs: 40,
    memoryBoundBytes: 128 * MiB,
    fanOutSizes: QUICK_FAN_OUT_SIZES,
    fanOutSubscribers: QUICK_FAN_OUT_SUBSCRIBERS,
    fanOutBudgetBytes: 16 * MiB,
    fanOutMin: 10,
    fanOutMax: 2_000,
    fanOutPaced: 50,
    fanOutGapMs: 1,
    fanOutDropOldest: true,
    watchdogMs: 60_000,
    warmRoundsMax: 10,
    steadyTolerance: 0.15,
  },
  // p99.9 wants thousands of round trips: at least 2000 a trial, three trials of about 0.4 s per size.
  default: {
    name: 'default',
    sizes: DEFAULT_SIZES,
    trials: 3,
    pingWarmMs: 200,
    pingBudgetMs: 400,
    pingMin: 2000,
    pingMax: 200_000,
    firstCount: 1000,
    firstBytes: 64,
    streamWarmMs: 150,
    streamBudgetMs: 400,
    streamMin: 200,
    streamMax: 3_000_000,
    idleMs: 2000,
    idleSettleMs: 250,
    memcpyMs: 300,
    writers: 4,
    channels: DEFAULT_CHANNELS,
    channelBytes: 64,
    channelsWarmMs: 300,
    channelsWindowMs: 400,
    syncWarmMs: 100,
    syncBudgetMs: 300,
    memoryBoundBytes: 128 * MiB,
    // A case delivers about 64 MiB in all, 20 to 10,000 messages: the matrix of every target in a few minutes.
    fanOutSizes: DEFAULT_FAN_OUT_SIZES,
    fanOutSubscribers: DEFAULT_FAN_OUT_SUBSCRIBERS,
    fanOutBudgetBytes: 64 * MiB,
    fanOutMin: 20,
    fanOutMax: 10_000,
    fanOutPaced: 200,
    fanOutGapMs: 1,
    fanOutDropOldest: true,
    watchdogMs: 120_000,
    warmRoundsMax: 10,
    steadyTolerance: 0.15,
  },
};
