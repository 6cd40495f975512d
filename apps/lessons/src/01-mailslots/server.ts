/**
 * Lesson 1, the mailslot server: creates the slot, then does what stdin tells it, one command a line:
 *   wait <n>   waits until <n> messages have arrived, then says what the slot reports (GetMailslotInfo)
 *   read <n>   takes <n> messages out of the slot, one message per read, printing each
 *   close      closes the slot: its name is gone at once, unread messages with it
 *
 *   node dist/01-mailslots/server.js <name>
 *
 * Windows: CreateMailslotW(\\.\mailslot\<name>), ReadFile, GetMailslotInfo, CloseHandle.
 * POSIX: a Unix datagram socket bound to a path (socket, bind, recv, unlink): not a mailslot, the
 * nearest thing there is (docs/mailslot.md).
 */
import { listenMailslot } from '@ipckit/mailslot';
import { commands, sleep } from '../common/commands.js';
import { arg, decode, say } from '../common/say.js';

const name = arg(0, 'mailslot name');

// #region create
const slot = await listenMailslot(name, { maxMessageBytes: 1024 });
say(`created ${slot.path}`);
say(`largest message: ${String(slot.info().maxMessageBytes)} bytes`);
// #endregion create

const input = commands();
const messages = slot.receiver[Symbol.asyncIterator]();
for (let line = await input.next(); line !== undefined; line = await input.next()) {
  const [verb, count] = line.split(' ');
  const n = Number(count ?? 1);
  if (verb === 'wait') {
    // #region info
    while (slot.info().buffered < n) await sleep(5);
    const info = slot.info();
    say(`${String(info.messagesWaiting)} messages waiting, the next one is ${String(info.nextMessageBytes)} bytes`);
    // #endregion info
  } else if (verb === 'read') {
    // #region read
    for (let i = 1; i <= n; i++) {
      const next = await messages.next();
      if (next.done === true) break;
      say(`message ${String(i)}: ${String(next.value.length)} bytes, "${decode(next.value)}"`);
    }
    // #endregion read
  } else if (verb === 'close') {
    await slot.close();
    say('closed the slot: its name is free again');
    break;
  }
}
input.close();
