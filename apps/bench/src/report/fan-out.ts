/** The fan-out scenario's section of the terminal report: one row per case. */
import { formatCount, formatMBps, formatNs, formatSize } from '../format.js';
import type { FanOutResult } from '../results.js';
import { caseMark } from './columns.js';
import { textTable } from './text-table.js';

/** "ok", or the subscribers whose received + missed ≠ published or who lost messages silently. */
export function lossText(r: FanOutResult): string {
  if (r.lossCheck) {
    const missed = r.counts.reduce((n, c) => n + c.missed, 0);
    return missed ? `ok (${formatCount(missed)} missed, all told)` : 'ok';
  }
  const bad = r.counts
    .map((c, i) => ({ ...c, i }))
    .filter((c) => c.received + c.missed !== r.published || c.silent > 0)
    .slice(0, 3)
    .map((c) => `#${c.i + 1}: ${c.received} received + ${c.missed} missed of ${r.published}${c.silent ? `, ${c.silent} lost silently` : ''}`);
  return `LOSS: ${bad.join('; ')}`;
}

export function fanOutTable(results: FanOutResult[]): string {
  return textTable(
    [
      { header: 'target' },
      { header: 'N', align: 'right' },
      { header: 'size', align: 'right' },
      { header: 'policy' },
      { header: 'delivered msg/s', align: 'right' },
      { header: 'MB/s', align: 'right' },
      { header: 'pub CPU/msg', align: 'right' },
      { header: 'sub p50', align: 'right' },
      { header: 'worst p50', align: 'right' },
      { header: 'loss check' },
      { header: 'machine' },
    ],
    results.map((r) => [
      r.targetLabel,
      String(r.subscribers),
      formatSize(r.sizeBytes),
      r.policy,
      formatCount(r.delivered.messagesPerSec),
      formatMBps(r.delivered.megabytesPerSec),
      formatNs(r.publisherCpuPerMessageNs),
      r.subscriberP50Ns === undefined ? '—' : formatNs(r.subscriberP50Ns),
      r.subscriberP50MaxNs === undefined ? '—' : formatNs(r.subscriberP50MaxNs),
      lossText(r),
      caseMark(r),
    ]),
  );
}
