/**
 * When to spin before sleeping. Spinning (polling the ring) is a bet that the
 * peer is running on another core and answers within microseconds; when the
 * cores are taken, the spinner steals the time its peer needs, and a wait
 * that a kernel wake-up would end in tens of microseconds takes a time slice
 * (milliseconds). So the bet is kept small and adapts:
 *
 * - while this thread has lately had to wait for a CPU (Linux: its
 *   run-queue delay, sampled every 50 ms or so; elsewhere this signal is
 *   absent and only the next rule applies), at most a 5 µs spin, and only
 *   when the peer was awake at our last word to it: a sleeping peer needs a
 *   wake-up, which spinning only delays;
 * - otherwise, when the peer was awake at our last word to it (it is
 *   running, and answers within microseconds), spin the channel's ceiling;
 * - otherwise spin within a budget that spins teach (SpinPolicy): a spin
 *   that caught the peer keeps it at least twice what it took, one that did
 *   not halves it, down to none (the peer is slow: a kernel sleep costs
 *   nothing extra then), never past the channel's ceiling. Every 16th wait
 *   that would not spin probes with a full spin, so a peer that became quick
 *   again is seen;
 * - but the first LEARN_SPINS spins of a channel's side teach nothing by
 *   missing: it starts at its ceiling and keeps it through them. Right after
 *   connect both processes run cold code (first calls, the first ring of a
 *   doorbell connects to it, nothing compiled yet), so the first replies are
 *   slow whatever the peer will be; when those misses halved the budget, two
 *   new sides had taught each other to sleep within a handful of round trips,
 *   every reply then needed a wake-up (tens of µs), and only a lucky probe
 *   got them out: a short program (a CLI call, a burst, a test) saw a pipe's
 *   speed, not shared memory's (issue 20 §1). Kept at the ceiling, either
 *   side catches the other's reply as soon as a wake-up and a turn take less
 *   than the ceiling; then each finds the other awake at its writes, and the
 *   rule above keeps both spinning. It costs at most LEARN_SPINS full spins
 *   per side of a channel whose peer is slow (64 × 50 µs async, 64 × 200 µs
 *   sync, once); an idle channel spins once per receive (async) or per
 *   250 ms re-check (sync), so its CPU stays a fraction of a percent.
 */
import { readFileSync } from 'node:fs';
import { IS_LINUX } from '@ipckit/sys';
import { flushRings } from './doorbell.js';
import { atTurnEnd } from './turns.js';

/** How often the thread's scheduling statistics are read (a read costs about 25 µs). */
const SAMPLE_MS = 50;
/** Busy: this thread waited for a CPU for more than this share of the last sample's window. */
const BUSY_SHARE = 0.05;
let sampledAt = -Infinity;
let lastDelayNs = 0;
let busy = false;

/**
 * True while this thread has lately waited for a CPU while it could run
 * (Linux: the run-queue delay of /proc/thread-self/schedstat, over the last
 * 50 ms or so): other work competes for the cores, so a spin would take
 * time from the peer it waits for. Elsewhere the signal is absent: false.
 */
export function machineBusy(now: number): boolean {
  if (!IS_LINUX) return false;
  const window = now - sampledAt;
  if (window < SAMPLE_MS) return busy;
  try {
    // "<ns on a CPU> <ns waiting on a run queue> <timeslices>"
    const delayNs = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[1]);
    if (Number.isFinite(delayNs)) {
      busy = sampledAt !== -Infinity && (delayNs - lastDelayNs) / 1e6 > BUSY_SHARE * window;
      lastDelayNs = delayNs;
    }
  } catch {
    busy = false;
  }
  sampledAt = now;
  return busy;
}

/** The shortest spin worth trying: a few hundred polls of the ring. */
const MIN_SPIN_MS = 0.001;
/** The longest spin while the machine is busy, and only towards a peer that was awake. */
const BUSY_SPIN_MS = 0.005;
/** A side that stopped spinning tries a full spin every PROBE_EVERY-th wait, to see whether its peer became quick. */
const PROBE_EVERY = 16;
/** The first spins of a side of a channel, whose misses do not lower its budget (see the file comment). */
export const LEARN_SPINS = 64;

/**
 * How long to spin, learned from the spins of one side of one channel: a
 * spin that caught the peer keeps the budget at least twice what it took; a
 * spin that did not halves it (down to none), once the side's first
 * LEARN_SPINS spins are behind it. What a sleep took says nothing about how
 * quick the peer is (the wake-up is in it), so only spins teach.
 */
export class SpinPolicy {
  #budgetMs: number;
  #waits = 0;
  /** Spins left whose misses do not lower the budget: a new channel's first, on cold code. */
  #learning = LEARN_SPINS;
  readonly #busy: (now: number) => boolean;

  /**
   * `ceilingMs`: the longest spin this side may do (the channel's spin option).
   * `busy`: whether the machine is busy at a time (machineBusy; tests give their own).
   */
  constructor(
    readonly ceilingMs: number,
    busy: (now: number) => boolean = machineBusy,
  ) {
    this.#budgetMs = ceilingMs;
    this.#busy = busy;
  }

  /** How long to spin before the next sleep, in ms (0: sleep at once). */
  budget(now: number, peerAwake: boolean): number {
    if (this.ceilingMs <= 0) return 0;
    // Busy: a short spin only when the peer was awake at our last word to it (it may answer
    // from the core it runs on); a sleeping peer needs a wake-up, which a spin only delays.
    if (this.#busy(now)) return peerAwake ? Math.min(BUSY_SPIN_MS, this.ceilingMs) : 0;
    // Quiet, and the peer was awake at our last word: it is running and answers within a few
    // microseconds, so spin the whole ceiling. Without this, two sides that both learned to sleep
    // kept each other asleep (each reply needed a wake-up, so each spin missed), a round trip
    // stayed near 100 µs where spinning takes 1 µs, and only luck in probing got them out.
    if (peerAwake) return this.ceilingMs;
    if (this.#budgetMs > 0) return this.#budgetMs;
    if (++this.#waits < PROBE_EVERY) return 0;
    this.#waits = 0;
    return this.ceilingMs;
  }

  /** Records how a spin of the budget went: whether the ring became ready, and when (ms after it began). */
  spun(caught: boolean, tookMs: number): void {
    const learning = this.#learning > 0;
    if (learning) this.#learning--;
    if (caught) this.#budgetMs = Math.min(this.ceilingMs, Math.max(this.#budgetMs, 2 * tookMs, MIN_SPIN_MS));
    // A miss among the first spins says the code was cold, not that the peer is slow.
    else if (!learning) this.#budgetMs = this.#budgetMs / 2 < MIN_SPIN_MS ? 0 : this.#budgetMs / 2;
  }
}

const now = (): number => performance.now();

/** Polls `ready` for up to `ms` milliseconds (reading the clock only every 64 polls); true when it held. */
export function spin(ready: () => boolean, ms: number): boolean {
  if (ms <= 0) return ready();
  const until = now() + ms;
  for (;;) {
    for (let i = 0; i < 64; i++) if (ready()) return true;
    if (now() >= until) return false;
  }
}

/**
 * The most the asynchronous waits of one thread spin in one turn of its
 * event loop, all channels together, past the first channel side to spin
 * in it (see turnSpinLeft). A spin holds the event loop: while one
 * channel spins for its reply, no other channel of the thread is served, and
 * a peer that is awake (which earns a full spin) may be busy with other
 * channels than this one. One busy conversation is not held to it (the
 * first side to spin in a turn spins as its policy says); a thousand
 * channels in one process share one ceiling's worth per turn instead of
 * each holding the loop for the ceiling.
 */
export const TURN_SPIN_MS = 0.05;
let turnSpentMs = 0;
/** The policy that spun first in this turn: alone, it is not held to the turn's budget (nobody else waits behind it). */
let turnOwner: SpinPolicy | undefined;
const resetAtTurnEnd = atTurnEnd(() => {
  turnSpentMs = 0;
  turnOwner = undefined;
});

/**
 * What this thread's asynchronous waits may still spin in this turn of the
 * event loop, ms; for `policy`, Infinity when it is the first (so far the
 * only) one to spin in this turn: one channel's spins take nothing from
 * others, and holding it to the budget made a just-connected pair, whose
 * cold first replies take tens of µs, sleep and teach each other to
 * (issue 20 §1: its first 1,000 round trips went from 5.5 to 52 µs).
 */
export function turnSpinLeft(policy?: SpinPolicy): number {
  resetAtTurnEnd();
  if (policy !== undefined && (turnOwner ??= policy) === policy) return Infinity;
  return TURN_SPIN_MS - turnSpentMs;
}

/**
 * Spins on `ready` within `policy`'s budget (and `limitMs`), and tells the
 * policy how it went. True when `ready` held. `shareTurn` (the asynchronous
 * waits): also within what this thread may still spin in this turn of its
 * event loop (TURN_SPIN_MS); a blocking wait has no event loop to share.
 */
export function spinFor(policy: SpinPolicy, ready: () => boolean, peerAwake: boolean, limitMs = Infinity, shareTurn = false): boolean {
  const started = now();
  const budget = Math.min(policy.budget(started, peerAwake), limitMs, shareTurn ? turnSpinLeft(policy) : Infinity);
  if (budget <= 0) return ready();
  // The answer spun for may need a ring this thread has queued (doorbell.ts).
  flushRings();
  const caught = spin(ready, budget);
  const took = now() - started;
  if (shareTurn) turnSpentMs += took;
  policy.spun(caught, took);
  return caught;
}
