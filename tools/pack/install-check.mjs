#!/usr/bin/env node
// Installable without a compiler: packs every published package (`npm pack`), installs the
// tarballs into a scratch project with a PATH that holds node, npm and sh and no C or C++ compiler
// (no cc, gcc, g++, c++, clang, make, python3), and runs smoke.mjs there: shm://, a region, a
// waiter, a sync Mutex, pipe://, tcp://, require(esm), and the `ipckit` command. Then it takes
// the prebuild away and checks that the first call fails with ENOTSUP before creating anything.
// Run by .ci/run, after the packages are built.
//
//   node tools/pack/install-check.mjs [--keep]      (--keep: leave the scratch project, print where)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUBLISHED, manifestOf, pack } from './packages.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const keep = process.argv.includes('--keep');
const log = (line) => console.log(`[install-check] ${line}`);
const started = Date.now();

function fail(message) {
  console.error(`[install-check] FAILED: ${message}`);
  process.exit(1);
}

/** A PATH of one folder holding node, npm, npx and sh (npm runs scripts through it), and nothing that compiles. */
function compilerFreePath(root) {
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const nodeDir = dirname(process.execPath);
  for (const tool of ['node', 'npm', 'npx']) {
    const target = join(nodeDir, tool);
    if (!existsSync(target)) fail(`${target} not found (npm is expected beside node)`);
    symlinkSync(target, join(bin, tool));
  }
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const found = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'python3', 'python'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: bin } }).status === 0,
  );
  if (found.length) fail(`the scratch PATH still finds ${found.join(', ')}`);
  return bin;
}

function run(cmd, args, options) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

const work = mkdtempSync(join(tmpdir(), 'ipckit-install-check-'));
try {
  // 1. The tarballs, as they would go to the registry.
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const packed = PUBLISHED.map((dir) => ({ dir, ...pack(dir, tarballs) }));
  log(`packed ${packed.length} packages: ${packed.map((p) => `${p.name}@${p.version}`).join(', ')}`);

  // 2. A scratch project that depends on all of them. `overrides` makes the packages' own
  //    dependencies on each other resolve to the tarballs too, never to the registry.
  const project = join(work, 'project');
  mkdirSync(project);
  const deps = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  writeFileSync(
    join(project, 'package.json'),
    // npm 11 runs a dependency's install script only when allowScripts lists it: @ipckit/native's
    // may run (it finds the prebuild and builds nothing); koffi's and zeromq's stay off, as in the
    // repository (both load their prebuilt binaries without them).
    JSON.stringify(
      {
        name: 'ipckit-scratch',
        version: '0.0.0',
        private: true,
        type: 'module',
        dependencies: deps,
        overrides: deps,
        allowScripts: { '@ipckit/native': true },
      },
      null,
      2,
    ),
  );
  copyFileSync(join(HERE, 'smoke.mjs'), join(project, 'smoke.mjs'));
  const bin = compilerFreePath(work);
  const env = {
    PATH: bin,
    HOME: process.env.HOME ?? work,
    // The user's npm cache, so packages already fetched are not fetched again.
    npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, '.npm'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...(process.env.XDG_RUNTIME_DIR ? { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR } : {}),
  };

  // 3. Install.
  log(`npm install in ${project} with PATH=${bin} (node, npm, npx, sh; no compiler)`);
  const npmVersion = run('npm', ['--version'], { cwd: project, env }).stdout.trim();
  const install = run('npm', ['install', '--prefer-offline', '--no-package-lock', '--foreground-scripts'], { cwd: project, env });
  if (install.code !== 0) fail(`npm install failed:\n${install.stdout}\n${install.stderr}`);
  if (!/@ipckit\/native: using the prebuild/.test(install.stdout + install.stderr))
    log("note: @ipckit/native's install script did not run (npm blocked it); the loader needs none");
  const native = join(project, 'node_modules', '@ipckit', 'native');
  if (existsSync(join(native, 'build'))) fail('@ipckit/native was built from source: a prebuild should have served');
  log(`installed with npm ${npmVersion}; node_modules/@ipckit/native has no build/ (nothing compiled)`);

  // 4. The smoke program.
  const smoke = run('node', ['smoke.mjs'], { cwd: project, env, timeout: 120_000 });
  process.stdout.write(`${smoke.stdout.trimEnd().replace(/^/gm, '  ')}\n`);
  if (smoke.code !== 0 || !/"ok":true/.test(smoke.stdout)) fail(`smoke.mjs failed (exit ${smoke.code}):\n${smoke.stderr}`);

  // 5. The command, as a user of the package runs it.
  const help = run('npx', ['--no-install', 'ipckit', '--help'], { cwd: project, env });
  if (help.code !== 0 || !/Usage: ipckit/.test(help.stdout)) fail(`npx ipckit --help failed:\n${help.stdout}${help.stderr}`);
  const ls = run('npx', ['--no-install', 'ipckit', 'ls', '--json', 'ipckit-smoke-*'], { cwd: project, env });
  if (ls.code !== 0) fail(`npx ipckit ls failed:\n${ls.stderr}`);
  const benchHelp = run('npx', ['--no-install', 'ipckit', 'bench', '--help'], { cwd: project, env });
  if (benchHelp.code !== 0 || !/ipckit-bench compare/.test(benchHelp.stdout)) fail(`npx ipckit bench --help failed:\n${benchHelp.stderr}`);
  log('npx ipckit --help, ipckit ls, ipckit bench --help: ok');

  // 6. No addon for this platform (as on macOS, musl, or a CPU without a prebuild).
  const prebuild = join(native, 'prebuilds', `${process.platform}-${process.arch}`);
  renameSync(prebuild, `${prebuild}.away`);
  try {
    const bare = run('node', ['smoke.mjs', 'no-addon'], { cwd: project, env, timeout: 60_000 });
    process.stdout.write(`${bare.stdout.trimEnd().replace(/^/gm, '  ')}\n`);
    if (bare.code !== 0 || !/"ok":true/.test(bare.stdout)) fail(`without the addon (exit ${bare.code}):\n${bare.stderr}`);
  } finally {
    renameSync(`${prebuild}.away`, prebuild);
  }
  const versions = readdirSync(join(project, 'node_modules', '@ipckit')).length;
  log(`passed: ${versions} @ipckit packages and ipckit installed without a compiler, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} finally {
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

// Every package is in the check.
for (const dir of PUBLISHED) if (!manifestOf(dir).name) fail(`${dir} has no name`);
