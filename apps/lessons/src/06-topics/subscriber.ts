/**
 * Lesson 6, a subscriber: subscribes to a topic (waiting for its publisher), receives in the
 * background, and reports on request, so that several subscribers' lines come in the order the
 * lesson asks for them. Commands on stdin, one a line:
 *   report <seq>     waits until it has received message <seq> (or the topic ended), then prints
 *                    what it received since the last report, with each delivery's `missed`
 *   stall <event>    is busy: blocks its own event loop on the named event until the lesson sets
 *                    it, and so reads nothing meanwhile (a slow subscriber)
 *   end              waits for the topic to end (the publisher closed), says so and exits
 *
 *   node dist/06-topics/subscriber.js <address>
 */
import { subscribe, type Delivery } from '@ipckit/core';
import { openEvent } from '@ipckit/sync';
import { commands } from '../common/commands.js';
import { arg, explain, say } from '../common/say.js';

const address = arg(0, 'address');

// #region subscribe
const topic = await subscribe(address, { waitForPublisher: true });
say(`subscribed to ${address}: the publisher's policy is ${topic.policy}`);
// #endregion subscribe

const received: Delivery[] = [];
let reported = 0;
let ending: string | undefined;
let wake: (() => void) | undefined;
const changed = (): void => {
  wake?.();
  wake = undefined;
};
const next = (): Promise<void> => new Promise((resolve) => (wake = resolve));

// #region receive
const receiving = (async () => {
  try {
    for await (const delivery of topic) {
      received.push(delivery); // { data, seq, missed }: missed > 0 only under drop-oldest
      changed();
    }
    ending = 'the publisher closed';
  } catch (error) {
    ending = `the publisher disconnected it: ${explain(error)}`;
  }
  changed();
})();
// #endregion receive

/** What arrived since the last report: "#4 (missed 4 before it) #5 #6 #7". */
function report(): string {
  const news = received.slice(reported);
  reported = received.length;
  if (news.length === 0) return 'got nothing';
  const seqs = news.map((d) => (d.missed > 0 ? `#${String(d.seq)} (missed ${String(d.missed)} before it)` : `#${String(d.seq)}`));
  return `got ${seqs.join(' ')}`;
}

const input = commands();
for (let line = await input.next(); line !== undefined; line = await input.next()) {
  const [verb = '', value = ''] = line.split(' ');
  if (verb === 'report') {
    while (ending === undefined && !received.some((d) => d.seq >= Number(value))) await next();
    say(report());
  } else if (verb === 'stall') {
    // #region stall
    const free = await openEvent(value);
    say('busy: its event loop is blocked, it reads nothing');
    free.waitSync({ timeoutMs: 120_000 }); // the whole process waits here, receiving nothing
    say('free again: reading');
    // #endregion stall
    free.close();
  } else if (verb === 'end') {
    while (ending === undefined) await next();
    say(`${ending}: ${String(received.length)} messages received, ${String(topic.missed)} missed`);
    break;
  }
}
input.close();
await receiving;
await topic.close();
