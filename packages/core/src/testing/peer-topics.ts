/**
 * The peer process of the topics conformance suite. Run as
 * `node peer-topics.js <transport module URL> <role> <name> <options JSON> [mode]`;
 * it reports on stdout with one JSON line per event.
 *
 * - `publish`: publishes `name` with the options, reports `ready` with the
 *   name it serves, then obeys stdin lines: `wait N` (until N subscribers:
 *   `subscribers`), `send N` (the next N test messages: `sent`), `flood`
 *   (send until killed), `crash` (exit at once, closing nothing), `close [ms]`
 *   (report `closing`, close with that timeout, report `done`, exit).
 * - `subscribe`: subscribes (waiting for a publisher), reports `subscribed`,
 *   then by `mode`: `count:N` (take N deliveries, leave), `all` (read to
 *   the end), `stall` (read nothing until a
 *   stdin line, then as `all`), `crash:N` (exit at once after N deliveries,
 *   closing nothing), `idle` (nothing until killed); it reports `done` with
 *   what it received (DeliverySummary, `totalMissed`, `errorCode`). Every delivery is
 *   checked: its content matches its `seq`, and its `missed` is the gap
 *   since the previous one.
 */
import type { Transport } from '../transport.js';
import { IpcError } from '../errors.js';
import { publishOn, subscribeOn } from '../kit/topic-transport.js';
import type { Delivery, PublishOptions } from '../topic.js';
import { report, runPeer } from './report.js';
import { DeliveryLog, topicMessage } from './topic-messages.js';

/** Calls `onLine` with each line written to our stdin. */
function onStdinLines(onLine: (line: string) => void): void {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    text += chunk;
    let newline: number;
    while ((newline = text.indexOf('\n')) >= 0) {
      onLine(text.slice(0, newline).trim());
      text = text.slice(newline + 1);
    }
  });
}

/** Options of a test topic: the publish options plus the size of bulk test messages (none: sequence messages). */
export interface PeerTopicOptions extends PublishOptions {
  bulkBytes?: number;
}

async function publisherPeer(transport: Transport, name: string, options: PeerTopicOptions): Promise<void> {
  const { bulkBytes, ...publishOptions } = options;
  const publisher = await publishOn(transport, name, publishOptions);
  let seq = 0;
  const commands: string[] = [];
  let wake: (() => void) | undefined;
  onStdinLines((line) => {
    // A crash must not wait behind a flood.
    if (line === 'crash') process.exit(70);
    commands.push(line);
    wake?.();
  });
  await report('ready', { name: publisher.name });
  for (;;) {
    const command = commands.shift();
    if (command === undefined) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    const [verb, arg] = command.split(' ');
    if (verb === 'wait') {
      await publisher.waitForSubscribers(Number(arg));
      await report('subscribers', { count: publisher.subscriberCount });
    } else if (verb === 'send') {
      for (let i = Number(arg); i > 0; i--) await publisher.send(topicMessage(seq++, bulkBytes));
      await report('sent', { nextSeq: publisher.nextSeq });
    } else if (verb === 'flood') {
      for (;;) await publisher.send(topicMessage(seq++, bulkBytes));
    } else if (verb === 'close') {
      await report('closing');
      await publisher.close(arg === undefined ? undefined : { timeoutMs: Number(arg) });
      await report('done', { nextSeq: publisher.nextSeq });
      return;
    }
  }
}

async function subscriberPeer(transport: Transport, name: string, options: PeerTopicOptions, mode: string): Promise<void> {
  const subscriber = await subscribeOn(transport, name, { timeoutMs: 60_000 });
  const log = new DeliveryLog(options.bulkBytes);
  await report('subscribed');
  const [kind, arg] = mode.split(':');
  if (kind === 'idle') {
    await new Promise(() => undefined);
    return;
  }
  if (kind === 'stall') {
    await new Promise<void>((resolve) => onStdinLines(() => resolve()));
  }
  const limit = kind === 'count' || kind === 'crash' ? Number(arg) : Number.POSITIVE_INFINITY;
  let errorCode: string | undefined;
  try {
    while (log.count < limit) {
      const delivery: Delivery | undefined = await subscriber.receive();
      if (delivery === undefined) break;
      log.accept(delivery);
      if (kind === 'crash' && log.count >= limit) process.exit(70);
    }
  } catch (error) {
    if (!(error instanceof IpcError)) throw error;
    errorCode = error.code;
  }
  const summary = { ...log.summary(), totalMissed: subscriber.missed, errorCode: errorCode ?? null };
  await subscriber.close();
  await report('done', { outcome: kind === 'count' && log.count >= limit ? 'received' : 'ended', ...summary });
}

async function main(): Promise<void> {
  const [moduleUrl, role, name, optionsJson, mode] = process.argv.slice(2);
  if (moduleUrl === undefined || role === undefined || name === undefined) {
    throw new Error('usage: peer-topics.js <module> <role> <name> [options JSON] [mode]');
  }
  const { transport } = (await import(moduleUrl)) as { transport: Transport };
  const options = JSON.parse(optionsJson ?? '{}') as PeerTopicOptions;
  if (role === 'publish') return publisherPeer(transport, name, options);
  if (role === 'subscribe') return subscriberPeer(transport, name, options, mode ?? 'all');
  throw new Error(`unknown peer role ${role}`);
}

void runPeer(main);
