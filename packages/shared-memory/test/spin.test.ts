/**
 * How long a channel spins before it sleeps (spin.ts), decided without a
 * clock: the policy is asked for budgets and told how its spins went, with the
 * machine's busy signal given, so nothing here depends on how fast the machine
 * is. Issue 20 §1: a just-connected channel keeps its whole ceiling through the
 * misses of its first spins (both processes' code is cold, the peer is still
 * starting), so two new sides do not teach each other to sleep before their
 * first replies come quickly; later misses still take the spin away, so a
 * channel whose peer is slow or idle stops spending CPU on it.
 */
import { describe, expect, it } from 'vitest';
import { LEARN_SPINS, SpinPolicy, TURN_SPIN_MS, spinFor, turnSpinLeft } from '../src/spin.js';

const CEILING_MS = 0.05;
/** The misses of a cold start: the first round trips of two fresh processes. */
const COLD_START = 8;
const quiet = (): boolean => false;
const busy = (): boolean => true;

describe('SpinPolicy', () => {
  it('keeps the whole ceiling through the misses of its first spins, towards a sleeping peer', () => {
    const policy = new SpinPolicy(CEILING_MS, quiet);
    // A cold start: every spin misses (the peer's first wake-ups are slow).
    for (let i = 0; i < COLD_START; i++) {
      expect(policy.budget(0, false), `spin ${i + 1}`).toBe(CEILING_MS);
      policy.spun(false, CEILING_MS);
    }
    expect(policy.budget(0, false)).toBe(CEILING_MS);
    expect(LEARN_SPINS).toBeGreaterThanOrEqual(COLD_START);
  });

  it('past its first spins, misses halve the budget down to none, with a full probe every 16th wait', () => {
    const policy = new SpinPolicy(CEILING_MS, quiet);
    for (let i = 0; i < LEARN_SPINS; i++) policy.spun(true, 0.001);
    expect(policy.budget(0, false)).toBe(CEILING_MS);
    policy.spun(false, CEILING_MS);
    expect(policy.budget(0, false)).toBe(CEILING_MS / 2);
    for (let i = 0; i < 10; i++) policy.spun(false, CEILING_MS);
    // An idle or slow peer: no spin towards it, but every 16th wait looks again with a full one.
    const budgets = Array.from({ length: 32 }, () => policy.budget(0, false));
    expect(budgets.filter((b) => b === 0)).toHaveLength(30);
    expect(budgets[15]).toBe(CEILING_MS);
    expect(budgets[31]).toBe(CEILING_MS);
  });

  it('a spin that caught the peer keeps the budget at least twice what it took, never past the ceiling', () => {
    const policy = new SpinPolicy(CEILING_MS, quiet);
    for (let i = 0; i < LEARN_SPINS + 3; i++) policy.spun(false, CEILING_MS);
    expect(policy.budget(0, false)).toBe(CEILING_MS / 8);
    policy.spun(true, 0.02);
    expect(policy.budget(0, false)).toBe(0.04);
    policy.spun(true, 0.04);
    expect(policy.budget(0, false)).toBe(CEILING_MS);
  });

  it('spins the whole ceiling towards a peer that was awake, learned budget or not', () => {
    const policy = new SpinPolicy(CEILING_MS, quiet);
    for (let i = 0; i < LEARN_SPINS + 20; i++) policy.spun(false, CEILING_MS);
    expect(policy.budget(0, true)).toBe(CEILING_MS);
  });

  it('on a busy machine spins at most 5 µs, only towards a peer that was awake, new channel or not', () => {
    const policy = new SpinPolicy(CEILING_MS, busy);
    expect(policy.budget(0, true)).toBe(0.005);
    expect(policy.budget(0, false)).toBe(0);
    expect(new SpinPolicy(0.002, busy).budget(0, true)).toBe(0.002);
  });

  it('never spins with a ceiling of 0', () => {
    const policy = new SpinPolicy(0, quiet);
    expect(policy.budget(0, true)).toBe(0);
    expect(policy.budget(0, false)).toBe(0);
  });
});

describe('the spins of one turn of the event loop', () => {
  it('past the first channel side to spin in a turn, asynchronous waits share TURN_SPIN_MS; blocking ones do not', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    expect(turnSpinLeft()).toBe(TURN_SPIN_MS);
    let polls = 0;
    const never = (): boolean => (polls++, false);
    // The first side to spin in the turn is alone so far: it spins as its policy says (a peer that was
    // awake earns the whole ceiling, 0.2 ms here), and that uses up the turn's budget.
    const first = new SpinPolicy(0.2, quiet);
    expect(spinFor(first, never, true, Infinity, true)).toBe(false);
    expect(turnSpinLeft()).toBeLessThanOrEqual(0);
    // Another channel in the same turn: one look, no spin.
    polls = 0;
    expect(spinFor(new SpinPolicy(0.2, quiet), never, true, Infinity, true)).toBe(false);
    expect(polls).toBe(1);
    // The first one again (one busy conversation): not held to the budget.
    polls = 0;
    spinFor(first, never, true, Infinity, true);
    expect(polls).toBeGreaterThan(64);
    // A blocking wait holds its own thread, not an event loop that others share: it still spins.
    polls = 0;
    spinFor(new SpinPolicy(0.2, quiet), never, true);
    expect(polls).toBeGreaterThan(64);
    // The next turn has the whole budget again, and no first side yet.
    await new Promise((resolve) => setImmediate(resolve));
    expect(turnSpinLeft()).toBe(TURN_SPIN_MS);
    polls = 0;
    spinFor(new SpinPolicy(0.2, quiet), never, true, Infinity, true);
    expect(polls).toBeGreaterThan(64);
  });
});
