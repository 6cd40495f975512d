// The packages this repository publishes, and packing them as `npm pack` does: shared by the
// package checks (test/*.test.ts, run by `npm test`) and the install check (install-check.mjs,
// run by .ci/run).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the project lives: every package's `repository`, `homepage` and README links point here. */
export const REPOSITORY = 'https://github.com/ipckit/ipckit';

/** Every published package, by folder. apps/lessons and tools/* are private. */
export const PUBLISHED = [
  'packages/core',
  'packages/sys',
  'packages/native',
  'packages/named-pipe',
  'packages/tcp',
  'packages/nats',
  'packages/shared-memory',
  'packages/mailslot',
  'packages/sync',
  'apps/bench',
  'apps/cli',
];

/** A package's package.json. */
export function manifestOf(dir) {
  return JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8'));
}

/**
 * Packs the package in `dir` (relative to the repository) into `destination` with `npm pack`
 * (install scripts of the package are not run: --ignore-scripts); returns the tarball's path and
 * the files in it (paths inside `package/`, and sizes).
 * @returns {{ tarball: string, files: { path: string, size: number }[], name: string, version: string }}
 */
export function pack(dir, destination) {
  const r = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], {
    cwd: join(REPO_ROOT, dir),
    encoding: 'utf8',
    // npm's own notices go to stderr; keep the JSON alone on stdout.
    env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  });
  if (r.status !== 0) throw new Error(`npm pack in ${dir} failed (${r.status ?? r.error?.message}):\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout);
  return { tarball: join(destination, info.filename), files: info.files.map((f) => ({ path: f.path, size: f.size })), name: info.name, version: info.version };
}
