#!/usr/bin/env node
// Builds the prebuilds that ship in @ipckit/native, from the current src/*.cc, on a Debian-like
// Linux: prebuilds/<platform>-<arch>/ipckit_native.node for
//   linux-x64    the host g++, linked to run on glibc >= 2.28 (scripts/prebuild/glibc.mjs)
//   linux-arm64  Debian's g++-aarch64-linux-gnu, the same way
//   win32-x64    Debian's mingw-w64 (g++-mingw-w64-x86-64-posix), against node.exe's Node-API
// and prebuilds/manifest.json: each file's size and sha256, the glibc it needs, the compiler, and
// the hash of every input (test/prebuilds.test.ts checks it against the sources, no compiler needed).
//
//   node scripts/prebuild.mjs [--target linux-x64,linux-arm64,win32-x64]
//   node scripts/prebuild.mjs --verify [--target ...]   rebuilds into build/prebuild-verify/ and
//                                                       fails unless every committed prebuild and
//                                                       its manifest entry match the fresh build
//
// Builds are reproducible: no timestamps, no build paths (-ffile-prefix-map), stripped, sources in
// a fixed order. The same compiler gives the same bytes, so --verify compares hashes. Missing
// compilers are installed with apt-get (tools/apt.mjs), once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { checkFloor, makeStubs } from './prebuild/glibc.mjs';
import {
  GLIBC_FLOOR,
  LINUX_COMPAT_SOURCES,
  NAPI_VERSION,
  ROOT,
  TARGETS,
  inputsHash,
  linuxFlags,
  linuxLinkFlags,
  packageDir,
  sourcesFor,
  win32Flags,
  win32LinkFlags,
} from './prebuild/targets.mjs';

const MANIFEST = join(ROOT, 'prebuilds', 'manifest.json');
const ADDON = 'ipckit_native.node';
const log = (line) => console.log(`prebuild: ${line}`);

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

function run(cmd, args, cwd = ROOT) {
  log([cmd, ...args.map((a) => (a.startsWith(ROOT) ? relative(ROOT, a) || '.' : a))].join(' '));
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} exited with ${r.status}`);
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function compilerVersion(cxx) {
  const r = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : undefined;
}

/** Installs the target's compiler when it is missing (apt-get, through the repository's tools/apt.mjs). */
async function ensureCompiler(name, target) {
  const tools = [target.cxx, target.cc, target.dlltool].filter(Boolean);
  const found = (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
  if (tools.every(found)) return;
  const helper = join(ROOT, '..', '..', 'tools', 'apt.mjs');
  const packages = target.apt.map((a) => a.pkg).join(' ');
  if (!existsSync(helper)) fail(`${tools.join(', ')} not found: install ${packages}`);
  const { ensurePackages } = await import(pathToFileURL(helper).href);
  try {
    ensurePackages(target.apt, { log });
  } catch (error) {
    fail(`${name}: ${error instanceof Error ? error.message : error}`);
  }
  const missing = tools.filter((tool) => !found(tool));
  if (missing.length) fail(`${name}: ${missing.join(', ')} still not found after installing ${packages}`);
}

/** Keeps absolute checkout paths out of the binary (assert messages, __FILE__). */
function prefixMaps() {
  const nodeModules = dirname(packageDir('node-addon-api'));
  return [`-ffile-prefix-map=${ROOT}=.`, `-ffile-prefix-map=${nodeModules}=node_modules`];
}

function includes() {
  return [`-I${join(packageDir('node-api-headers'), 'include')}`, `-I${packageDir('node-addon-api')}`];
}

/** Builds a Linux prebuild into `out`; returns what its manifest entry says about glibc. */
function buildLinux(name, target, work, out) {
  const stubs = makeStubs(target, GLIBC_FLOOR, join(work, 'glibc-stubs'));
  run(target.cxx, [
    ...linuxFlags(),
    ...includes(),
    ...prefixMaps(),
    ...sourcesFor('linux'),
    ...LINUX_COMPAT_SOURCES.map((f) => relative(ROOT, f)),
    '-o',
    out,
    ...stubs,
    ...linuxLinkFlags(),
  ]);
  const floor = checkFloor(out, GLIBC_FLOOR);
  if (floor.problems.length) fail(`${name} does not keep to glibc ${GLIBC_FLOOR}:\n  ${floor.problems.join('\n  ')}`);
  log(`${name}: needs glibc >= ${floor.glibc} (floor ${GLIBC_FLOOR}); libraries: ${floor.needed.join(', ')}`);
  return { libc: 'glibc', glibc: floor.glibc, needs: floor.needed };
}

/** Builds the win32-x64 prebuild into `out` (mingw-w64 against node.exe's Node-API exports). */
function buildWin32(_name, target, work, out) {
  const def = join(packageDir('node-api-headers'), 'def', 'node_api.def');
  // Both paths relative, so the DLL is the same in every checkout directory: dlltool names the
  // archive's members after the -l path, and ld orders the import table by the archive's path as
  // given (an absolute /tmp/... sorted before /usr/.../libkernel32.a, /work/... after it).
  run(target.dlltool, ['-d', def, '-l', 'libnode.a', '-D', 'node.exe'], work);
  run(target.cxx, [...win32Flags(), ...includes(), ...prefixMaps(), ...sourcesFor('win32'), '-o', out, `-L${relative(ROOT, work)}`, ...win32LinkFlags()]);
  return {};
}

function readManifest() {
  if (!existsSync(MANIFEST)) return { napiVersion: NAPI_VERSION, targets: {} };
  return JSON.parse(readFileSync(MANIFEST, 'utf8'));
}

async function main() {
  const { values } = parseArgs({ options: { target: { type: 'string', multiple: true }, verify: { type: 'boolean', default: false } } });
  const names = values.target ? values.target.flatMap((t) => t.split(',')).filter(Boolean) : Object.keys(TARGETS);
  for (const name of names) if (!TARGETS[name]) fail(`unknown target ${name} (known: ${Object.keys(TARGETS).join(', ')})`);
  if (process.platform !== 'linux') fail('the prebuilds are built on Linux (Debian-like, with apt-get for the cross compilers)');

  const manifest = readManifest();
  const problems = [];
  for (const name of names) {
    const target = TARGETS[name];
    await ensureCompiler(name, target);
    const work = join(ROOT, 'build', `prebuild-${name}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const committed = join(ROOT, 'prebuilds', name, ADDON);
    const out = values.verify ? join(ROOT, 'build', 'prebuild-verify', name, ADDON) : join(work, ADDON);
    mkdirSync(dirname(out), { recursive: true });
    const started = Date.now();
    const facts = target.os === 'linux' ? buildLinux(name, target, work, out) : buildWin32(name, target, work, out);
    const entry = {
      file: `${name}/${ADDON}`,
      bytes: statSync(out).size,
      sha256: sha256(out),
      inputs: inputsHash(name),
      ...facts,
      compiler: compilerVersion(target.cxx),
    };
    log(`${name}: ${entry.bytes} bytes, sha256 ${entry.sha256} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (values.verify) {
      const want = manifest.targets[name];
      const have = existsSync(committed) ? sha256(committed) : '(missing)';
      if (have !== entry.sha256) {
        const compiler = want?.compiler && want.compiler !== entry.compiler ? ` (it was built with ${want.compiler}, this is ${entry.compiler})` : '';
        problems.push(`${relative(ROOT, committed)} (sha256 ${have}) is not what the current sources build${compiler}`);
      } else if (want?.sha256 !== entry.sha256 || want?.inputs !== entry.inputs) {
        problems.push(`prebuilds/manifest.json's entry for ${name} is out of date`);
      } else {
        log(`${name}: the committed prebuild matches a fresh build`);
      }
    } else {
      mkdirSync(dirname(committed), { recursive: true });
      copyFileSync(out, committed);
      manifest.targets[name] = entry;
      log(`${name}: wrote ${relative(ROOT, committed)}`);
    }
  }
  if (values.verify) {
    if (problems.length) fail(`${problems.join('\n  ')}\nRebuild with \`npm run build:prebuilds -w @ipckit/native\` and commit prebuilds/.`);
    log(`verified ${names.join(', ')}`);
    return;
  }
  manifest.napiVersion = NAPI_VERSION;
  manifest.glibcFloor = GLIBC_FLOOR;
  manifest.targets = Object.fromEntries(Object.entries(manifest.targets).sort(([a], [b]) => (a < b ? -1 : 1)));
  // Generated: .prettierignore leaves it as written here.
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${relative(ROOT, MANIFEST)}`);
}

await main();
