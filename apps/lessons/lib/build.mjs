// Builds what the lessons run before they run it, so that `npm run lesson -- 1` works from a fresh
// clone after `npm install`: the lessons' TypeScript programs and, through Nx's dependsOn, every
// ipckit package they import (and the native addon). Its output is shown only when the build fails.
//
// Nx takes several seconds even when its cache answers everything, so the build is skipped when it
// cannot have anything to do: a stamp written after the last successful build is newer than every
// source of the project and of each workspace package it depends on (src/, package.json,
// tsconfig*.json, binding.gyp), and every one of them has its dist/. Any newer source, or a missing
// stamp or dist/, runs Nx as before.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, REPO_ROOT } from './programs.mjs';

/** Every workspace package of the repository: name -> folder. */
function workspacePackages() {
  const found = new Map();
  for (const group of ['packages', 'apps']) {
    const dir = join(REPO_ROOT, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      const file = join(dir, entry, 'package.json');
      if (existsSync(file)) found.set(JSON.parse(readFileSync(file, 'utf8')).name, join(dir, entry));
    }
  }
  return found;
}

/**
 * The folders of `project` and of every workspace package it depends on, transitively.
 * @param {string} project
 * @returns {string[]}
 */
export function projectFolders(project) {
  const packages = workspacePackages();
  const folders = new Set();
  const visit = (name) => {
    const folder = packages.get(name);
    if (folder === undefined || folders.has(folder)) return;
    folders.add(folder);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) visit(dep);
  };
  visit(project);
  return [...folders];
}

/** The newest modification time (ms) of the files a build reads in `folder`. */
function newestSource(folder) {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  if (existsSync(join(folder, 'src'))) walk(join(folder, 'src'));
  for (const file of readdirSync(folder)) {
    if (file === 'package.json' || file === 'binding.gyp' || /^tsconfig.*\.json$/.test(file)) newest = Math.max(newest, statSync(join(folder, file)).mtimeMs);
  }
  return newest;
}

/** The file whose time is that of `project`'s last successful build. */
export const stampOf = (project) => join(BUILD_DIR, `built-${project.replace(/[^\w-]/g, '_')}.stamp`);

/**
 * Whether `project`'s last successful build is newer than all its sources and its dependencies'.
 * @param {string} project
 * @returns {boolean}
 */
export function isBuilt(project) {
  const stamp = stampOf(project);
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const folders = projectFolders(project);
  if (folders.length === 0) return false; // not a package name we can follow: let Nx decide
  return folders.every((folder) => !existsSync(join(folder, 'src')) || (existsSync(join(folder, 'dist')) && newestSource(folder) < built));
}

/** Builds `project` (default: the lessons) with Nx unless nothing changed; throws with Nx's output when it fails. */
export function ensureBuilt(project = '@ipckit/lessons') {
  if (isBuilt(project)) return;
  const nx = join(REPO_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'nx.cmd' : 'nx');
  if (!existsSync(nx)) throw new Error(`${nx} is missing: run \`npm install\` at the repository root first`);
  process.stderr.write(`building ${project} and what it uses (nx run ${project}:build)...\n`);
  // The stamp's time is when the build started: a source saved during the build is newer than it.
  const started = Date.now();
  const r = spawnSync(nx, ['run', `${project}:build`, '--outputStyle=static', '--skipSync'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) throw new Error(`the build failed:\n${r.stdout}${r.stderr}`);
  markBuilt(project, started);
}

/** Records that `project` was built from the sources as they were at `time` (ms). */
export function markBuilt(project, time) {
  mkdirSync(BUILD_DIR, { recursive: true });
  writeFileSync(stampOf(project), `${new Date(time).toISOString()}\n`);
  utimesSync(stampOf(project), time / 1000, time / 1000);
}
