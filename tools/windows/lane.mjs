// The Windows lane: `npm run test:windows`.
//
// Runs every transport's conformance suite under real Windows Node (node.exe) inside Wine on Linux,
// then each project's own Windows tests (<project>/test/win32/*.test.mjs, node:test: the transports'
// and @ipckit/sync's), and reports each as a line of win32 counts. One lane runs at a time on a
// machine (a lock file in .cache/windows/; a second run waits). Exits 1 on any failed test, on a suite or test folder that
// ran no tests, and on a node.exe that crashed or hung (watchdogs per suite and per test file).
// Installs Wine and the mingw cross compiler through apt when missing; everything it downloads or
// compiles is cached in .cache/windows/ (see wine.mjs). What Wine cannot prove: README.md here.
//
//   node tools/windows/lane.mjs [--no-build] [--only named-pipe[,tcp,sync...]]
//                               [--timeout-scale 2] [--transport-timeout-min 15] [--package-timeout-min 8]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startNatsServer } from '../nats-server/index.mjs';
import { ensureToolchain, MINGW_CC } from './ensure-toolchain.mjs';
import { CACHE_DIR, killWineserver, LOG_DIR, prepareWindows, REPO_ROOT, runWindowsNode, toWindowsPath } from './wine.mjs';

export { runWindowsNode, toWindowsPath, killWineserver } from './wine.mjs';

/**
 * What the lane runs, in order: each transport's conformance suite and its own Windows tests
 * (<dir>/test/win32/*.test.mjs), and the Windows tests of the other projects that have some.
 * `--only` takes the folder's last part (named-pipe, sync, ...).
 */
const PROJECTS = [
  { dir: 'packages/named-pipe', conformance: true },
  { dir: 'packages/tcp', conformance: true },
  { dir: 'packages/shared-memory', conformance: true },
  { dir: 'packages/mailslot', conformance: true },
  // Against Debian's nats-server on Linux, which the Windows node.exe reaches over 127.0.0.1.
  { dir: 'packages/nats', conformance: true, natsServer: true },
  { dir: 'packages/sync', conformance: false },
  // Lesson 5 times nats:// too: a nats-server of its own, as for packages/nats (IPCKIT_NATS_SERVER).
  { dir: 'apps/lessons', conformance: false, natsServer: true },
  { dir: 'apps/cli', conformance: false },
];
const SHORT_NAMES = PROJECTS.map((p) => basename(p.dir));
/** One lane at a time on a machine: runs share one Wine prefix and end with `wineserver -k`. */
const LOCK_FILE = join(CACHE_DIR, 'lane.lock');
/** Where the C programs of the packages' Windows tests are cross-compiled to (gitignored). */
const NATIVE_DIR = join(CACHE_DIR, 'native');
/** The whole lane must end well inside half an hour on a 2-core machine. */
const LANE_BUDGET_MS = 27 * 60_000;

const log = (line) => console.log(`[windows] ${line}`);

/** Reads node:test's TAP: the closing summary and the names of the failed tests. */
export function parseTap(text) {
  const summary = {};
  for (const match of text.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
    summary[match[1]] = Number(match[2]);
  }
  // Failed tests (not the suites that failed because of them, not TODOs): their names, for the summary.
  // Also what finished, for a run that never wrote its summary (crash, hang).
  const failures = [];
  const finished = { pass: 0, fail: 0 };
  for (const block of text.split(/^(?=\s*(?:not )?ok \d+ - )/m)) {
    const m = /^\s*(not )?ok \d+ - (.*)$/m.exec(block);
    if (!m || !/type: 'test'/.test(block) || /# (TODO|SKIP)\b/.test(m[2])) continue;
    if (!m[1]) finished.pass++;
    else if (!/failureType: 'subtestsFailed'/.test(block)) {
      finished.fail++;
      failures.push(m[2]);
    }
  }
  return { complete: 'tests' in summary && 'pass' in summary, summary, finished, failures };
}

function packageInfo(project) {
  const root = join(REPO_ROOT, project.dir);
  const manifest = join(root, 'package.json');
  if (!existsSync(manifest)) return null;
  const { name } = JSON.parse(readFileSync(manifest, 'utf8'));
  return { ...project, dir: basename(project.dir), project, name, root, built: !project.conformance || existsSync(join(root, 'dist', 'testing.js')) };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Takes the machine's lane lock (a file holding the holder's pid), waiting while another live lane
 * holds it; a lock whose holder died is taken over. Two lanes at once would kill each other's
 * node.exe (`wineserver -k`), so the second one waits instead.
 */
async function takeLaneLock() {
  mkdirSync(CACHE_DIR, { recursive: true });
  let said = false;
  for (;;) {
    try {
      writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      return () => rmSync(LOCK_FILE, { force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(LOCK_FILE, 'utf8').trim());
    if (!(holder > 0) || !alive(holder)) {
      rmSync(LOCK_FILE, { force: true });
      continue;
    }
    if (!said) log(`another Windows lane (pid ${holder}) is running; waiting for it`);
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Builds one project (and, through Nx's dependsOn, what it needs); returns whether it built. */
function build(project) {
  const nx = join(REPO_ROOT, 'node_modules', '.bin', 'nx');
  if (!existsSync(nx)) throw new Error(`${nx} is missing: run npm install at the repository root first`);
  log(`building ${project} (nx caches what is unchanged)`);
  // --skipSync: keeping tsconfig project references in sync is `nx sync`'s job (and `npm test`'s
  // check), not this lane's; out of sync, Nx refuses to run in a non-interactive shell.
  const r = spawnSync(nx, ['run', `${project}:build`, '--outputStyle=static', '--skipSync'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return r.status === 0;
}

/** Proves node.exe starts, is win32, and loads the repo's koffi with its Windows binary. */
async function preflight() {
  const code = [
    "import koffi from 'koffi';",
    "const pid = koffi.load('kernel32.dll').func('uint32_t __stdcall GetCurrentProcessId(void)')();",
    'console.log(JSON.stringify({ platform: process.platform, arch: process.arch, node: process.version, koffi: koffi.version, pidMatches: pid === process.pid }));',
  ].join('\n');
  const r = await runWindowsNode({ args: ['--input-type=module', '-e', code], cwd: REPO_ROOT, timeoutMs: 3 * 60_000, log });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let info;
  try {
    info = JSON.parse(line);
  } catch {
    throw new Error(`node.exe preflight failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stdout}${r.stderr}`);
  }
  if (info.platform !== 'win32' || !info.pidMatches) throw new Error(`node.exe preflight: unexpected ${line}`);
  log(`node.exe ${info.node} ${info.platform}-${info.arch} under Wine, koffi ${info.koffi} loaded (kernel32 call ok)`);
}

function indent(text, prefix = '  | ') {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/**
 * Runs one node:test script under node.exe; returns its counts and, when it did not pass, why.
 * `label` names it in the output (`win32 <label>: ...`), `logName` its TAP and stdio logs.
 */
async function runNodeTests({ label, heading, script, scriptArgs = [], logName, timeoutMs, timeoutScale, env = {} }) {
  const tapFile = join(LOG_DIR, `${logName}.tap`);
  rmSync(tapFile, { force: true });
  const started = Date.now();
  const r = await runWindowsNode({
    args: [
      // Exit once the tests are done even if a failed test leaked a handle (a listener it never got
      // to close): like Vitest tearing down its workers, so a failure is reported, not a hang.
      '--test-force-exit',
      // TAP to a file for the counts, spec to stdout for people.
      '--test-reporter=tap',
      `--test-reporter-destination=${toWindowsPath(tapFile)}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      toWindowsPath(script),
      ...scriptArgs,
    ],
    cwd: REPO_ROOT,
    timeoutMs,
    env: { IPCKIT_TIMEOUT_SCALE: String(timeoutScale), ...env },
    logName,
    log,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  const { complete, summary, finished, failures } = parseTap(tap);
  const result = {
    label,
    tests: summary.tests ?? 0,
    pass: summary.pass ?? 0,
    // A test that hit its timeout is counted as cancelled by node:test: it failed.
    fail: (summary.fail ?? 0) + (summary.cancelled ?? 0),
    skipped: (summary.skipped ?? 0) + (summary.todo ?? 0),
    problems: [],
  };
  const sofar = `${finished.pass} passed and ${finished.fail} failed before that`;
  if (r.timedOut) result.problems.push(`node.exe hung: killed after ${Math.round(timeoutMs / 1000)} s (${sofar})`);
  else if (!complete) result.problems.push(`node.exe ended (exit ${r.code ?? r.signal}) without a TAP summary: crashed? (${sofar})`);
  else if (result.tests === 0) result.problems.push('the suite ran 0 tests');
  else if (r.code !== 0 && result.fail === 0) result.problems.push(`node.exe exited with ${r.code ?? r.signal} although no test failed`);

  console.log(`\n=== win32 ${heading} — ${seconds} s, exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}`);
  if (r.stdout.trim()) console.log(indent(r.stdout));
  if (r.stderr.trim()) console.log(`  stderr:\n${indent(r.stderr)}`);
  for (const name of failures) console.log(`  FAILED ${name}`);
  for (const p of result.problems) console.log(`  PROBLEM ${p}`);
  return result;
}

/** Runs one transport's conformance suite (`env` for the Windows node.exe, e.g. IPCKIT_NATS_SERVER). */
function runTransport(pkg, { timeoutMs, timeoutScale, env = {} }) {
  return runNodeTests({
    label: pkg.dir,
    heading: `${pkg.dir} (${pkg.name})`,
    script: join(REPO_ROOT, 'tools', 'windows', 'run-conformance.mjs'),
    scriptArgs: [pkg.name],
    logName: pkg.dir,
    timeoutMs,
    timeoutScale,
    env,
  });
}

/** The package's own Windows tests: packages/<pkg>/test/win32/*.test.mjs; null when it has no such folder. */
function packageTestFiles(pkg) {
  const dir = join(pkg.root, 'test', 'win32');
  if (!existsSync(dir)) return null;
  return {
    dir,
    files: readdirSync(dir)
      .filter((f) => f.endsWith('.test.mjs'))
      .sort(),
  };
}

/**
 * Cross-compiles the C programs the package's Windows tests use, listed in test/win32/native.json
 * as { "<program>": "<source, relative to test/win32>" }, into .cache/windows/native/<pkg>/<program>.exe
 * (rebuilt when the source is newer). Returns that folder, or undefined when nothing is listed.
 */
function buildNativePrograms(pkg, testDir) {
  const manifest = join(testDir, 'native.json');
  if (!existsSync(manifest)) return undefined;
  const programs = JSON.parse(readFileSync(manifest, 'utf8'));
  const outDir = join(NATIVE_DIR, pkg.dir);
  mkdirSync(outDir, { recursive: true });
  for (const [program, relative] of Object.entries(programs)) {
    const source = join(testDir, relative);
    const exe = join(outDir, `${program}.exe`);
    if (existsSync(exe) && statSync(exe).mtimeMs >= statSync(source).mtimeMs) continue;
    log(`compiling ${relative} -> ${exe}`);
    // -static: no libgcc/libwinpthread DLLs to find at run time.
    const cc = spawnSync(MINGW_CC, ['-O2', '-Wall', '-static', '-o', exe, source], { encoding: 'utf8' });
    if (cc.status !== 0) {
      rmSync(exe, { force: true });
      throw new Error(`${MINGW_CC} ${source} failed (${cc.error?.message ?? cc.status}):\n${cc.stderr}`);
    }
  }
  return outDir;
}

/**
 * Runs the package's Windows tests, one node.exe per file, and sums them into one result labelled
 * `<pkg> (package tests)`. Returns null when the package has no test/win32 folder; a folder with no
 * test files, a program that does not compile, a crash or a hang is a failure.
 */
async function runPackageTests(pkg, { deadline, timeoutMs, timeoutScale }) {
  const found = packageTestFiles(pkg);
  if (!found) return null;
  const label = `${pkg.dir} (package tests)`;
  const total = { label, tests: 0, pass: 0, fail: 0, skipped: 0, problems: [] };
  if (found.files.length === 0) {
    console.log(`\n=== win32 ${label}: no *.test.mjs in ${found.dir}`);
    total.problems.push(`no *.test.mjs in packages/${pkg.dir}/test/win32`);
    return total;
  }
  let nativeDir;
  try {
    nativeDir = buildNativePrograms(pkg, found.dir);
  } catch (error) {
    console.log(`\n=== win32 ${label}: ${error.message}`);
    total.problems.push('native test programs do not compile');
    return total;
  }
  const server = pkg.project.natsServer ? await startNatsServer() : undefined;
  try {
    for (const file of found.files) {
      const left = deadline - Date.now();
      if (left < 60_000) {
        total.problems.push(`${file} not run: the lane ran out of time`);
        continue;
      }
      const r = await runNodeTests({
        label,
        heading: `${pkg.dir} (package tests: test/win32/${file})`,
        script: join(found.dir, file),
        logName: `${pkg.dir}.win32-${file.replace(/\.test\.mjs$/, '')}`,
        timeoutMs: Math.min(timeoutMs, left),
        timeoutScale,
        env: {
          ...(nativeDir ? { IPCKIT_NATIVE_DIR: toWindowsPath(nativeDir) } : {}),
          ...(server ? { IPCKIT_NATS_SERVER: `127.0.0.1:${server.port}` } : {}),
        },
      });
      total.tests += r.tests;
      total.pass += r.pass;
      total.fail += r.fail;
      total.skipped += r.skipped;
      total.problems.push(...r.problems.map((p) => `${file}: ${p}`));
      if (r.problems.length) killWineserver();
    }
  } finally {
    await server?.stop();
  }
  return total;
}

async function main() {
  const { values } = parseArgs({
    options: {
      'no-build': { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      'timeout-scale': { type: 'string', default: '2' },
      'transport-timeout-min': { type: 'string', default: '15' },
      'package-timeout-min': { type: 'string', default: '8' },
    },
  });
  const laneStarted = Date.now();
  const timeoutScale = Number(values['timeout-scale']);
  const transportTimeoutMs = Number(values['transport-timeout-min']) * 60_000;
  const packageTimeoutMs = Number(values['package-timeout-min']) * 60_000;
  const only = values.only?.flatMap((s) => s.split(',')).filter(Boolean);
  if (only) {
    const unknown = only.filter((t) => !SHORT_NAMES.includes(t));
    if (unknown.length) throw new Error(`unknown project ${unknown.join(', ')} (known: ${SHORT_NAMES.join(', ')})`);
  }

  // Both in one apt call when missing: Wine for this lane, mingw for @ipckit/native's win32 build.
  const installed = ensureToolchain({ wine: true, mingw: true, log });
  if (installed.length) log(`installed ${installed.join(', ')}`);

  let packages = PROJECTS.filter((p) => !only || only.includes(basename(p.dir)))
    .map(packageInfo)
    .filter(Boolean);
  if (packages.length === 0) throw new Error(`no project found (${(only ?? SHORT_NAMES).join(', ')})`);
  // Each transport is built on its own, so one that does not build (its dist would be stale) is
  // reported and skipped while the others still run.
  const buildFailed = new Set();
  if (!values['no-build']) {
    if (!build('@ipckit/core')) throw new Error('@ipckit/core does not build');
    // A project without tsconfig.lib.json has no build target (plain JavaScript, or nothing yet).
    for (const pkg of packages) if (existsSync(join(pkg.root, 'tsconfig.lib.json')) && !build(pkg.name)) buildFailed.add(pkg.dir);
    packages = packages.map((p) => packageInfo(p.project));
  }
  if (!existsSync(join(REPO_ROOT, 'packages', 'core', 'dist', 'testing', 'index.js'))) {
    throw new Error('packages/core/dist/testing/index.js is missing: build @ipckit/core');
  }

  prepareWindows({ log });
  await preflight();

  const results = [];
  for (const pkg of packages) {
    if (buildFailed.has(pkg.dir)) {
      console.log(`\n=== win32 ${pkg.dir}: does not build (see the Nx output above)`);
      results.push({ label: pkg.dir, tests: 0, pass: 0, fail: 0, skipped: 0, problems: ['build failed'] });
      continue;
    }
    if (!pkg.built) {
      console.log(`\n=== win32 ${pkg.dir}: packages/${pkg.dir}/dist/testing.js is missing (not built, or no ./testing entry)`);
      results.push({ label: pkg.dir, tests: 0, pass: 0, fail: 0, skipped: 0, problems: ['not built: no dist/testing.js'] });
      continue;
    }
    const left = LANE_BUDGET_MS - (Date.now() - laneStarted);
    if (left < 60_000) {
      results.push({ label: pkg.dir, tests: 0, pass: 0, fail: 0, skipped: 0, problems: ['not run: the lane ran out of time'] });
      continue;
    }
    if (pkg.conformance) {
      // nats:// needs a server: one of its own for the suite, on a free port, stopped after it.
      const server = pkg.project.natsServer ? await startNatsServer() : undefined;
      let result;
      try {
        const env = server ? { IPCKIT_NATS_SERVER: `127.0.0.1:${server.port}` } : {};
        result = await runTransport(pkg, { timeoutMs: Math.min(transportTimeoutMs, left), timeoutScale, env });
      } finally {
        await server?.stop();
      }
      results.push(result);
      // After a crash, leftover peers must not disturb the next suite (a hang already killed them all).
      // Otherwise leave the wineserver alone: other runWindowsNode users may share the prefix.
      if (result.problems.length) killWineserver();
    }
    // Then the package's own Windows tests (test/win32/*.test.mjs), as a line of their own.
    const own = await runPackageTests(pkg, { deadline: laneStarted + LANE_BUDGET_MS, timeoutMs: packageTimeoutMs, timeoutScale });
    if (own) results.push(own);
  }

  console.log('');
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    const extra = [r.skipped ? `${r.skipped} skipped` : '', ...r.problems].filter(Boolean).join('; ');
    console.log(`win32 ${r.label}: ${r.pass} passed, ${r.fail} failed (${r.tests} tests)${extra ? `; ${extra}` : ''}`);
    passed += r.pass;
    // A suite (or test file) that crashed, hung or ran nothing counts as (at least) one failure.
    failed += r.problems.length ? Math.max(r.fail, r.problems.length) : r.fail;
  }
  console.log(`lane took ${((Date.now() - laneStarted) / 60_000).toFixed(1)} min; logs in ${LOG_DIR}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = () => {
    killWineserver();
    if (existsSync(LOCK_FILE) && readFileSync(LOCK_FILE, 'utf8').trim() === String(process.pid)) rmSync(LOCK_FILE, { force: true });
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let code = 1;
  const release = await takeLaneLock();
  try {
    code = await main();
  } catch (err) {
    console.error(`windows lane: ${err instanceof Error ? err.message : err}`);
    console.log('0 passed, 1 failed');
  } finally {
    killWineserver();
    release();
  }
  process.exit(code);
}
