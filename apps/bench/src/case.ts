/**
 * What every case shares: the context the scenarios run in, the machine
 * check around it, the busy processes of --load during it, and its label.
 */
import { formatSize } from './format.js';
import { Load, LoadStartError } from './load.js';
import { checkMachine, snapshotMachine } from './machine.js';
import type { Profile } from './profile.js';
import { SCENARIOS, type CaseResult, type MachineCheck, type ScenarioId, type SkippedCase } from './results.js';
import type { Probe, TargetDef } from './targets.js';

/** One (target, scenario) to run: a case per size (or channel count) and load. */
export interface Planned {
  target: TargetDef;
  probe: Probe;
  scenario: ScenarioId;
  /** Message sizes, one case each; the idle measure is one case with none. */
  sizes: number[];
  /** Busy processes to run each case under: [0], or [0, N] in the contention scenario (ping-pong, stream). */
  loads: number[];
  /** many-channels: the channel counts to measure. */
  channels?: number[];
  /** fan-out: the subscriber counts to measure. */
  subscribers?: number[];
}

export interface CaseContext {
  profile: Profile;
  /** A case starts (for the progress display). */
  each(label: string): void;
  results: CaseResult[];
  skipped: SkippedCase[];
}

/**
 * Runs `body` as one case: the machine is sampled before and after, and
 * `load` busy processes spin from just after the first sample until just
 * after the last (so their CPU time counts as this run's, not as another
 * program's).
 */
export async function underLoad<T>(load: number, profile: Profile, body: () => Promise<T>): Promise<{ value: T; machine: MachineCheck }> {
  const before = snapshotMachine();
  const busy = load > 0 ? await Load.start(load, profile.watchdogMs) : undefined;
  try {
    const value = await body();
    return { value, machine: checkMachine(before, snapshotMachine()) };
  } finally {
    await busy?.stop();
  }
}

/**
 * "named-pipe · ping-pong round trip · 64 B", with the load when there is one
 * (`count`: the round trips of the first-round-trips scenario).
 */
export function caseLabel(target: TargetDef, scenario: ScenarioId, size: number, writers: number, load = 0, channels?: number, count?: number): string {
  const info = SCENARIOS[scenario];
  const what =
    scenario === 'fan-in'
      ? `fan-in ${writers}→1 ${info.direction}`
      : scenario === 'memcpy'
        ? 'memcpy (in-process copy)'
        : scenario === 'many-channels'
          ? `${channels ?? '?'} channels, round trips`
          : scenario === 'first-round-trips'
            ? `first ${count === undefined ? '' : `${count.toLocaleString('en-US')} `}round trips after connect`
            : `${scenario} ${info.direction}`;
  return `${target.label} · ${what} · ${formatSize(size)}${load ? ` · load ${load}` : ''}`;
}

/**
 * Runs one case of a loop over sizes and loads: a case whose busy processes
 * would not start is "not measured" (the peers are fine, the next case runs);
 * any other failure ends the loop, as before.
 */
export async function eachCase(skip: Omit<SkippedCase, 'reason'>, body: () => Promise<void>, skipped: SkippedCase[]): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!(error instanceof LoadStartError)) throw error;
    skipped.push({ ...skip, reason: `failed: ${error.message}` });
  }
}

export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 6).join(' | ');
}
