// Builds what the lessons run before they run it, so that `npm run lesson -- 1` works from a fresh
// clone after `npm install`: the lessons' TypeScript programs and, through Nx's dependsOn, every
// ipckit package they import (and the native addon). Nx caches: when nothing changed this takes a
// second or two. Its output is shown only when the build fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './programs.mjs';

/** Builds `project` (default: the lessons) with Nx; throws with Nx's output when it fails. */
export function ensureBuilt(project = '@ipckit/lessons') {
  const nx = join(REPO_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'nx.cmd' : 'nx');
  if (!existsSync(nx)) throw new Error(`${nx} is missing: run \`npm install\` at the repository root first`);
  process.stderr.write(`building ${project} and what it uses (nx run ${project}:build)...\n`);
  const r = spawnSync(nx, ['run', `${project}:build`, '--outputStyle=static', '--skipSync'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) throw new Error(`the build failed:\n${r.stdout}${r.stderr}`);
}
