#!/usr/bin/env node
// The release set: every published package packed (`npm pack`) into one folder, after checking that
// they agree: one version for all, and every @ipckit/* dependency (and `ipckit`'s) naming exactly
// the version packed beside it. Until the packages are on the registry this is how a program gets
// them: install every tarball in one command, so npm finds each package's @ipckit dependencies
// among them (installing only the three a program imports fails on @ipckit/native).
//
//   npm run build && node tools/pack/release.mjs [FOLDER]        (default: release/, git-ignored)
//   cd my-app && npm install /path/to/ipckit/release/*.tgz
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PUBLISHED, REPO_ROOT, manifestOf, pack } from './packages.mjs';

/**
 * Checks that the packages in `dirs` agree on one version and depend on each other at exactly it;
 * returns the problems found (none: an empty list).
 * @param {string[]} dirs
 * @returns {string[]}
 */
export function releaseProblems(dirs = PUBLISHED) {
  const manifests = dirs.map((dir) => ({ dir, ...manifestOf(dir) }));
  const versions = new Map(manifests.map((m) => [m.name, m.version]));
  const problems = [];
  const all = new Set(manifests.map((m) => m.version));
  if (all.size !== 1) problems.push(`the packages have different versions: ${manifests.map((m) => `${m.name}@${m.version}`).join(', ')}`);
  for (const m of manifests) {
    if (m.private) problems.push(`${m.dir} is private`);
    for (const [name, range] of Object.entries(m.dependencies ?? {})) {
      if (!versions.has(name) && name.startsWith('@ipckit/')) problems.push(`${m.name} depends on ${name}, which is not published`);
      if (versions.has(name) && range !== versions.get(name)) problems.push(`${m.name} depends on ${name}@${range}, but ${versions.get(name)} is packed`);
    }
  }
  return problems;
}

/**
 * Packs every published package into `folder` (emptied first); returns the tarballs.
 * @param {string} folder
 * @returns {{ name: string, version: string, tarball: string }[]}
 */
export function release(folder) {
  const problems = releaseProblems();
  if (problems.length) throw new Error(`the release set does not agree:\n  ${problems.join('\n  ')}`);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  return PUBLISHED.map((dir) => {
    const { name, version, tarball } = pack(dir, folder);
    return { name, version, tarball };
  });
}

/**
 * The tarballs a program needs for `ipckit` (the everything package): it and every @ipckit package
 * it depends on, directly or not. The bench (and zeromq with it) is not among them.
 * @param {{ name: string, tarball: string }[]} packed
 * @returns {string[]}
 */
export function everydaySet(packed) {
  const byName = new Map(PUBLISHED.map((dir) => [manifestOf(dir).name, manifestOf(dir)]));
  const wanted = new Set();
  const visit = (name) => {
    if (wanted.has(name) || !byName.has(name)) return;
    wanted.add(name);
    for (const dep of Object.keys(byName.get(name).dependencies ?? {})) visit(dep);
  };
  visit('ipckit');
  return packed.filter((p) => wanted.has(p.name)).map((p) => p.tarball);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const folder = resolve(process.env.INIT_CWD ?? process.cwd(), process.argv[2] ?? join(REPO_ROOT, 'release'));
  try {
    const packed = release(folder);
    for (const p of packed) console.log(`${p.name}@${p.version}  ${p.tarball}`);
    console.log(`\n${packed.length} tarballs in ${folder}. In your project, ipckit (the command, every transport, sync):`);
    console.log(`  npm install ${everydaySet(packed).join(' ')}`);
    console.log(
      `or every package, the bench too:\n  npm install ${readdirSync(folder)
        .map((f) => join(folder, f))
        .join(' ')}`,
    );
  } catch (error) {
    console.error(`release: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
