/**
 * `ipckit record ADDRESS... -o FILE`: record topics into an MCAP file
 * (https://mcap.dev, readable by Foxglove and the other robotics tools),
 * written with @mcap/core, the format's reference library, loaded only
 * when this command runs. One MCAP channel per address (its topic is the
 * address), no schema, messages stored as their bytes; each message's log
 * time is when it was received (ns since the epoch), its sequence the
 * topic's `seq`. Ctrl-C ends the recording with a complete file (summary
 * and footer written).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { IpcError, type Subscriber } from '@ipckit/core';
import { fromNodeError } from '@ipckit/core/kit';
import type { Context } from '../context.js';
import { EXIT, errorLine } from '../exit.js';
import { nanoClock, stopOn, subscribeTopic, type TopicReadOptions } from './topic-common.js';

/** Options of `ipckit record`. */
export interface RecordCommandOptions extends TopicReadOptions {
  /** The MCAP file to write. */
  output: string;
  /** Replace the file when it exists (otherwise EEXIST, nothing written). */
  force: boolean;
}

/** The message encoding recorded: none, the bytes as they were published (the channels have no schema). */
export const RECORD_MESSAGE_ENCODING = '';

/** Records until Ctrl-C, --count, --duration or every publisher's end; exit 0 with a complete file. */
export async function recordCommand(ctx: Context, addresses: readonly string[], options: RecordCommandOptions): Promise<number> {
  if (new Set(addresses).size !== addresses.length) throw new IpcError('EINVAL', 'an address is given twice');
  // Subscribe to every topic before the file is made: a bad address leaves no file behind.
  const subscribers: Subscriber[] = [];
  try {
    for (const address of addresses) subscribers.push(await subscribeTopic(ctx, address, options));
  } catch (error) {
    await Promise.all(subscribers.map((s) => s.close()));
    throw error;
  }
  let file: FileHandle;
  try {
    file = await open(options.output, options.force ? 'w' : 'wx', 0o644);
  } catch (error) {
    await Promise.all(subscribers.map((s) => s.close()));
    const exists = (error as { code?: unknown }).code === 'EEXIST';
    throw fromNodeError(error, { path: options.output, message: `cannot create ${options.output}${exists ? ': it exists (--force replaces it)' : ''}` });
  }
  const { McapWriter } = await import('@mcap/core');
  let position = 0n;
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: async (buffer: Uint8Array) => {
        await file.write(buffer);
        position += BigInt(buffer.byteLength);
      },
    },
  });
  // The writer takes one call at a time; every call goes through this chain.
  let chain: Promise<unknown> = writer.start({ profile: '', library: 'ipckit' });
  const serial = <T>(step: () => Promise<T>): Promise<T> => {
    const next = chain.then(step);
    chain = next.catch(() => undefined);
    return next;
  };
  const channelIds: number[] = [];
  for (const address of addresses) {
    channelIds.push(
      await serial(() =>
        writer.registerChannel({ topic: address, schemaId: 0, messageEncoding: RECORD_MESSAGE_ENCODING, metadata: new Map([['ipckit.address', address]]) }),
      ),
    );
  }
  ctx.note(`recording ${addresses.map((a) => ctx.errStyle.bold(a)).join(', ')} to ${options.output}; Ctrl-C stops`);
  const stop = stopOn(ctx.signal, options.durationMs);
  const now = nanoClock();
  let recorded = 0;
  let missed = 0;
  const reading = subscribers.map(async (subscriber, index) => {
    const channelId = channelIds[index] ?? 0;
    for await (const delivery of subscriber) {
      if (stop.reason !== undefined) break;
      const time = now();
      missed += delivery.missed;
      if (delivery.missed > 0) ctx.note(`${addresses[index]}: ${delivery.missed} messages missed before seq ${delivery.seq}`);
      recorded++;
      if (options.count !== undefined && recorded >= options.count) stop.stop('count');
      await serial(() => writer.addMessage({ channelId, sequence: delivery.seq % 2 ** 32, logTime: time, publishTime: time, data: delivery.data }));
    }
  });
  const allEnded = Promise.all(reading).then(() => stop.stop('ended'));
  let failure: unknown;
  try {
    await Promise.race([stop.stopped, allEnded]);
  } catch (error) {
    failure = error;
  } finally {
    stop.dispose();
    await Promise.all(subscribers.map((s) => s.close()));
  }
  const results = await Promise.allSettled(reading);
  for (const result of results) if (result.status === 'rejected' && failure === undefined) failure = result.reason;
  // Whatever happened, the file ends with its summary and footer, so it opens.
  await serial(() => writer.end());
  await file.close();
  ctx.note(
    `recorded ${recorded} messages on ${addresses.length} topic${addresses.length === 1 ? '' : 's'} to ${options.output}${missed > 0 ? ` (${missed} missed)` : ''}`,
  );
  if (failure !== undefined) {
    ctx.note(errorLine(failure));
    return EXIT.FAILURE;
  }
  return EXIT.OK;
}
