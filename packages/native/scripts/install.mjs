#!/usr/bin/env node
// `npm install` hook of @ipckit/native. Nothing to do when a prebuild fits this system
// (prebuilds/<platform>-<arch>/, see prebuilds/manifest.json: Linux glibc >= its floor, Windows),
// so no compiler is needed. Otherwise it builds the addon from source with node-gyp, and says so.
// Node's headers come from `nodedir` (npm config) or, failing that, from the include/node folder
// beside the running node, so node-gyp never tries to download them (there may be no network).
//
//   node scripts/install.mjs                 build only when no prebuild fits
//   node scripts/install.mjs --from-source   build from source anyway (IPCKIT_NATIVE_BUILD=1 too);
//                                            the loader then prefers it only with IPCKIT_NATIVE_ADDON=source
//
// On systems the addon has no wait primitives for (anything but Linux and Windows) there is nothing
// worth building: it says so and exits 0, and the first use of shm:// or @ipckit/sync fails with
// ENOTSUP naming the paths tried.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const target = `${process.platform}-${process.arch}`;
const prebuild = join(root, 'prebuilds', target, 'ipckit_native.node');
const say = (line) => console.log(`@ipckit/native: ${line}`);

/** "2.17" < "2.28". */
function older(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

/** Why the shipped prebuild does not fit here (the loader's rule, src/loader.ts), or '' when it does. */
function mismatch() {
  if (!existsSync(prebuild)) return `no prebuild for ${target}`;
  if (process.platform !== 'linux') return '';
  let facts;
  try {
    facts = JSON.parse(readFileSync(join(root, 'prebuilds', 'manifest.json'), 'utf8')).targets?.[target];
  } catch {
    return '';
  }
  if (facts?.libc !== 'glibc') return '';
  const glibc = process.report?.getReport()?.header?.glibcVersionRuntime;
  if (glibc === undefined) return `the ${target} prebuild is built for glibc, and this C library is not glibc (musl?)`;
  if (facts.glibc && older(glibc, facts.glibc)) return `the ${target} prebuild needs glibc >= ${facts.glibc}, this system has ${glibc}`;
  return '';
}

const forced = process.argv.includes('--from-source') || process.env.IPCKIT_NATIVE_BUILD === '1';
const why = mismatch();
if (!forced && why === '') {
  say(`using the prebuild ${prebuild}`);
  process.exit(0);
}
if (!forced && !['linux', 'win32'].includes(process.platform)) {
  say(`${process.platform} is not supported (shared memory and sync need Linux or Windows); nothing to build`);
  process.exit(0);
}
say(forced ? 'building from source, as asked (node-gyp)' : `${why}: building from source with node-gyp (needs Python 3 and a C++17 compiler)`);

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
