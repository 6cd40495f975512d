/**
 * The `ipckit` command (bin/ipckit.js loads this). It sets the exit code and
 * lets the process end by itself once everything is closed, so what is
 * written to a pipe is never cut short; a leftover handle cannot keep it
 * alive past a short grace period.
 */
import { processContext } from './context.js';
import { run } from './program.js';

// `ipckit ls | head`: a reader that went away is not an error; stop quietly, as cat does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw error;
  });
}

const code = await run(process.argv.slice(2), processContext());
process.exitCode = code;
setTimeout(() => process.exit(code), 2_000).unref();
