/**
 * `ipckit bench ...`: the comparison app, @ipckit/bench, a dependency of this
 * package (so `npx ipckit bench compare A.json B.json` works wherever ipckit
 * is installed, and from the repository root, where it is the workspace's
 * apps/bench). Its own command line, unchanged: `ipckit bench --help` is its help.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IpcError } from '@ipckit/core';
import type { Context } from '../context.js';
import { EXIT } from '../exit.js';

/** The bench's program: the `ipckit-bench` bin of the installed @ipckit/bench. */
export function benchProgram(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('@ipckit/bench/package.json');
  } catch (error) {
    throw new IpcError('ENOTSUP', '`ipckit bench` needs the package @ipckit/bench (npm install @ipckit/bench)', { cause: error });
  }
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> };
  const file = bin?.['ipckit-bench'];
  if (file === undefined) throw new IpcError('ENOTSUP', `${manifest} has no ipckit-bench bin`);
  return join(dirname(manifest), file);
}

/** Runs the bench with `args` in this terminal; its exit code is this command's. */
export async function benchCommand(ctx: Context, args: string[]): Promise<number> {
  const program = benchProgram();
  const child = spawn(process.execPath, [program, ...args], { stdio: 'inherit' });
  // Ctrl-C reaches the bench itself (same process group); a SIGTERM sent to this process is passed on.
  const forward = (): void => {
    if (child.exitCode === null && ctx.signal.reason === 'SIGTERM') child.kill('SIGTERM');
  };
  ctx.signal.addEventListener('abort', forward, { once: true });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      reject(new IpcError('EIO', `could not start the bench (${program}): ${error.message}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      ctx.signal.removeEventListener('abort', forward);
      resolve(code ?? (signal === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.FAILURE));
    });
  });
}
