/**
 * Fan-out (issue 19 §5): one publisher process, N subscriber processes, one
 * topic. Each case publishes a fresh topic, lets the first N subscriber
 * processes join it, and measures:
 * - warm-up bursts until two in a row agree (profile.steadyTolerance), then
 * - a burst, the publisher sending as fast as its policy lets it: the
 *   aggregate delivered rate (from the first send to the last subscriber's
 *   receipt of the last message) and the publisher's CPU per message
 *   (process.cpuUsage in the publisher);
 * - paced messages, one at a time with a pause after each: the latency from
 *   send to receipt (the send time rides in the payload; every process reads
 *   the same monotonic clock), each subscriber's p50;
 * - the loss check: every subscriber's received + missed = published, and no
 *   gap in its sequence numbers that `missed` does not account for.
 * The subscriber processes are started once per target (as many as the
 * largest N) and serve every case in turn.
 */
import { firstLine, underLoad, type CaseContext, type Planned } from '../case.js';
import { formatSize } from '../format.js';
import type { Profile } from '../profile.js';
import type { FanOutResult, FanOutSubscriberCount } from '../results.js';
import type { Peer, Session } from '../session.js';
import { clampCount, median } from '../stats.js';
import type { TargetDef } from '../targets.js';
import { warmUntilSteady } from '../warmup.js';

/** One case of the scenario. */
export interface FanOutCase {
  subscribers: number;
  size: number;
  policy: 'block' | 'drop-oldest';
}

/** Subscriber processes started at once (each a Node process: a few at a time on a small machine). */
const SPAWN_BATCH = 8;
/** How long a subscribe or the wait for every subscriber may take, ms (generous: a busy machine). */
const JOIN_TIMEOUT_MS = 30_000;

/**
 * The cases of a (target, fan-out) plan: every subscriber count × size under
 * `block`, and, when the profile asks and the target has the policy, a
 * drop-oldest twin at the smallest size (zeromq's PUB drops silently: it has
 * no drop-oldest that tells, so it has no twin).
 */
export function fanOutCases(plan: Pick<Planned, 'sizes' | 'subscribers' | 'target'>, profile: Profile): FanOutCase[] {
  const cases: FanOutCase[] = [];
  const smallest = Math.min(...plan.sizes);
  for (const subscribers of plan.subscribers ?? []) {
    for (const size of plan.sizes) cases.push({ subscribers, size, policy: 'block' });
    if (profile.fanOutDropOldest && plan.target.family !== 'zmq' && plan.sizes.length) cases.push({ subscribers, size: smallest, policy: 'drop-oldest' });
  }
  return cases;
}

/** "shm (async) · fan-out 1→16 · 64 B · block". */
export function fanOutLabel(target: TargetDef, c: FanOutCase): string {
  return `${target.label} · fan-out 1→${c.subscribers} · ${formatSize(c.size)} · ${c.policy}`;
}

async function spawnSubscribers(session: Session, count: number): Promise<Peer[]> {
  const peers: Peer[] = [];
  while (peers.length < count) {
    const batch = Math.min(SPAWN_BATCH, count - peers.length);
    peers.push(...(await Promise.all(Array.from({ length: batch }, () => session.spawn(session.spec('subscriber'))))));
  }
  return peers;
}

export async function runFanOut(session: Session, plan: Planned, ctx: CaseContext, out: FanOutResult[]): Promise<void> {
  const { profile } = ctx;
  const timeout = profile.watchdogMs;
  const cases = fanOutCases(plan, profile);
  if (cases.length === 0) return;
  const publisher = await session.spawn(session.spec('publisher'));
  const pool = await spawnSubscribers(session, Math.max(...cases.map((c) => c.subscribers)));

  async function one(c: FanOutCase): Promise<Omit<FanOutResult, 'machine'>> {
    const group = pool.slice(0, c.subscribers);
    const listened = await publisher.handle.request(
      'pub',
      {
        name: session.listenName(),
        maxMessageBytes: c.size,
        policy: c.policy,
        maxSubscribers: c.subscribers,
        // Under block, a subscriber starved by the scheduler is waited for, not disconnected: the loss check is about the transport.
        ...(c.policy === 'block' ? { blockTimeoutMs: timeout } : {}),
      },
      timeout,
    );
    let published = 0;
    try {
      const connectName = String(listened['connectName']);
      await Promise.all(group.map((s) => s.handle.request('sub', { name: connectName, maxMessageBytes: c.size, timeoutMs: JOIN_TIMEOUT_MS }, timeout)));
      await publisher.handle.request('wait', { count: c.subscribers, timeoutMs: JOIN_TIMEOUT_MS }, timeout);

      /** Sends `count` messages (burst or paced) and waits until every subscriber has the last one. */
      const phase = async (command: 'burst' | 'paced', count: number) => {
        const last = published + count - 1;
        const armed = await Promise.all(group.map((s) => s.handle.request('arm', { until: last }, timeout)));
        const reached = group.map((s) => s.handle.waitEvent('reached', (e) => e['seq'] === last, timeout));
        // Awaited below; until then a peer that dies must fail this case, not the whole run (unhandled rejection).
        for (const r of reached) r.catch(() => undefined);
        const sent = await publisher.handle.request(command, { size: c.size, count, gapMs: profile.fanOutGapMs }, timeout);
        published += count;
        if (Number(sent['last']) !== last) throw new Error(`the publisher's last seq is ${String(sent['last'])}, ${last} was expected`);
        const events = await Promise.all(reached);
        const delivered = events.reduce((n, e, i) => n + Number(e['received']) - Number(armed[i]!['received']), 0);
        const tEnd = events.map((e) => BigInt(String(e['tEnd']))).reduce((a, b) => (a > b ? a : b));
        return { sent, delivered, tEnd };
      };

      const count = clampCount(profile.fanOutBudgetBytes / (c.size * c.subscribers), profile.fanOutMin, profile.fanOutMax);
      // Warm-up bursts of a tenth of the burst until two in a row agree (a JIT-compiled send path is
      // several times faster than its first messages), then the burst.
      const warmCount = clampCount(count / 10, 4, 1000);
      const { warmup } = await warmUntilSteady(profile, async () => {
        const w = await phase('burst', warmCount);
        return Number(w.tEnd - BigInt(String(w.sent['t0']))) / warmCount;
      });
      const burst = await phase('burst', count);
      const elapsedNs = Number(burst.tEnd - BigInt(String(burst.sent['t0'])));
      const cpu = burst.sent['cpu'] as { userUs?: unknown; systemUs?: unknown } | undefined;
      const publisherCpuUs = Number(cpu?.userUs ?? 0) + Number(cpu?.systemUs ?? 0);
      if (c.policy === 'block') await phase('paced', profile.fanOutPaced);
      const stats = await Promise.all(group.map((s) => s.handle.request('stats', {}, timeout)));
      const counts: FanOutSubscriberCount[] = stats.map((s) => ({ received: Number(s['received']), missed: Number(s['missed']), silent: Number(s['silent']) }));
      const p50s = stats.filter((s) => typeof s['p50'] === 'number').map((s) => Number(s['p50']));
      const seconds = elapsedNs / 1e9;
      return {
        target: plan.target.id,
        targetLabel: plan.target.label,
        kind: plan.target.kind,
        label: fanOutLabel(plan.target, c),
        sizeBytes: c.size,
        subscribers: c.subscribers,
        policy: c.policy,
        messages: count,
        durationNs: elapsedNs,
        delivered: { messagesPerSec: burst.delivered / seconds, megabytesPerSec: (burst.delivered * c.size) / seconds / 1e6 },
        publisherCpuPerMessageNs: (publisherCpuUs * 1000) / count,
        ...(c.policy === 'block' && p50s.length === c.subscribers ? { subscriberP50Ns: median(p50s), subscriberP50MaxNs: Math.max(...p50s) } : {}),
        published,
        counts,
        lossCheck: counts.every((n) => n.received + n.missed === published && n.silent === 0),
        warmup,
      };
    } finally {
      await Promise.all(group.map((s) => s.handle.request('unsub', {}, timeout).catch(() => undefined)));
      await publisher.handle.request('unpub', {}, timeout).catch(() => undefined);
    }
  }

  for (const c of cases) {
    ctx.each(fanOutLabel(plan.target, c));
    try {
      const { value, machine } = await underLoad(0, profile, () => one(c));
      out.push({ ...value, machine });
    } catch (error) {
      ctx.skipped.push({
        target: plan.target.id,
        scenario: 'fan-out',
        sizeBytes: c.size,
        subscribers: c.subscribers,
        reason: `failed (${c.policy}): ${firstLine(error)}`,
      });
    }
  }
}
