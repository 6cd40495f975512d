/**
 * `ipckit replay FILE`: publish the messages of an MCAP recording (made by
 * `ipckit record`, or any MCAP file) again, each on its channel's topic
 * (the recorded address) or all on `--to`, in log-time order, spaced as
 * recorded or `--rate` times faster. @mcap/core is loaded only when this
 * command runs.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { IpcError, publish, type Publisher } from '@ipckit/core';
import { fromNodeError, sleep } from '@ipckit/core/kit';
import { checkAddress } from '../address.js';
import type { Context } from '../context.js';
import { EXIT } from '../exit.js';

/** Options of `ipckit replay`. */
export interface ReplayCommandOptions {
  /** Publish everything on this address instead of the recorded ones. */
  to?: string;
  /** Speed: 1 as recorded, 2 twice as fast, 0.5 half as fast. */
  rate: number;
  /** Before the first message, wait until each topic has this many subscribers. */
  waitSubscribers?: number;
  /** How long that wait may take, in ms. */
  waitTimeoutMs?: number;
}

/** Opens `path` as an indexed MCAP file; ENOENT when it is not there, EBADMSG when it is not a complete MCAP file. */
async function openRecording(path: string): Promise<{ file: FileHandle; reader: import('@mcap/core').McapIndexedReader }> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw fromNodeError(error, { path, message: `cannot open ${path}` });
  }
  const { McapIndexedReader } = await import('@mcap/core');
  const size = BigInt((await file.stat()).size);
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: () => Promise.resolve(size),
        read: async (offset: bigint, length: bigint) => {
          if (offset + length > size) throw new Error(`read past the end of the file (${offset}+${length} > ${size})`);
          const buffer = new Uint8Array(Number(length));
          await file.read(buffer, 0, buffer.byteLength, Number(offset));
          return buffer;
        },
      },
    });
    return { file, reader };
  } catch (error) {
    await file.close();
    throw new IpcError(
      'EBADMSG',
      `${path} is not a complete MCAP file (${(error as Error).message}); a recording cut short before its footer cannot be replayed`,
      {
        path,
        cause: error,
      },
    );
  }
}

/** Publishes every recorded message, then closes the topics (each subscriber's iteration ends); exit 0. */
export async function replayCommand(ctx: Context, path: string, options: ReplayCommandOptions): Promise<number> {
  if (options.to !== undefined) checkAddress(options.to);
  const { file, reader } = await openRecording(path);
  const publishers = new Map<string, Publisher>();
  try {
    // One publisher per address: every channel's topic, or just --to.
    const addressOf = new Map<number, string>();
    for (const [id, channel] of reader.channelsById) {
      const address = options.to ?? channel.topic;
      checkAddress(address);
      addressOf.set(id, address);
    }
    for (const address of new Set(addressOf.values())) publishers.set(address, await publish(address, { signal: ctx.signal }));
    ctx.note(`replaying ${path} on ${[...publishers.keys()].map((a) => ctx.errStyle.bold(a)).join(', ')}; Ctrl-C stops`);
    if (options.waitSubscribers !== undefined) {
      const count = options.waitSubscribers;
      await Promise.all(
        [...publishers.values()].map((p) =>
          p.waitForSubscribers(count, { signal: ctx.signal, ...(options.waitTimeoutMs === undefined ? {} : { timeoutMs: options.waitTimeoutMs }) }),
        ),
      );
    }
    let first: bigint | undefined;
    const started = performance.now();
    let sent = 0;
    for await (const message of reader.readMessages()) {
      first ??= message.logTime;
      const due = started + Number(message.logTime - first) / 1e6 / options.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, ctx.signal);
      const publisher = publishers.get(addressOf.get(message.channelId) ?? '');
      if (publisher === undefined)
        throw new IpcError('EBADMSG', `${path}: a message on channel ${message.channelId}, which the file does not describe`, { path });
      await publisher.send(message.data, { signal: ctx.signal });
      sent++;
    }
    ctx.note(`replayed ${sent} messages`);
    return EXIT.OK;
  } finally {
    await Promise.all([...publishers.values()].map((p) => p.close()));
    await file.close();
  }
}
