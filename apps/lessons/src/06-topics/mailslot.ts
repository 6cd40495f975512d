/**
 * Lesson 6, why a mailslot is not a topic: on one machine a mailslot name has one reader, and
 * ipckit's mailslot:// has no topic form.
 *
 *   node dist/06-topics/mailslot.js <name>
 *
 * Windows: a second CreateMailslotW of a served name fails (ERROR_ALREADY_EXISTS). POSIX: a second
 * bind of the socket's path while the first server lives fails (EADDRINUSE).
 */
import { publish } from '@ipckit/core';
import { listenMailslot } from '@ipckit/mailslot';
import { arg, explain, say } from '../common/say.js';

const name = arg(0, 'mailslot name');

// #region one-reader
const reader = await listenMailslot(name);
say(`reader 1: created ${reader.path}`);
try {
  const second = await listenMailslot(name);
  say(`reader 2: created ${second.path} as well`);
  await second.close();
} catch (error) {
  say(`reader 2, same name: ${explain(error)}`);
}
try {
  await publish(`mailslot://${name}`);
} catch (error) {
  say(`publish("mailslot://${name}"): ${explain(error)}`);
}
// #endregion one-reader
await reader.close();
