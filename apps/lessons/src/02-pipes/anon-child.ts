/**
 * Lesson 2, the child at the far end of two anonymous pipes: it reads lines from its stdin and writes
 * each back in capitals to its stdout, then says how many it read once stdin reaches end-of-file.
 * It does not know, or care, who made the pipes: a Node parent (anon-parent.ts) or a C parent
 * (c/pipe_anon.c). Its first line says what its stdin really is.
 *
 *   node dist/02-pipes/anon-child.js          (reads stdin until end-of-file)
 *
 * What it writes is data for its parent, not a lesson line: plain writes, no clock stamps.
 */
import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';

// #region child
const stdin = fstatSync(0);
const kind = stdin.isFIFO() ? 'a pipe' : stdin.isSocket() ? 'a socket' : stdin.isFile() ? 'a file' : undefined;
process.stdout.write(kind ? `my stdin is ${kind}\n` : 'my stdin: fstat says neither a pipe nor a socket\n');
let count = 0;
for await (const line of createInterface({ input: process.stdin })) {
  count++;
  process.stdout.write(`${line.toUpperCase()}\n`);
}
process.stdout.write(`end of input after ${String(count)} lines\n`);
// #endregion child
