/**
 * Lesson 7, an ipckit pipe:// server, and what protects it: on POSIX the per-user socket folder
 * (created 0700, refused when it is a symlink, another uid's, or open to group or others), on
 * Windows the pipe's default security descriptor (libuv passes none of its own). `close` on stdin
 * stops it.
 *
 *   node dist/07-security/owner.js <name>
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { listen } from '@ipckit/core';
import { commands } from '../common/commands.js';
import { arg, say } from '../common/say.js';

const name = arg(0, 'pipe name');
const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

const listener = await listen(`pipe://${name}`);
say(`listening on ${listener.path}`);
// #region modes
if (process.platform === 'win32') {
  say('a named pipe has no mode bits: its security descriptor says who may open it (libuv passes NULL: the default)');
} else {
  const folder = statSync(dirname(listener.path));
  const socket = statSync(listener.path);
  say(`its folder: mode ${octal(folder.mode)}, owner uid ${String(folder.uid)}`);
  say(`the socket: mode ${octal(socket.mode)}, but no other user can reach it to connect`);
}
// #endregion modes

const input = commands();
for (let line = await input.next(); line !== undefined && line !== 'close'; line = await input.next());
input.close();
await listener.close();
say('closed');
