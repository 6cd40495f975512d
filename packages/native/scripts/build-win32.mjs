#!/usr/bin/env node
// Cross-builds prebuilds/win32-x64/ipckit_native.node on Linux with mingw-w64
// (Debian's g++-mingw-w64-x86-64-posix), from the same sources as binding.gyp.
//
//   node scripts/build-win32.mjs [--force]
//   node scripts/build-win32.mjs --verify   rebuilds into build-win32/ and fails
//                                           unless it matches the committed prebuild
//
// Recipe (checked on this project's machines, see ARCHITECTURE.md):
//  1. an import library for the Node-API symbols that node.exe exports:
//     x86_64-w64-mingw32-dlltool -d <node-api-headers>/def/node_api.def -l libnode.a -D node.exe
//  2. compile against node-api-headers' and node-addon-api's include folders;
//  3. link -shared ... -L<dir> -lnode -static (without -static the DLL needs
//     libwinpthread-1.dll and libstdc++-6.dll, which Windows does not have).
// The output is reproducible (no PE timestamp, stripped, no build paths), so
// the committed prebuild can be checked by rebuilding and comparing hashes.
// Skips the build when the output is newer than every input.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));
const verify = process.argv.includes('--verify');
const force = verify || process.argv.includes('--force');

// The posix-threads flavour: std::thread needs it (the win32 flavour has none).
let CXX = 'x86_64-w64-mingw32-g++-posix';
const DLLTOOL = 'x86_64-w64-mingw32-dlltool';
const NAPI_VERSION = 8; // as in binding.gyp

function fail(message) {
  console.error(`build-win32: ${message}`);
  process.exit(1);
}

function has(tool) {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

function run(cmd, args) {
  console.log(`build-win32: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} exited with ${r.status}`);
}

// Installs the compiler through the repo's tools/windows/ensure-toolchain.mjs
// when it is missing (apt-get), or says how to.
async function ensureToolchain() {
  if (!has(CXX) && has('x86_64-w64-mingw32-g++')) {
    // Only the default flavour: fine if it is the posix one (Debian's alternatives).
    const v = spawnSync('x86_64-w64-mingw32-g++', ['-v'], { encoding: 'utf8' });
    if (/Thread model: posix/.test(v.stderr ?? '')) CXX = 'x86_64-w64-mingw32-g++';
  }
  if (has(CXX) && has(DLLTOOL)) return;
  const ensure = join(root, '..', '..', 'tools', 'windows', 'ensure-toolchain.mjs');
  if (!existsSync(ensure)) {
    fail(`${CXX} not found. Install it with: apt-get install g++-mingw-w64-x86-64-posix`);
  }
  const { ensureMingw } = await import(pathToFileURL(ensure).href);
  try {
    ensureMingw({ log: (line) => console.log(`build-win32: ${line}`) });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (!has(CXX) || !has(DLLTOOL)) fail(`${CXX} still not found after ${relative(root, ensure)}`);
}

function resolvePackageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    fail(`the npm package ${name} is not installed (it is a dependency of @ipckit/native: run npm install at the repository root)`);
  }
}

const addonApiDir = resolvePackageDir('node-addon-api');
const headersDir = resolvePackageDir('node-api-headers');
const sources = ['src/addon.cc', 'src/sync_thread.cc', 'src/wait_word_win32.cc', 'src/blocking_ops_win32.cc'];
const inputs = [
  ...sources,
  'src/wait_word.h',
  'src/blocking_ops.h',
  'scripts/build-win32.mjs',
  join(addonApiDir, 'napi.h'),
  join(addonApiDir, 'napi-inl.h'),
  join(headersDir, 'def', 'node_api.def'),
];
const outDir = join(root, 'prebuilds', 'win32-x64');
const committed = join(outDir, 'ipckit_native.node');
const work = join(root, 'build-win32');
const out = verify ? join(work, 'ipckit_native.node') : committed;

if (!force && existsSync(out)) {
  const built = statSync(out).mtimeMs;
  const stale = inputs.filter((f) => statSync(resolve(root, f)).mtimeMs > built);
  if (stale.length === 0) {
    console.log(`build-win32: ${relative(root, out)} is up to date (--force rebuilds)`);
    process.exit(0);
  }
}

await ensureToolchain();
mkdirSync(work, { recursive: true });
mkdirSync(outDir, { recursive: true });

run(DLLTOOL, ['-d', join(headersDir, 'def', 'node_api.def'), '-l', join(work, 'libnode.a'), '-D', 'node.exe']);
run(CXX, [
  '-std=c++17',
  '-O2',
  '-Wall',
  '-shared',
  `-DNAPI_VERSION=${NAPI_VERSION}`,
  '-DNAPI_CPP_EXCEPTIONS',
  '-DNODE_ADDON_API_DISABLE_DEPRECATED',
  '-DWIN32_LEAN_AND_MEAN',
  '-D_WIN32_WINNT=0x0601',
  `-I${join(headersDir, 'include')}`,
  `-I${addonApiDir}`,
  // keep the absolute checkout paths out of the binary (assert messages)
  `-ffile-prefix-map=${root}=.`,
  `-ffile-prefix-map=${dirname(addonApiDir)}=node_modules`,
  ...sources,
  '-o',
  relative(root, out),
  `-L${relative(root, work)}`,
  '-lnode',
  '-static',
  '-s',
  // reproducible output: no link timestamp, and a fixed image base (the
  // automatic one is a hash of the output path)
  '-Wl,--no-insert-timestamp',
  '-Wl,--disable-auto-image-base',
]);

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sha = sha256(out);
console.log(`build-win32: wrote ${relative(root, out)} (${statSync(out).size} bytes, sha256 ${sha})`);
if (verify) {
  const want = existsSync(committed) ? sha256(committed) : '(missing)';
  if (want !== sha) fail(`${relative(root, committed)} (sha256 ${want}) does not match a fresh build: run \`node scripts/build-win32.mjs\` and commit it`);
  console.log(`build-win32: ${relative(root, committed)} matches a fresh build`);
}
