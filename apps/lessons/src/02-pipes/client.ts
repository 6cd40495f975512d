/**
 * Lesson 2, a named-pipe client: sends each argument as one message and waits for the reply before
 * sending the next.
 *
 *   node dist/02-pipes/client.js <name> <message>...
 *
 * Windows: CreateFileW(\\.\pipe\<name>) (inside libuv); POSIX: connect() to the socket's path.
 */
import { connect } from '@ipckit/core';
import { arg, decode, encode, explain, say } from '../common/say.js';

const name = arg(0, 'pipe name');

// #region client
let channel;
try {
  channel = await connect(`pipe://${name}`);
} catch (error) {
  say(`cannot connect: ${explain(error)}`);
  process.exit(0);
}
const replies = channel[Symbol.asyncIterator]();
for (const text of process.argv.slice(3)) {
  say(`sending "${text}"`);
  await channel.send(encode(text));
  const reply = await replies.next();
  if (reply.done === true) break;
  say(`reply: "${decode(reply.value)}"`);
}
await channel.close();
// #endregion client
