/**
 * `ipckit hz ADDRESS`: how busy a topic is, like `ros2 topic hz` and
 * `iox2`: messages per second, bytes per second and the sizes seen
 * (min/median/max) each second, then a summary over the whole run. It is
 * an ordinary subscriber: under the publisher's `block` policy one that
 * cannot keep up slows the publisher (docs/cli.md, Topics).
 */
import { EXIT } from '../exit.js';
import type { Context } from '../context.js';
import { formatBytes } from '../format.js';
import { stopOn, subscribeTopic, type TopicReadOptions } from './topic-common.js';

/** Options of `ipckit hz`. */
export interface HzCommandOptions extends TopicReadOptions {
  /** One JSON line per report instead of text. */
  json: boolean;
}

/** The sizes and counts of one stretch of time. */
interface Window {
  messages: number;
  bytes: number;
  missed: number;
  sizes: number[];
}

const emptyWindow = (): Window => ({ messages: 0, bytes: 0, missed: 0, sizes: [] });

/** The middle value of `sorted` (the lower middle for an even count). */
function median(sorted: readonly number[]): number {
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** The power-of-two bucket a size falls in: 0 for 0-1 bytes, k for 2^(k-1)+1 .. 2^k. */
function bucketOf(size: number): number {
  return size <= 1 ? 0 : Math.ceil(Math.log2(size));
}

/** Subscribes and reports each second until Ctrl-C, --count, --duration or the publisher's end; exit 0 then. */
export async function hzCommand(ctx: Context, address: string, options: HzCommandOptions): Promise<number> {
  const subscriber = await subscribeTopic(ctx, address, options);
  ctx.note(`measuring ${ctx.errStyle.bold(address)} (policy ${subscriber.policy}); Ctrl-C stops`);
  const stop = stopOn(ctx.signal, options.durationMs);
  const started = performance.now();
  let windowStart = started;
  let window = emptyWindow();
  const total = { messages: 0, bytes: 0, missed: 0, min: Infinity, max: 0, buckets: new Map<number, number>() };

  const report = (w: Window, seconds: number, kind: 'window' | 'total'): void => {
    const sorted = kind === 'window' ? [...w.sizes].sort((a, b) => a - b) : [];
    const min = kind === 'window' ? (sorted[0] ?? 0) : total.messages === 0 ? 0 : total.min;
    const max = kind === 'window' ? (sorted.at(-1) ?? 0) : total.max;
    const rate = seconds > 0 ? w.messages / seconds : 0;
    const bandwidth = seconds > 0 ? w.bytes / seconds : 0;
    if (options.json) {
      const line: Record<string, unknown> = { type: kind, seconds, messages: w.messages, bytes: w.bytes, missed: w.missed, rate, bandwidth, min, max };
      if (kind === 'window') line['median'] = median(sorted);
      else line['buckets'] = Object.fromEntries([...total.buckets].sort((a, b) => a[0] - b[0]).map(([k, n]) => [`<=${2 ** k}`, n]));
      ctx.print(JSON.stringify(line));
      return;
    }
    const sizes =
      kind === 'window'
        ? `size min ${formatBytes(min)} median ${formatBytes(median(sorted))} max ${formatBytes(max)}`
        : `size min ${formatBytes(min)} max ${formatBytes(max)}`;
    const head = kind === 'total' ? `total: ${w.messages} messages, ${formatBytes(w.bytes)} in ${seconds.toFixed(1)} s; ` : '';
    ctx.print(`${head}${rate.toFixed(1)} msg/s  ${formatBytes(Math.round(bandwidth))}/s  ${sizes}  missed ${w.missed}`);
    if (kind === 'total' && total.buckets.size > 0) {
      const rows = [...total.buckets].sort((a, b) => a[0] - b[0]).map(([k, n]) => `  <= ${formatBytes(2 ** k)}: ${n}`);
      ctx.print(`sizes:\n${rows.join('\n')}`);
    }
  };

  const tick = setInterval(() => {
    const now = performance.now();
    report(window, (now - windowStart) / 1000, 'window');
    window = emptyWindow();
    windowStart = now;
  }, 1000);

  const reading = (async () => {
    for await (const { data, missed } of subscriber) {
      const size = data.byteLength;
      window.messages++;
      window.bytes += size;
      window.missed += missed;
      window.sizes.push(size);
      total.messages++;
      total.bytes += size;
      total.missed += missed;
      total.min = Math.min(total.min, size);
      total.max = Math.max(total.max, size);
      const bucket = bucketOf(size);
      total.buckets.set(bucket, (total.buckets.get(bucket) ?? 0) + 1);
      if (options.count !== undefined && total.messages >= options.count) break;
    }
  })();
  try {
    await Promise.race([stop.stopped, reading]);
  } finally {
    clearInterval(tick);
    stop.dispose();
    await subscriber.close();
  }
  // Closing ends the iteration; an error it ended with (ECONNRESET: disconnected by the policy) is the run's error.
  await reading;
  report({ messages: total.messages, bytes: total.bytes, missed: total.missed, sizes: [] }, (performance.now() - started) / 1000, 'total');
  return EXIT.OK;
}
