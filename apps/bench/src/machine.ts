/**
 * Was the machine quiet while a case ran? A figure measured while other
 * programs used the CPU (or while the hypervisor took it away) is not the
 * figure of the code under test, so every case records the machine before
 * and after, and the report flags a case that was not quiet.
 *
 * Quiet means, over the case's wall time (README "Is the machine quiet?"):
 * - processes outside this run used less than QUIET_OTHER_CORES of one core
 *   on average (user + system time from /proc/stat, minus this run's own
 *   process tree from /proc/<pid>/stat: the orchestrator, every peer and
 *   every busy process of --load, and those of them that exited during the
 *   case, through their parents' cutime/cstime), and
 * - the hypervisor stole less than QUIET_STEAL_PERCENT of the CPU time
 *   (the `steal` column of /proc/stat).
 * Both counters tick at USER_HZ (10 ms on Linux), so TICK_SLACK ticks are
 * allowed on top, or a short case could never be called quiet.
 *
 * The load average is recorded before and after, not judged: it is a
 * minute-long average that this run's own spinning peers push up, so it
 * cannot tell whose processes ran during a one-second case.
 *
 * Linux only: elsewhere (macOS, Windows, Windows Node under Wine) there is no
 * /proc, the check records the load average (zeros on Windows) and says
 * `quiet: null`, "not checked".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { IS_LINUX, PLATFORM } from '@ipckit/sys';
import type { MachineCheck, MachineSample } from './results.js';

/** Other processes may use up to this many cores (averaged over the case) and the machine is still quiet. */
export const QUIET_OTHER_CORES = 0.1;
/** The hypervisor may steal up to this share of the CPU time (percent) and the machine is still quiet. */
export const QUIET_STEAL_PERCENT = 2;
/** Accounting granularity allowance, in ticks of one CPU. */
const TICK_SLACK = 2;
/** USER_HZ: the unit of /proc/stat and /proc/<pid>/stat times on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** What one look at /proc gives (Linux). */
interface ProcCounters {
  /** user + nice + system of all CPUs, ticks. */
  busy: number;
  steal: number;
  /** Every column of all CPUs (idle and iowait included), ticks. */
  total: number;
  runnable: number;
  /** utime + stime of each process of this run's tree, by pid, ticks. */
  own: Map<number, number>;
  /** utime + stime of every other process (kernel threads included), by pid, with its name, ticks. */
  others: Map<number, { name: string; ticks: number }>;
}

/** A sample with the raw counters the check needs. */
export interface MachineSnapshot {
  sample: MachineSample;
  atNs: bigint;
  proc?: ProcCounters;
}

function readProcStat(): Pick<ProcCounters, 'busy' | 'steal' | 'total' | 'runnable'> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const cpu = /^cpu\s+(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number);
  if (!cpu || cpu.length < 8 || cpu.some((n) => !Number.isFinite(n))) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already in user.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  // irq and softirq are left out of `busy`: the kernel does this run's own socket work there,
  // and it is in no process's time, so counting it would call every socket case "not quiet".
  return {
    busy: user + nice + system,
    steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
    runnable: Number(/^procs_running\s+(\d+)/m.exec(text)?.[1] ?? Number.NaN),
  };
}

/**
 * CPU ticks of this process and all its descendants (`own`), and of every
 * other process by name (`others`), from /proc/<pid>/stat. Own:
 * each one's utime + stime, plus cutime + cstime, the time of its children
 * that have exited and been waited for. A peer that exits during a case (the
 * first-round-trips scenario starts and stops its peers in every trial) has
 * left the tree by the second look, but its time is then in its parent's
 * cutime/cstime, so it still counts as this run's and not as another
 * process's. A live child is not in its parent's cutime, so nothing counts twice.
 */
function processTree(): Pick<ProcCounters, 'own' | 'others'> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  const names = new Map<number, { name: string; ticks: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return { own: ticks, others: names };
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ... utime stime": comm may hold spaces and parentheses; fields follow the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    parent.set(pid, Number(fields[1]));
    // utime stime cutime cstime: fields 14-17 of proc(5), 11-14 after "state".
    ticks.set(pid, Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    names.set(pid, { name: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  const own = new Map<number, number>();
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) {
      if (p === process.pid) {
        own.set(pid, t);
        break;
      }
    }
  }
  for (const pid of own.keys()) names.delete(pid);
  return { own, others: names };
}

/** Looks at the machine now. */
export function snapshotMachine(): MachineSnapshot {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  const stat = IS_LINUX ? readProcStat() : undefined;
  const sample: MachineSample = { loadAvg: [one, five, fifteen] };
  if (stat) {
    sample.stealSeconds = stat.steal / USER_HZ;
    if (Number.isFinite(stat.runnable)) sample.runnable = stat.runnable;
    return { sample, atNs: process.hrtime.bigint(), proc: { ...stat, ...processTree() } };
  }
  return { sample, atNs: process.hrtime.bigint() };
}

/** Judges the window between two snapshots. */
export function checkMachine(before: MachineSnapshot, after: MachineSnapshot): MachineCheck {
  const windowSeconds = Number(after.atNs - before.atNs) / 1e9;
  const base = { before: before.sample, after: after.sample, windowSeconds };
  const a = before.proc;
  const b = after.proc;
  if (!a || !b) {
    return {
      ...base,
      quiet: null,
      reasons: [`not checked on ${PLATFORM}: CPU steal and other processes' CPU time come from Linux's /proc`],
    };
  }
  const total = b.total - a.total;
  if (total <= 0) return { ...base, quiet: null, reasons: ['not checked: /proc/stat did not advance during the case'] };
  const cores = availableParallelism();
  // A process of this run counts from its first sample (0 when it started during the case);
  // one that exited during the case counts through its parent's cutime/cstime (see processTree).
  let own = 0;
  for (const [pid, t] of b.own) own += t - (a.own.get(pid) ?? 0);
  const otherTicks = Math.max(0, b.busy - a.busy - own);
  const wallTicks = total / cores;
  const otherCpuCores = otherTicks / wallTicks;
  const stealPercent = ((b.steal - a.steal) * 100) / total;
  const reasons: string[] = [];
  if (otherTicks > QUIET_OTHER_CORES * wallTicks + TICK_SLACK) {
    const most = busiestOthers(a.others, b.others, wallTicks);
    reasons.push(
      `other processes used ${(otherCpuCores * 100).toFixed(0)} % of a core (quiet: under ${QUIET_OTHER_CORES * 100} %)${most ? `, most of it ${most}` : ''}`,
    );
  }
  if (b.steal - a.steal > (QUIET_STEAL_PERCENT / 100) * total + TICK_SLACK) {
    reasons.push(`the hypervisor stole ${stealPercent.toFixed(1)} % of the CPU time (quiet: under ${QUIET_STEAL_PERCENT} %)`);
  }
  return { ...base, otherCpuCores, stealPercent, quiet: reasons.length === 0, reasons };
}

/**
 * The (at most three) other processes that used the most CPU between two
 * looks, e.g. "kdamond.0 31 %, node 12 %" (percent of one core over the
 * window), or '' when none used a tick. A process that started in between
 * counts from 0; kernel threads are named as the kernel names them. The rest
 * of "other" time is in no process that lived at both looks.
 */
export function busiestOthers(
  before: ReadonlyMap<number, { name: string; ticks: number }>,
  after: ReadonlyMap<number, { name: string; ticks: number }>,
  wallTicks: number,
): string {
  const used: Array<{ name: string; ticks: number }> = [];
  for (const [pid, { name, ticks }] of after) {
    const delta = ticks - (before.get(pid)?.ticks ?? 0);
    if (delta > 0) used.push({ name, ticks: delta });
  }
  return used
    .sort((x, y) => y.ticks - x.ticks)
    .slice(0, 3)
    .map((u) => `${u.name} ${((u.ticks * 100) / wallTicks).toFixed(0)} %`)
    .join(', ');
}

/** The one-line verdict for tables: "quiet", "NOT QUIET" or "not checked". */
export function machineMark(check: MachineCheck | undefined): string {
  if (!check || check.quiet === null) return 'not checked';
  return check.quiet ? 'quiet' : 'NOT QUIET';
}
