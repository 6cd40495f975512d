// Makes sure the Debian packages the Windows side of the build needs are installed:
//   - wine64 (/usr/lib/wine/wine64) runs Windows Node for the Windows lane (tools/windows/lane.mjs);
//   - g++-mingw-w64-x86-64-posix cross-compiles @ipckit/native's addon for win32-x64, and its C
//     compiler the C programs the packages' Windows tests run (tools/windows/lane.mjs).
// Only missing packages are installed, in one `apt-get install` call, after one `apt-get update`.
//
// Usable as a module:
//   import { ensureToolchain } from '../../tools/windows/ensure-toolchain.mjs';
//   ensureToolchain({ wine: false, mingw: true });
// or from a shell / package script:
//   node tools/windows/ensure-toolchain.mjs [--wine] [--mingw]   (no flag = both)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The Wine loader Debian's wine64 package installs (it is not put on PATH). */
export const WINE64 = '/usr/lib/wine/wine64';
/** Debian puts wineserver next to the loader. */
export const WINESERVER = '/usr/lib/wine/wineserver';
/** The posix-threads flavour of the mingw C++ compiler (std::thread needs it). */
export const MINGW_CXX = '/usr/bin/x86_64-w64-mingw32-g++-posix';
/**
 * The mingw C compiler (what `x86_64-w64-mingw32-gcc` points to on Debian): the Windows lane builds
 * the packages' native test programs (test/win32/native.json) with it.
 */
export const MINGW_CC = '/usr/bin/x86_64-w64-mingw32-gcc-posix';
/** Makes node.exe's import library (binutils-mingw-w64-x86-64, pulled in by the compiler). */
export const MINGW_DLLTOOL = '/usr/bin/x86_64-w64-mingw32-dlltool';

/** What each component needs: a file whose presence proves it, and the package that provides it. */
const COMPONENTS = {
  wine: [{ file: WINE64, pkg: 'wine64' }],
  mingw: [
    { file: MINGW_CXX, pkg: 'g++-mingw-w64-x86-64-posix' },
    { file: MINGW_CC, pkg: 'gcc-mingw-w64-x86-64-posix' },
    { file: MINGW_DLLTOOL, pkg: 'binutils-mingw-w64-x86-64' },
  ],
};

function run(cmd, args, log) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/**
 * Installs whatever of the requested components is missing. Returns the packages it installed
 * (empty when everything was already there). Throws when installation is impossible or fails.
 * @param {{ wine?: boolean, mingw?: boolean, log?: (line: string) => void }} [options]
 * @returns {string[]}
 */
export function ensureToolchain({ wine = true, mingw = true, log = (l) => console.error(l) } = {}) {
  const wanted = [...(wine ? COMPONENTS.wine : []), ...(mingw ? COMPONENTS.mingw : [])];
  const missing = [...new Set(wanted.filter((c) => !existsSync(c.file)).map((c) => c.pkg))];
  if (missing.length === 0) return [];
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`missing ${missing.join(', ')}, and this is not a Debian-like Linux with apt-get: install them by hand`);
  }
  // Root runs apt-get directly; anyone else goes through sudo when there is one.
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : existsSync('/usr/bin/sudo') ? ['sudo', '-E'] : null;
  if (sudo === null) {
    throw new Error(`missing ${missing.join(', ')}: run as root: apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  }
  const apt = (args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), 'apt-get', ...args], log) : run('apt-get', args, log));
  log(`installing ${missing.join(', ')}`);
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...missing]);
  const still = wanted.filter((c) => !existsSync(c.file));
  if (still.length) throw new Error(`installed ${missing.join(', ')} but still missing: ${still.map((c) => c.file).join(', ')}`);
  return missing;
}

/** Wine only (the Windows lane). */
export const ensureWine = (options = {}) => ensureToolchain({ ...options, wine: true, mingw: false });
/** The mingw cross compiler only (@ipckit/native's win32-x64 build). */
export const ensureMingw = (options = {}) => ensureToolchain({ ...options, wine: false, mingw: true });

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flags = process.argv.slice(2);
  const both = !flags.includes('--wine') && !flags.includes('--mingw');
  try {
    const installed = ensureToolchain({ wine: both || flags.includes('--wine'), mingw: both || flags.includes('--mingw') });
    console.error(installed.length ? `installed: ${installed.join(' ')}` : 'toolchain already present');
  } catch (err) {
    console.error(`ensure-toolchain: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
