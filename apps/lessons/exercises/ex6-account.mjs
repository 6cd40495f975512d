// Lesson 6, exercise: a subscriber that accounts for every message. Complete the TODO, then check
// your attempt: npm run lesson -- check 6   (the solution: src/exercises/ex6-account.ts)
//
//   node ex6-account.mjs <address> <event>    prints "received <r> and missed <m> of <n> messages"
//
// It is slow on purpose: it blocks on the event before reading anything, so that a drop-oldest
// publisher drops its oldest messages. Each delivery is { data, seq, missed }: seq numbers the
// publisher's messages from 0; missed counts those dropped for this subscriber just before this one.
import { subscribe } from '@ipckit/core';
import { openEvent } from '@ipckit/sync';

const [address, eventName] = process.argv.slice(2);
const go = await openEvent(eventName);
const topic = await subscribe(address, { waitForPublisher: true });
console.log('subscribed');
go.waitSync({ timeoutMs: 120_000 }); // slow: nothing is read until the event is set
go.close();

let received = 0;
for await (const delivery of topic) {
  received += 1;
  if (delivery.missed > 0) console.log(`told: missed ${delivery.missed} before #${delivery.seq}`);
  // TODO: add up what each delivery says was missed, and work out from seq how many messages the
  //       publisher had sent (the last seq + 1).
}
console.log(`received ${received} and missed 0 of ${received} messages`);
await topic.close();
