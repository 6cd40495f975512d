/**
 * Lesson 6, exercise: a subscriber that accounts for every message. It is slow on purpose: it blocks
 * on an event before it reads anything, so that under drop-oldest the publisher drops its oldest
 * messages. Then it receives until the topic ends and says how many it received, how many it was told
 * it missed, and how many the publisher sent: no message may be unaccounted for.
 *
 *   node dist/exercises/ex6-account.js <address> <event>
 */
import { subscribe } from '@ipckit/core';
import { openEvent } from '@ipckit/sync';
import { arg, say } from '../common/say.js';

const [address, eventName] = [arg(0, 'topic address'), arg(1, 'event name')];
const go = await openEvent(eventName);
const topic = await subscribe(address, { waitForPublisher: true });
say('subscribed');
go.waitSync({ timeoutMs: 120_000 }); // slow: nothing is read until the event is set
go.close();

// #region solution
let received = 0;
let missed = 0;
let published = 0;
for await (const { seq, missed: lost } of topic) {
  if (lost > 0) say(`told: missed ${String(lost)} before #${String(seq)}`);
  received += 1;
  missed += lost; // the messages dropped for this subscriber, just before this one
  published = seq + 1; // seq counts from 0: the publisher had sent seq + 1 messages by this one
}
say(`received ${String(received)} and missed ${String(missed)} of ${String(published)} messages`);
// #endregion solution
await topic.close();
