/**
 * The quiet check names what was busy (src/machine.ts): a case found NOT
 * QUIET says which other processes used the CPU, so a reader can tell a
 * kernel thread from a build from another benchmark.
 */
import { describe, expect, it } from 'vitest';
import { busiestOthers, checkMachine, type MachineSnapshot } from '../src/machine.js';

const proc = (busy: number, total: number, others: Array<[number, string, number]>): MachineSnapshot['proc'] => ({
  busy,
  steal: 0,
  total,
  runnable: 1,
  own: new Map([[process.pid, 0]]),
  others: new Map(others.map(([pid, name, ticks]) => [pid, { name, ticks }])),
});
const snapshot = (atNs: bigint, p: MachineSnapshot['proc']): MachineSnapshot => ({ sample: { loadAvg: [0, 0, 0] }, atNs, proc: p });

describe('the quiet check', () => {
  it('names the three other processes that used the most CPU between the looks, in percent of a core', () => {
    const before = new Map([
      [10, { name: 'kdamond.0', ticks: 100 }],
      [11, { name: 'node', ticks: 50 }],
      [12, { name: 'idle one', ticks: 7 }],
    ]);
    const after = new Map([
      [10, { name: 'kdamond.0', ticks: 130 }],
      [11, { name: 'node', ticks: 60 }],
      [12, { name: 'idle one', ticks: 7 }],
      [13, { name: 'cc1', ticks: 20 }],
      [14, { name: 'make', ticks: 1 }],
    ]);
    // 100 ticks of one core's wall time: ticks read as percent.
    expect(busiestOthers(before, after, 100)).toBe('kdamond.0 30 %, cc1 20 %, node 10 %');
    expect(busiestOthers(before, before, 100)).toBe('');
  });

  it('a case that was not quiet says who was busy in its reason', () => {
    const cores = 2;
    // One second on each core: 200 ticks in all, 100 of wall time; 40 busy ticks outside this run.
    const a = snapshot(0n, proc(0, 0, [[10, 'kdamond.0', 0]]));
    const b = snapshot(1_000_000_000n, proc(40, 100 * cores, [[10, 'kdamond.0', 40]]));
    const check = checkMachine(a, b);
    expect(check.quiet).toBe(false);
    expect(check.reasons.join('; ')).toMatch(/other processes used \d+ % of a core .*, most of it kdamond\.0 \d+ %/);
  });
});
