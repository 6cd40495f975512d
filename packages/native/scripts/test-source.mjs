#!/usr/bin/env node
// The addon built from source, tested: `npm run test:source` (in .ci/run). Builds build/Release/
// with node-gyp from the current sources (scripts/install.mjs --from-source), then runs this
// package's tests, and those of the packages that use it, with IPCKIT_NATIVE_ADDON=source, so the
// loader takes that build and nothing else (the tests check which one they got). `npm test` runs
// the same tests on the shipped prebuild; this keeps the path users without a prebuild take tested.
//
//   node scripts/test-source.mjs [--no-build] [project ...]   (default: @ipckit/native @ipckit/shared-memory @ipckit/sync)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = join(root, '..', '..');
const args = process.argv.slice(2);
const projects = args.filter((a) => !a.startsWith('--'));

function run(cmd, argv, options = {}) {
  console.log(`test-source: ${cmd} ${argv.join(' ')}`);
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`test-source: ${cmd} exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
}

if (!args.includes('--no-build')) run(process.execPath, [join(root, 'scripts', 'install.mjs'), '--from-source'], { cwd: root });
if (!existsSync(join(root, 'build', 'Release', 'ipckit_native.node'))) {
  console.error('test-source: build/Release/ipckit_native.node is missing');
  process.exit(1);
}
const nx = join(repo, 'node_modules', '.bin', 'nx');
const list = projects.length ? projects : ['@ipckit/native', '@ipckit/shared-memory', '@ipckit/sync'];
// --skip-nx-cache: the cached results are the prebuild's; these must run.
run(nx, ['run-many', '-t', 'test', '-p', list.join(','), '--skip-nx-cache', '--outputStyle=stream', '--skipSync'], {
  cwd: repo,
  env: { ...process.env, IPCKIT_NATIVE_ADDON: 'source' },
});
console.log(`test-source: ${list.join(', ')} passed on the addon built from source`);
