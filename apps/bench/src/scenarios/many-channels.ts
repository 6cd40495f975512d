/**
 * Many channels: one client process holding N channels to one echo server
 * process, every channel doing round trips at once (issue 13 §3). The same
 * two processes serve every N in turn, smallest first: the client connects
 * more channels as N grows. A count the transport does not take (its
 * capabilities say so, or a connect fails) is "not measured" with the
 * transport's reason, and so is every larger one; the run goes on.
 */
import { caseLabel, firstLine, underLoad, type CaseContext, type Planned } from '../case.js';
import { cpuOf, delta, type Session } from '../session.js';
import { median, spreadOf } from '../stats.js';
import { cpuCost } from './ping-pong.js';

export async function runManyChannels(session: Session, plan: Planned, ctx: CaseContext): Promise<void> {
  const { profile } = ctx;
  const size = plan.sizes[0] ?? profile.channelBytes;
  const counts = plan.channels ?? profile.channels;
  const timeout = profile.watchdogMs;
  const server = await session.spawn(session.spec('echo'));
  const client = await session.spawn(session.spec('many'));
  const listened = await server.handle.request('listen', { name: session.listenName() });
  const name = String(listened['connectName']);
  let refused: string | undefined;
  for (const channels of counts) {
    const label = caseLabel(plan.target, 'many-channels', size, 1, 0, channels);
    ctx.each(label);
    if (refused === undefined) {
      try {
        await client.handle.request('mc-open', { name, count: channels }, timeout);
      } catch (error) {
        refused = `${plan.target.label} did not take ${channels} channels on one listener: ${firstLine(error).replace(/^peer \S+: mc-open: /, '')}`;
      }
    }
    if (refused !== undefined) {
      ctx.skipped.push({ target: plan.target.id, scenario: 'many-channels', sizeBytes: size, channels, reason: refused });
      continue;
    }
    const { value, machine } = await underLoad(0, profile, async () => {
      const s0 = cpuOf(await server.handle.request('begin'));
      const run = await client.handle.request(
        'mc-run',
        { count: channels, size, warmMs: profile.channelsWarmMs, windowMs: profile.channelsWindowMs, trials: profile.trials },
        timeout,
      );
      const s1 = cpuOf(await server.handle.request('end'));
      return { run, serverCpu: delta(s0, s1) };
    });
    const windows = value.run['windows'] as Array<{ roundTrips: number; elapsedNs: number; slowest?: number }>;
    const rates = windows.map((w) => w.roundTrips / (w.elapsedNs / 1e9));
    const slowest = windows.map((w) => (w.slowest ?? 0) / (w.elapsedNs / 1e9));
    const clientCpu = cpuOf(value.run['cpu']);
    const all = Number(value.run['roundTrips']);
    ctx.results.push({
      target: plan.target.id,
      targetLabel: plan.target.label,
      kind: plan.target.kind,
      scenario: 'many-channels',
      direction: 'round trip',
      label,
      sizeBytes: size,
      operations: windows.reduce((n, w) => n + w.roundTrips, 0),
      writers: 1,
      durationNs: windows.reduce((n, w) => n + w.elapsedNs, 0),
      load: 0,
      channels,
      roundTripsPerSec: median(rates),
      slowestChannelRoundTripsPerSec: median(slowest),
      // Over the whole run of the command (warm-up included, the same loop): a round trip is two messages.
      cpu: cpuCost({ client: clientCpu, server: value.serverCpu }, 2 * Math.max(1, all)),
      peakRssBytes: { client: clientCpu.maxRssBytes, server: value.serverCpu.maxRssBytes },
      ratios: {},
      spread: spreadOf('roundTripsPerSec', rates),
      machine,
    });
  }
}
