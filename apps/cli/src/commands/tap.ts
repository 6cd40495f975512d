/**
 * `ipckit tap ADDRESS`: subscribe to a topic and print every delivery, its
 * sequence number, how many were missed before it and its size, as text,
 * hex or JSON lines. A tap is one more subscriber: the publisher and the
 * other subscribers go on as before, except that under the `block` policy a
 * tap that cannot keep up (a slow terminal) makes the publisher wait for it,
 * until its block timeout disconnects the tap (docs/cli.md, Topics).
 */
import type { Delivery } from '@ipckit/core';
import type { Context } from '../context.js';
import { printable } from '../escape.js';
import { EXIT } from '../exit.js';
import { hexdump, utf8 } from '../format.js';
import { stopOn, subscribeTopic, type TopicReadOptions } from './topic-common.js';

/** How `ipckit tap` writes a delivery. */
export type TapFormat = 'text' | 'hex' | 'jsonl';
export const TAP_FORMATS: readonly TapFormat[] = ['text', 'hex', 'jsonl'];

/** Options of `ipckit tap`. */
export interface TapCommandOptions extends TopicReadOptions {
  format: TapFormat;
}

const lenient = new TextDecoder();

/**
 * One delivery as `format` says, without the final newline:
 * - text: `seq=S missed=M bytes=N <the text>`, control characters escaped (`\n`, `\x1b`) so one delivery is one line;
 * - hex: a `# seq S, missed M, N bytes` line, then `hexdump -C`;
 * - jsonl: `{"seq":S,"missed":M,"bytes":N,"text":...}`, or `"base64"` when the bytes are not UTF-8.
 */
export function formatDelivery(delivery: Delivery, format: TapFormat): string {
  const { data, seq, missed } = delivery;
  switch (format) {
    case 'text':
      return `seq=${seq} missed=${missed} bytes=${data.byteLength} ${printable(lenient.decode(data))}`;
    case 'hex':
      return `# seq ${seq}, missed ${missed}, ${data.byteLength} bytes\n${hexdump(data)}`;
    case 'jsonl': {
      const text = utf8(data);
      const record: Record<string, unknown> = { seq, missed, bytes: data.byteLength };
      if (text === undefined) record['base64'] = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
      else record['text'] = text;
      return JSON.stringify(record);
    }
  }
}

/** Prints each delivery until Ctrl-C, --count, --duration or the publisher's end; exit 0 then. */
export async function tapCommand(ctx: Context, address: string, options: TapCommandOptions): Promise<number> {
  const subscriber = await subscribeTopic(ctx, address, options);
  ctx.note(`tapping ${ctx.errStyle.bold(address)} (policy ${subscriber.policy}); Ctrl-C stops`);
  const stop = stopOn(ctx.signal, options.durationMs);
  let received = 0;
  const reading = (async () => {
    for await (const delivery of subscriber) {
      const line = `${formatDelivery(delivery, options.format)}\n`;
      // Wait for stdout to take the line: a slow reader slows the tap, not its memory.
      if (!ctx.out.write(line)) await new Promise((resolve) => ctx.out.once('drain', resolve));
      if (options.count !== undefined && ++received >= options.count) break;
    }
  })();
  try {
    await Promise.race([stop.stopped, reading]);
  } finally {
    stop.dispose();
    await subscriber.close();
  }
  await reading;
  return EXIT.OK;
}
