/** How long and how hard each case runs: `--quick` and the default. */
export interface Profile {
  name: 'quick' | 'default';
  sizes: number[];
  /** Ping-pong: warm-up time, measured time budget, and bounds on the measured round trips. */
  pingWarmMs: number;
  pingBudgetMs: number;
  pingMin: number;
  pingMax: number;
  /** Streaming and fan-in: warm-up time, measured time budget, bounds on messages (all writers together). */
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
  /** A command that takes longer than this fails the case (ms). */
  watchdogMs: number;
}

const KiB = 1024;
const MiB = 1024 * 1024;

/** 8 B to 1 MiB, factor 8: seven sizes on a log scale. */
export const DEFAULT_SIZES = [8, 64, 512, 4 * KiB, 32 * KiB, 256 * KiB, 1 * MiB];
export const QUICK_SIZES = [8, 1 * KiB, 64 * KiB, 1 * MiB];

export const PROFILES: Readonly<Record<'quick' | 'default', Profile>> = {
  // Every case is ~0.2 s: the whole default set of targets in well under a minute.
  quick: {
    name: 'quick',
    sizes: QUICK_SIZES,
    pingWarmMs: 40,
    pingBudgetMs: 120,
    pingMin: 300,
    pingMax: 20_000,
    streamWarmMs: 30,
    streamBudgetMs: 120,
    streamMin: 40,
    streamMax: 300_000,
    idleMs: 500,
    idleSettleMs: 250,
    memcpyMs: 60,
    writers: 3,
    watchdogMs: 60_000,
  },
  // p99.9 wants thousands of round trips: at least 2000, for about a second per size.
  default: {
    name: 'default',
    sizes: DEFAULT_SIZES,
    pingWarmMs: 200,
    pingBudgetMs: 1000,
    pingMin: 2000,
    pingMax: 200_000,
    streamWarmMs: 150,
    streamBudgetMs: 800,
    streamMin: 200,
    streamMax: 3_000_000,
    idleMs: 2000,
    idleSettleMs: 250,
    memcpyMs: 300,
    writers: 4,
    watchdogMs: 120_000,
  },
};
