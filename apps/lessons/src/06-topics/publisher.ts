/**
 * Lesson 6, the publisher: publishes a topic on any address (shm://, pipe://, tcp://), then does
 * what stdin tells it, one command a line:
 *   wait <n>    waits until <n> subscribers are counted in
 *   send <k>    publishes the next <k> messages ("reading <seq>"), each awaited
 *   try         publishes one message with a send timeout of 500 ms, and says what became of it
 *   count <n>   waits until the publisher counts <n> subscribers (one left, or died)
 *   close       closes the topic: every subscriber's iteration ends once it has what reached it
 *
 *   node dist/06-topics/publisher.js <address> [policy] [capacity] [history]
 *
 * The same program on every transport: only the address changes (docs/topics.md).
 */
import { publish, type SlowSubscriberPolicy } from '@ipckit/core';
import { commands, sleep } from '../common/commands.js';
import { arg, encode, explain, say } from '../common/say.js';

const address = arg(0, 'address');
const scheme = address.split('://')[0] ?? '';
const policy = (process.argv[3] ?? 'block') as SlowSubscriberPolicy;
const capacity = Number(process.argv[4] ?? 64);
const history = Number(process.argv[5] ?? 0);

// #region publish
const topic = await publish(address, {
  policy,
  capacity,
  history,
  // Under block, wait a minute for a slow subscriber before giving up on it (the default is 2 s).
  ...(policy === 'block' ? { blockTimeoutMs: 60_000 } : {}),
});
say(`publishing ${scheme}://${topic.name}: policy ${policy}, capacity ${String(capacity)}, history ${String(history)}`);
// #endregion publish

const range = (from: number, to: number): string => (to - from === 1 ? `#${String(from)}` : `#${String(from)}–#${String(to - 1)}`);
const plural = (n: number, word: string): string => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

const input = commands();
for (let line = await input.next(); line !== undefined && line !== 'close'; line = await input.next()) {
  const [verb = '', count = '1'] = line.split(' ');
  const n = Number(count);
  if (verb === 'wait') {
    await topic.waitForSubscribers(n, { timeoutMs: 60_000 });
    say(`${plural(topic.subscriberCount, 'subscriber')} counted in`);
  } else if (verb === 'send') {
    const first = topic.nextSeq;
    // #region send
    for (let i = 0; i < n; i++) await topic.send(encode(`reading ${String(topic.nextSeq)}`));
    // #endregion send
    say(`sent ${range(first, topic.nextSeq)} to ${plural(topic.subscriberCount, 'subscriber')}`);
  } else if (verb === 'try') {
    const seq = topic.nextSeq;
    // #region try
    try {
      await topic.send(encode(`reading ${String(seq)}`), { timeoutMs: 500 });
      say(`sent #${String(seq)} at once`);
    } catch (error) {
      say(`send #${String(seq)} with a timeout of 500 ms: ${explain(error)}; the next message is still #${String(topic.nextSeq)}`);
    }
    // #endregion try
  } else if (verb === 'count') {
    // The publisher stops counting a subscriber as soon as the OS tells it (its connection or pid is gone).
    for (const until = Date.now() + 60_000; topic.subscriberCount !== n && Date.now() < until;) await sleep(10);
    say(`${plural(topic.subscriberCount, 'subscriber')} counted in now`);
  }
}
input.close();
const sent = topic.nextSeq;
await topic.close();
say(`closed after ${plural(sent, 'message')}`);
