/** Streaming (1 writer) and fan-in (N writers): one reader process; from the first send to the last receive. */
import { caseLabel, eachCase, underLoad, type CaseContext, type Planned } from '../case.js';
import type { CpuSnapshot } from '../peers/common.js';
import type { CpuCost, Throughput } from '../results.js';
import { cpuOf, delta, type Session } from '../session.js';
import { clampCount, medianOf, spreadOf } from '../stats.js';
import { cpuCost } from './ping-pong.js';

interface Trial {
  messages: number;
  elapsedNs: number;
  throughput: Throughput;
  cpu: CpuCost;
  rss: Record<string, number>;
}

export async function runStreaming(session: Session, plan: Planned, writersCount: number, ctx: CaseContext): Promise<void> {
  const { profile } = ctx;
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
    // Awaited below; until then a peer that dies must fail this case, not the whole run (unhandled rejection).
    reached.catch(() => undefined);
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

  async function trial(size: number, perWriter: number): Promise<Trial> {
    const m = await round(size, perWriter);
    const seconds = m.elapsedNs / 1e9;
    const byRole: Record<string, CpuSnapshot> = { reader: m.readerCpu };
    const rss: Record<string, number> = { reader: m.readerCpu.maxRssBytes };
    m.writerCpu.forEach((cpu, i) => {
      byRole[writers.length === 1 ? 'writer' : `writer${i + 1}`] = cpu;
    });
    rss[writers.length === 1 ? 'writer' : 'writers (max)'] = Math.max(...m.writerCpu.map((c) => c.maxRssBytes));
    return {
      messages: m.messages,
      elapsedNs: m.elapsedNs,
      throughput: { messagesPerSec: m.messages / seconds, megabytesPerSec: (m.messages * size) / seconds / 1e6 },
      cpu: cpuCost(byRole, m.messages),
      rss,
    };
  }

  for (const size of plan.sizes) {
    for (const load of plan.loads) {
      ctx.each(caseLabel(plan.target, plan.scenario, size, writers.length, load));
      const skip = { target: plan.target.id, scenario: plan.scenario, sizeBytes: size, ...(load ? { load } : {}) };
      await eachCase(
        skip,
        async () => {
          const { value: trials, machine } = await underLoad(load, profile, async () => {
            // A short probe for the rate, a warm-up of about streamWarmMs, then the measured rounds.
            const probe = await round(size, clampCount((64 * 1024) / size / writers.length, 8, 1000));
            let rate = probe.messages / (probe.elapsedNs / 1e9);
            const warm = await round(size, clampCount((rate * profile.streamWarmMs) / 1000 / writers.length, 8, profile.streamMax));
            rate = warm.messages / (warm.elapsedNs / 1e9);
            const perWriter = clampCount(
              (rate * profile.streamBudgetMs) / 1000 / writers.length,
              Math.ceil(profile.streamMin / writers.length),
              Math.ceil(profile.streamMax / writers.length),
            );
            const trials: Trial[] = [];
            for (let t = 0; t < profile.trials; t++) trials.push(await trial(size, perWriter));
            return trials;
          });
          ctx.results.push({
            target: plan.target.id,
            targetLabel: plan.target.label,
            kind: plan.target.kind,
            scenario: plan.scenario,
            direction: 'one-way',
            label: caseLabel(plan.target, plan.scenario, size, writers.length, load),
            sizeBytes: size,
            operations: trials.reduce((n, t) => n + t.messages, 0),
            writers: writers.length,
            durationNs: trials.reduce((n, t) => n + t.elapsedNs, 0),
            load,
            throughput: medianOf(trials.map((t) => t.throughput)),
            cpu: medianOf(trials.map((t) => t.cpu)),
            peakRssBytes: trials[trials.length - 1]!.rss,
            ratios: {},
            spread: spreadOf(
              'throughput.messagesPerSec',
              trials.map((t) => t.throughput.messagesPerSec),
            ),
            machine,
          });
        },
        ctx.skipped,
      );
    }
  }
}
