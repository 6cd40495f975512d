/**
 * Lesson 2, a parent and its child talking through anonymous pipes, the Node way: child_process
 * gives the child new stdin and stdout whose other ends the parent keeps. Nobody else can open
 * them: they have no name, only the two processes hold them.
 *
 *   node dist/02-pipes/anon-parent.js
 *
 * Platform-specific behaviour: libuv makes these "pipes" with what the OS does best. On Linux they
 * are a Unix socketpair (socketpair(AF_UNIX, SOCK_STREAM)), not pipe(2); on Windows, a named pipe
 * with a unique name only the two ends know (\\.\pipe\uv\...), which is also how Windows itself
 * implements CreatePipe. The C parent (c/pipe_anon.c) makes real pipe2 / CreatePipe pipes.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { say } from '../common/say.js';

// #region parent
const child = spawn(process.execPath, [fileURLToPath(new URL('anon-child.js', import.meta.url))], {
  stdio: ['pipe', 'pipe', 'inherit'], // the child's stdin and stdout: new pipes; stderr: ours
});
say(`started the child (pid ${String(child.pid)}): its stdin and stdout are pipes`);
say('writing "one", "two", "three" into the child\'s stdin');
child.stdin.write('one\ntwo\nthree\n');
child.stdin.end(); // closes our end: the child reads end-of-file after the three lines
say('closed my end of the pipe: the child will read end-of-file');
for await (const line of createInterface({ input: child.stdout })) say(`child says: ${line}`);
const code = await new Promise((resolve) => child.on('close', resolve));
say(`the child exited with code ${String(code)}`);
// #endregion parent
