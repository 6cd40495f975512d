/**
 * Idle: one writer connected to one reader waiting in receive, nothing sent
 * for `idleMs` (once per trial); the CPU each process uses over that window,
 * as a share of one core. What a spin-then-sleep transport costs when there
 * is nothing to do.
 */
import { underLoad, type Planned } from '../case.js';
import type { Profile } from '../profile.js';
import { SCENARIOS, type IdleResult } from '../results.js';
import { cpuOf, delta, type Session } from '../session.js';
import { median, spreadOf } from '../stats.js';
import type { TargetDef } from '../targets.js';

/** The one message the idle measure sends before its window. */
export const IDLE_MESSAGE_BYTES = 8;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function idleLabel(target: TargetDef, idleMs: number): string {
  return `${target.label} · idle, ${SCENARIOS.idle.direction} · ${idleMs / 1000} s`;
}

export async function runIdle(session: Session, plan: Planned, profile: Profile, idle: IdleResult[]): Promise<void> {
  const reader = await session.spawn(session.spec('reader'));
  const [writer] = await session.connectAll(reader, 'writer', 1, plan.probe.duplex !== false);
  const timeout = profile.watchdogMs;
  // One message first: the channel is proven to work and the reader goes back to waiting, as after real traffic.
  // (Events are kept until asked for, so waiting after the send misses nothing.)
  await reader.handle.request('arm', { until: 1 });
  await writer!.handle.request('send', { size: IDLE_MESSAGE_BYTES, count: 1 }, timeout);
  await reader.handle.waitEvent('reached', (e) => e['count'] === 1, timeout);
  // Past any spin before sleeping (microseconds for shm) and the side channel's own replies.
  await sleep(profile.idleSettleMs);
  const peers = [reader, writer!];
  const { value: windows, machine } = await underLoad(0, profile, async () => {
    const windows: Array<{ wallNs: number; reader: number; writer: number }> = [];
    for (let t = 0; t < profile.trials; t++) {
      const t0 = process.hrtime.bigint();
      const before = await Promise.all(peers.map(async (p) => cpuOf(await p.handle.request('cpu'))));
      await sleep(profile.idleMs);
      const after = await Promise.all(peers.map(async (p) => cpuOf(await p.handle.request('cpu'))));
      const wallNs = Number(process.hrtime.bigint() - t0);
      const percent = (i: number): number => {
        const d = delta(before[i]!, after[i]!);
        return ((d.userUs + d.systemUs) * 1000 * 100) / wallNs;
      };
      windows.push({ wallNs, reader: percent(0), writer: percent(1) });
    }
    return windows;
  });
  const after = await Promise.all(peers.map(async (p) => cpuOf(await p.handle.request('cpu'))));
  idle.push({
    target: plan.target.id,
    targetLabel: plan.target.label,
    kind: plan.target.kind,
    label: idleLabel(plan.target, profile.idleMs),
    durationNs: median(windows.map((w) => w.wallNs)),
    cpuPercent: { reader: median(windows.map((w) => w.reader)), writer: median(windows.map((w) => w.writer)) },
    peakRssBytes: { reader: after[0]!.maxRssBytes, writer: after[1]!.maxRssBytes },
    spread: spreadOf(
      'cpuPercent.reader',
      windows.map((w) => w.reader),
    ),
    machine,
  });
}
