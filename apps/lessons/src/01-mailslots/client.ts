/**
 * Lesson 1, a mailslot writer: opens the slot by name and writes each argument as one message.
 * `+<n>` writes a message of <n> bytes ('x' repeated).
 *
 *   node dist/01-mailslots/client.js <name> <message>...
 *
 * Windows: CreateFileW(\\.\mailslot\<name>, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
 * OPEN_EXISTING) and one WriteFile per message. POSIX: connect() to the socket and one send() per
 * message. Either way, one write is one message: the reader gets it whole, never half, never glued to
 * the next.
 */
import { connectMailslot } from '@ipckit/mailslot';
import { arg, encode, explain, say } from '../common/say.js';

const name = arg(0, 'mailslot name');
const texts = process.argv.slice(3);

// #region write
let writer;
try {
  // This writer refuses messages over 1024 bytes itself, before any system call.
  writer = await connectMailslot(name, { maxMessageBytes: 1024 });
} catch (error) {
  say(`cannot open the slot: ${explain(error)}`);
  process.exit(0);
}
const messages = texts.map((text) => (text.startsWith('+') ? encode('x'.repeat(Number(text.slice(1)))) : encode(text)));
// Say what will be written first, then write: a reader's lines never come before the writer's.
texts.forEach((text, i) => {
  say(`writing ${String(messages[i]?.length)} bytes${text.startsWith('+') ? '' : `: "${text}"`}`);
});
for (const message of messages) {
  try {
    await writer.send(message);
  } catch (error) {
    say(`refused: ${explain(error)}`);
  }
}
await writer.close();
// #endregion write
