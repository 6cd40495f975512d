#!/usr/bin/env node
// `npm install` hook: builds the addon for this machine with node-gyp, unless
// a prebuild for this platform ships in prebuilds/ (then nothing to do, and no
// compiler is needed). Node's headers come from `nodedir` (npm config) or,
// failing that, from the include/node folder beside the running node, so
// node-gyp never tries to download them (there may be no network).
//
// Set IPCKIT_NATIVE_BUILD=1 to build even when a prebuild exists.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const prebuild = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'ipckit_native.node');

if (existsSync(prebuild) && process.env.IPCKIT_NATIVE_BUILD !== '1') {
  console.log(`@ipckit/native: using the prebuild ${prebuild}`);
  process.exit(0);
}

const args = ['rebuild'];
if (!process.env.npm_config_nodedir) {
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`);
}

// npm passes its bundled node-gyp in npm_config_node_gyp; outside npm, look for one.
let gyp = process.env.npm_config_node_gyp;
if (!gyp) {
  const require = createRequire(import.meta.url);
  for (const candidate of [
    'node-gyp/bin/node-gyp.js',
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]) {
    try {
      gyp = candidate.startsWith('node-gyp') ? require.resolve(candidate) : candidate;
      if (existsSync(gyp)) break;
    } catch {
      gyp = undefined;
    }
  }
}
if (!gyp || !existsSync(gyp)) {
  console.error('@ipckit/native: node-gyp not found (run this through npm, or install node-gyp)');
  process.exit(1);
}

const r = spawnSync(process.execPath, [gyp, ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
