/**
 * Warming a case up until it runs at its steady state, so that a short run
 * (`--quick`) shows what a long one does: a transport that adapts (shm's spin
 * learns how long to wait before it sleeps) is slow for its first round trips.
 * Rounds of warm-up run until two in a row agree within `steadyTolerance`, or
 * `warmRoundsMax` rounds have run; the case then says whether it got there.
 */
import type { Profile } from './profile.js';
import type { Warmup } from './results.js';

/**
 * Runs `round` (one warm-up round, resolving with its time per operation, in
 * ns) until two rounds in a row agree within the profile's tolerance; returns
 * the last round's time and what the warm-up saw.
 */
export async function warmUntilSteady(profile: Profile, round: () => Promise<number>): Promise<{ perOperationNs: number; warmup: Warmup }> {
  const rounds: number[] = [];
  for (;;) {
    const ns = await round();
    rounds.push(ns);
    const previous = rounds[rounds.length - 2];
    const steady = previous !== undefined && Math.abs(ns - previous) <= profile.steadyTolerance * Math.min(ns, previous);
    if (steady || rounds.length >= profile.warmRoundsMax) {
      return { perOperationNs: ns, warmup: { rounds: rounds.length, steady, roundNs: rounds.map((r) => Math.round(r)) } };
    }
  }
}
