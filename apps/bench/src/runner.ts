/**
 * The orchestrator: probes the targets, starts the peer processes of each
 * (target, scenario), drives them size by size over the side channel, and
 * collects one CaseResult per (target, scenario, size). A failing case is
 * recorded as skipped with its reason and the run goes on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@ipckit/core';
import { ControlServer, type PeerHandle } from './control.js';
import { collectEnvironment } from './environment.js';
import { formatSize } from './format.js';
import { runMemcpy } from './memcpy.js';
import { decodeSamples, type CpuSnapshot } from './peers/common.js';
import { encodeSpec, type PeerSpec, type Role } from './peers/spec.js';
import type { Profile } from './profile.js';
import { computeRatios } from './ratios.js';
import { SCENARIOS, SCHEMA, type BenchRun, type CaseResult, type IdleResult, type ScenarioId, type SkippedCase, type TargetInfo } from './results.js';
import { clampCount, latencyStats } from './stats.js';
import { TARGETS, type Probe, type TargetDef } from './targets.js';

type Json = Record<string, unknown>;

const PEER_SCRIPT = fileURLToPath(new URL('./peer.js', import.meta.url));

export interface Progress {
  /** A case starts: `done` of `total` cases are finished. */
  start(label: string, done: number, total: number): void;
  /** A line worth keeping (a skipped target, a failed case). */
  note(line: string): void;
}

export interface RunConfig {
  profile: Profile;
  /** Target ids, in any order (the report keeps the table's order). */
  targets: string[];
  scenarios: ScenarioId[];
  command: string;
  underWine?: boolean;
  wineVersion?: string;
  progress?: Progress;
}

const silent: Progress = { start() {}, note() {} };

interface Planned {
  target: TargetDef;
  probe: Probe;
  scenario: ScenarioId;
  /** Message sizes, one case each; the idle measure is one case with none. */
  sizes: number[];
}

/** The one message the idle measure sends before its window. */
const IDLE_MESSAGE_BYTES = 8;

function casesOf(p: Planned): number {
  return p.scenario === 'idle' ? 1 : p.sizes.length;
}

/** A peer process the orchestrator started (or one a peer forked: then `child` is undefined). */
interface Peer {
  handle: PeerHandle;
  child?: ChildProcess;
  spec: PeerSpec;
}

class Session {
  private readonly children: ChildProcess[] = [];
  private readonly peers: Peer[] = [];
  private counter = 0;

  constructor(
    private readonly control: ControlServer,
    private readonly target: TargetDef,
    private readonly profile: Profile,
    private readonly maxSize: number,
  ) {}

  spec(role: Role): PeerSpec {
    return {
      id: `${this.target.id}-${role}-${++this.counter}-${process.pid}`,
      target: this.target.id,
      family: this.target.family as PeerSpec['family'],
      role,
      ...(this.target.scheme ? { scheme: this.target.scheme } : {}),
      ...(this.target.serialization ? { serialization: this.target.serialization } : {}),
      ...(this.target.receiveInto ? { receiveInto: true } : {}),
      maxSize: this.maxSize,
      watchdogMs: this.profile.watchdogMs,
    };
  }

  /** Starts a peer process and waits for it to connect to the side channel. */
  async spawn(spec: PeerSpec): Promise<Peer> {
    const child = spawn(process.execPath, [PEER_SCRIPT, String(this.control.port), encodeSpec(spec)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      windowsHide: true,
    });
    this.children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-3000);
    });
    const exited = new Promise((resolve) => {
      child.on('exit', resolve);
      child.on('error', (error) => {
        stderr += `\nspawn failed: ${error.message}`;
        resolve(null);
      });
    });
    const describe = (): string => (stderr.trim() ? `; its stderr:\n${stderr.trim()}` : '');
    const handle = await this.control.peer(spec.id, this.profile.watchdogMs, describe, exited);
    void exited.then(() => handle.fail(new Error(`peer ${spec.id} exited${describe()}`)));
    const peer = { handle, child, spec };
    this.peers.push(peer);
    return peer;
  }

  /** Waits for a peer another peer forked (child_process IPC baseline). */
  async adopt(spec: PeerSpec, parent: Peer): Promise<Peer> {
    const handle = await this.control.peer(spec.id, this.profile.watchdogMs, () => ` (forked by ${parent.spec.id})`);
    const peer = { handle, spec };
    this.peers.push(peer);
    return peer;
  }

  /** Serves `name` on `server`, then starts and connects the clients; returns them. */
  async connectAll(server: Peer, clientRole: Role, clients: number, duplex: boolean): Promise<Peer[]> {
    const specs = Array.from({ length: clients }, () => this.spec(clientRole));
    const forks = this.target.family === 'cp';
    const unique = uniqueName('ipckit-bench');
    const name = this.target.listenName?.(unique) ?? unique;
    const listened = await server.handle.request('listen', { name, ...(forks ? { clients: specs } : {}) });
    const connectName = String(listened['connectName']);
    const peers = await Promise.all(specs.map((spec) => (forks ? this.adopt(spec, server) : this.spawn(spec))));
    for (const peer of peers) {
      const connected = await peer.handle.request('connect', { name: connectName, duplex });
      if (typeof connected['replyName'] === 'string') await server.handle.request('connect-reply', { name: connected['replyName'] });
    }
    return peers;
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map((peer) => peer.handle.request('exit', {}, 5000).catch(() => undefined)));
    for (const peer of this.peers) peer.handle.close();
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            const timer = setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}

function cpuOf(value: unknown): CpuSnapshot {
  // Numbers as the peer sent them over JSON: Number() keeps a malformed field from poisoning the sums.
  const v = value as { userUs?: unknown; systemUs?: unknown; maxRssBytes?: unknown } | undefined;
  return { userUs: Number(v?.userUs ?? 0), systemUs: Number(v?.systemUs ?? 0), maxRssBytes: Number(v?.maxRssBytes ?? 0) };
}

function delta(a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot {
  return { userUs: b.userUs - a.userUs, systemUs: b.systemUs - a.systemUs, maxRssBytes: b.maxRssBytes };
}

function caseLabel(target: TargetDef, scenario: ScenarioId, size: number, writers: number): string {
  const info = SCENARIOS[scenario];
  const what =
    scenario === 'fan-in' ? `fan-in ${writers}→1 ${info.direction}` : scenario === 'memcpy' ? 'memcpy (in-process copy)' : `${scenario} ${info.direction}`;
  return `${target.label} · ${what} · ${formatSize(size)}`;
}

function idleLabel(target: TargetDef, idleMs: number): string {
  return `${target.label} · idle, ${SCENARIOS.idle.direction} · ${idleMs / 1000} s`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function cpuCost(byRole: Record<string, CpuSnapshot>, messages: number): CaseResult['cpu'] {
  let user = 0;
  let system = 0;
  const roles: Record<string, number> = {};
  for (const [role, cpu] of Object.entries(byRole)) {
    user += cpu.userUs * 1000;
    system += cpu.systemUs * 1000;
    roles[role] = (cpu.userUs + cpu.systemUs) * 1000;
  }
  return { perMessageNs: (user + system) / messages, userNs: user, systemNs: system, byRole: roles };
}

/** Ping-pong: one echo process, one pinger process; every sample a round trip. */
async function runPingPong(session: Session, plan: Planned, profile: Profile, each: (size: number) => void, results: CaseResult[]): Promise<void> {
  const server = await session.spawn(session.spec('echo'));
  const [client] = await session.connectAll(server, 'pinger', 1, plan.probe.duplex !== false);
  const timeout = profile.watchdogMs;
  for (const size of plan.sizes) {
    each(size);
    // Warm-up, by time; it also tells how many round trips fit the budget.
    await server.handle.request('begin');
    const warm = await client!.handle.request('pp', { size, count: 20, budgetMs: profile.pingWarmMs }, timeout);
    await server.handle.request('end', {}, timeout);
    const perRoundTrip = Number(warm['elapsedNs']) / Number(warm['count']);
    // Enough round trips for the budget, at least pingMin for the tail percentiles, unless a
    // round trip is so slow that pingMin would take over 4 budgets (then 300, or what fits).
    let count = clampCount((profile.pingBudgetMs * 1e6) / perRoundTrip, profile.pingMin, profile.pingMax);
    const cap = Math.floor((4 * profile.pingBudgetMs * 1e6) / perRoundTrip);
    if (count > cap) count = Math.max(Math.min(300, profile.pingMin), cap);
    const s0 = cpuOf(await server.handle.request('begin'));
    const run = await client!.handle.request('pp', { size, count, record: true }, timeout);
    const end = await server.handle.request('end', {}, timeout);
    const serverCpu = end['cpu'] ? cpuOf(end['cpu']) : delta(s0, cpuOf(end));
    const clientCpu = cpuOf(run['cpu']);
    const latency = latencyStats(decodeSamples(String(run['samples'])));
    results.push({
      target: plan.target.id,
      targetLabel: plan.target.label,
      kind: plan.target.kind,
      scenario: 'ping-pong',
      direction: 'round trip',
      label: caseLabel(plan.target, 'ping-pong', size, 1),
      sizeBytes: size,
      operations: count,
      writers: 1,
      durationNs: Number(run['elapsedNs']),
      latencyNs: latency,
      cpu: cpuCost({ client: clientCpu, server: serverCpu }, 2 * count),
      peakRssBytes: { client: clientCpu.maxRssBytes, server: serverCpu.maxRssBytes },
      ratios: {},
    });
  }
}

/** Streaming (1 writer) and fan-in (N writers): one reader process; from the first send to the last receive. */
async function runStreaming(
  session: Session,
  plan: Planned,
  profile: Profile,
  writersCount: number,
  each: (size: number) => void,
  results: CaseResult[],
): Promise<void> {
  const reader = await session.spawn(session.spec('reader'));
  const writers = await session.connectAll(reader, 'writer', writersCount, plan.probe.duplex !== false);
  const timeout = profile.watchdogMs;
  let total = 0;
  let totalBytes = 0;

  async function round(size: number, perWriter: number) {
    total += perWriter * writers.length;
    totalBytes += perWriter * writers.length * size;
    const expected = total;
    const r0 = cpuOf(await reader.handle.request('arm', { until: expected }));
    const reached = reader.handle.waitEvent('reached', (e) => e['count'] === expected, timeout);
    const sent = await Promise.all(writers.map((w) => w.handle.request('send', { size, count: perWriter }, timeout)));
    const event = await reached;
    const r1 = cpuOf(await reader.handle.request('cpu'));
    if (Number(event['bytes']) !== totalBytes) {
      throw new Error(`the reader received ${Number(event['bytes'])} bytes in all, ${totalBytes} were sent`);
    }
    const t0 = sent.map((s) => BigInt(String(s['t0']))).reduce((a, b) => (a < b ? a : b));
    const elapsedNs = Number(BigInt(String(event['tEnd'])) - t0);
    const writerCpu = sent.map((s) => cpuOf(s['cpu']));
    return { elapsedNs, messages: perWriter * writers.length, readerCpu: delta(r0, r1), writerCpu };
  }

  for (const size of plan.sizes) {
    each(size);
    // A short probe for the rate, a warm-up of about streamWarmMs, then the measured round.
    const probe = await round(size, clampCount((64 * 1024) / size / writers.length, 8, 1000));
    let rate = probe.messages / (probe.elapsedNs / 1e9);
    const warm = await round(size, clampCount((rate * profile.streamWarmMs) / 1000 / writers.length, 8, profile.streamMax));
    rate = warm.messages / (warm.elapsedNs / 1e9);
    const perWriter = clampCount(
      (rate * profile.streamBudgetMs) / 1000 / writers.length,
      Math.ceil(profile.streamMin / writers.length),
      Math.ceil(profile.streamMax / writers.length),
    );
    const m = await round(size, perWriter);
    const seconds = m.elapsedNs / 1e9;
    const byRole: Record<string, CpuSnapshot> = { reader: m.readerCpu };
    const peak: Record<string, number> = { reader: m.readerCpu.maxRssBytes };
    m.writerCpu.forEach((cpu, i) => {
      byRole[writers.length === 1 ? 'writer' : `writer${i + 1}`] = cpu;
    });
    peak[writers.length === 1 ? 'writer' : 'writers (max)'] = Math.max(...m.writerCpu.map((c) => c.maxRssBytes));
    results.push({
      target: plan.target.id,
      targetLabel: plan.target.label,
      kind: plan.target.kind,
      scenario: plan.scenario,
      direction: 'one-way',
      label: caseLabel(plan.target, plan.scenario, size, writers.length),
      sizeBytes: size,
      operations: m.messages,
      writers: writers.length,
      durationNs: m.elapsedNs,
      throughput: { messagesPerSec: m.messages / seconds, megabytesPerSec: (m.messages * size) / seconds / 1e6 },
      cpu: cpuCost(byRole, m.messages),
      peakRssBytes: peak,
      ratios: {},
    });
  }
}

/**
 * Idle: one writer connected to one reader waiting in receive, nothing sent
 * for `idleMs`; the CPU each process uses over that window, as a share of one
 * core. What a spin-then-sleep transport costs when there is nothing to do.
 */
async function runIdle(session: Session, plan: Planned, profile: Profile, idle: IdleResult[]): Promise<void> {
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
  const t0 = process.hrtime.bigint();
  const before = await Promise.all(peers.map(async (p) => cpuOf(await p.handle.request('cpu'))));
  await sleep(profile.idleMs);
  const after = await Promise.all(peers.map(async (p) => cpuOf(await p.handle.request('cpu'))));
  const wallNs = Number(process.hrtime.bigint() - t0);
  const percent = (i: number): number => {
    const d = delta(before[i]!, after[i]!);
    return ((d.userUs + d.systemUs) * 1000 * 100) / wallNs;
  };
  idle.push({
    target: plan.target.id,
    targetLabel: plan.target.label,
    kind: plan.target.kind,
    label: idleLabel(plan.target, profile.idleMs),
    durationNs: wallNs,
    cpuPercent: { reader: percent(0), writer: percent(1) },
    peakRssBytes: { reader: after[0]!.maxRssBytes, writer: after[1]!.maxRssBytes },
  });
}

function plan(config: RunConfig, probes: Map<string, Probe>, skipped: SkippedCase[]): Planned[] {
  const planned: Planned[] = [];
  for (const target of TARGETS) {
    if (!config.targets.includes(target.id)) continue;
    const probe = probes.get(target.id);
    if (!probe?.available) continue;
    for (const scenario of target.scenarios) {
      if (scenario !== 'memcpy' && !config.scenarios.includes(scenario)) continue;
      if (scenario === 'idle') {
        planned.push({ target, probe, scenario, sizes: [] });
        continue;
      }
      if (scenario === 'fan-in' && probe.manyWriters === false) {
        skipped.push({ target: target.id, scenario, reason: probe.noFanIn ?? `${target.label} does not take many writers on one name` });
        continue;
      }
      const sizes: number[] = [];
      for (const size of config.profile.sizes) {
        if (probe.maxMessageBytes !== undefined && size > probe.maxMessageBytes) {
          skipped.push({
            target: target.id,
            scenario,
            sizeBytes: size,
            reason: `${formatSize(size)} is over ${target.label}'s largest message (${probe.maxMessageBytes} bytes)`,
          });
        } else sizes.push(size);
      }
      if (sizes.length) planned.push({ target, probe, scenario, sizes });
    }
  }
  return planned;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 6).join(' | ');
}

/** Runs the whole benchmark. */
export async function runBench(config: RunConfig): Promise<BenchRun> {
  const started = Date.now();
  const progress = config.progress ?? silent;
  const environment = collectEnvironment({ underWine: config.underWine ?? false, ...(config.wineVersion ? { wineVersion: config.wineVersion } : {}) });
  const targets: TargetInfo[] = [];
  const probes = new Map<string, Probe>();
  for (const target of TARGETS) {
    if (!config.targets.includes(target.id)) continue;
    let probe: Probe;
    try {
      probe = await target.probe();
    } catch (error) {
      probe = { available: false, reason: firstLine(error) };
    }
    probes.set(target.id, probe);
    targets.push({
      id: target.id,
      label: target.label,
      kind: target.kind,
      available: probe.available,
      ...(probe.backend ? { backend: probe.backend } : {}),
      ...(probe.reason ? { reason: probe.reason } : {}),
    });
    if (!probe.available) progress.note(`not available: ${target.label} — ${probe.reason ?? 'unknown reason'}`);
  }

  const skipped: SkippedCase[] = [];
  const planned = plan(config, probes, skipped);
  const total = planned.reduce((n, p) => n + casesOf(p), 0);
  let done = 0;
  const results: CaseResult[] = [];
  const idle: IdleResult[] = [];
  const control = new ControlServer();
  await control.start();
  try {
    for (const p of planned) {
      const writers = p.scenario === 'fan-in' ? config.profile.writers : 1;
      const groupStart = done;
      const each = (size: number): void => progress.start(caseLabel(p.target, p.scenario, size, writers), done++, total);
      const maxSize = p.scenario === 'idle' ? IDLE_MESSAGE_BYTES : Math.max(...p.sizes);
      const session = new Session(control, p.target, config.profile, maxSize);
      try {
        if (p.scenario === 'memcpy') await runMemcpy(p.target, p.sizes, config.profile, each, results, caseLabel);
        else if (p.scenario === 'ping-pong') await runPingPong(session, p, config.profile, each, results);
        else if (p.scenario === 'idle') {
          progress.start(idleLabel(p.target, config.profile.idleMs), done++, total);
          await runIdle(session, p, config.profile, idle);
        } else await runStreaming(session, p, config.profile, writers, each, results);
      } catch (error) {
        const reason = `failed: ${firstLine(error)}`;
        if (p.scenario === 'idle') skipped.push({ target: p.target.id, scenario: p.scenario, reason });
        const measured = new Set(results.filter((r) => r.target === p.target.id && r.scenario === p.scenario).map((r) => r.sizeBytes));
        for (const size of p.sizes) if (!measured.has(size)) skipped.push({ target: p.target.id, scenario: p.scenario, sizeBytes: size, reason });
        progress.note(`${p.target.label} ${p.scenario}: ${reason}`);
      } finally {
        await session.close();
      }
      done = groupStart + casesOf(p);
    }
  } finally {
    await control.close();
  }
  progress.start('done', total, total);
  computeRatios(results);

  const notes = [
    'Latency figures are round trips (a message there and back); throughput figures are one-way.',
    'CPU per message is user + system time of every process of the case over the measured phase, divided by the messages (a round trip is two messages).',
    "Peak memory is each process's maxRSS; the peers of one scenario serve every size in turn (smallest first), so it is the peak up to that size.",
    'MB/s counts payload bytes, 1 MB = 10^6 bytes.',
  ];
  if (idle.length)
    notes.push(
      `Idle CPU is each process's user + system time over ${config.profile.idleMs / 1000} s with nothing sent, as a percentage of one core (100 % = one core busy).`,
    );
  if (environment.underWine) notes.unshift(`${environment.label}.`);
  return {
    schema: SCHEMA,
    createdAt: new Date(started).toISOString(),
    command: config.command,
    durationMs: Date.now() - started,
    options: {
      profile: config.profile.name,
      sizes: config.profile.sizes,
      scenarios: config.scenarios,
      targets: config.targets,
      writers: config.profile.writers,
      budgetMs: config.profile.pingBudgetMs,
      ...(config.scenarios.includes('idle') ? { idleMs: config.profile.idleMs } : {}),
    },
    environment,
    targets,
    results,
    idle,
    skipped,
    notes,
  };
}

export type { Json };
