/**
 * Lesson 2, a named-pipe server: anyone who knows the name can connect. Each message a client sends
 * comes back in capitals. `close` on stdin stops it.
 *
 *   node dist/02-pipes/server.js <name>
 *
 * Windows: a named pipe \\.\pipe\<name> (CreateNamedPipeW and ConnectNamedPipe, inside libuv).
 * POSIX: a Unix domain socket (socket, bind, listen, accept). Both are byte streams here, so ipckit
 * puts each message in a frame: a 4-byte little-endian length, then the bytes (docs/framing.md).
 */
import { listen } from '@ipckit/core';
import { commands } from '../common/commands.js';
import { arg, decode, encode, say } from '../common/say.js';

const name = arg(0, 'pipe name');

// #region server
const listener = await listen(`pipe://${name}`);
say(`listening on ${listener.path}`);
const serving = (async () => {
  for await (const channel of listener) {
    void (async () => {
      for await (const message of channel) {
        const text = decode(message);
        say(`got ${String(message.length)} bytes: "${text}"`);
        await channel.send(encode(text.toUpperCase()));
      }
      say('the client left');
    })();
  }
})();
// #endregion server

const input = commands();
for (let line = await input.next(); line !== undefined && line !== 'close'; line = await input.next());
input.close();
await listener.close();
await serving;
say('closed: the name is free again');
