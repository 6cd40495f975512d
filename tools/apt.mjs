// Installs the Debian packages a build or test lane needs, only those missing, in one
// `apt-get install` after one `apt-get update` (the pattern of tools/windows/ensure-toolchain.mjs,
// for any list). Used by @ipckit/native's prebuild script and the arm64 lane.
//
//   import { ensurePackages } from '../../tools/apt.mjs';
//   ensurePackages([{ file: '/usr/bin/qemu-aarch64', pkg: 'qemu-user' }], { log });
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function run(cmd, args, log) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/**
 * Makes sure each `{ file, pkg }` is there: installs the packages whose file is missing (as root,
 * or through sudo). Returns the packages it installed; throws when it cannot install them, saying
 * what to run.
 * @param {{ file: string, pkg: string }[]} wanted
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {string[]}
 */
export function ensurePackages(wanted, { log = (line) => console.error(line) } = {}) {
  const missing = [...new Set(wanted.filter((w) => !existsSync(w.file)).map((w) => w.pkg))];
  if (missing.length === 0) return [];
  const hint = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`missing ${missing.join(', ')}, and this is not a Debian-like Linux with apt-get: install the equivalent by hand`);
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : existsSync('/usr/bin/sudo') ? ['sudo', '-E'] : null;
  if (sudo === null) throw new Error(`missing ${missing.join(', ')}: as root, run ${hint}`);
  const apt = (args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), 'apt-get', ...args], log) : run('apt-get', args, log));
  log(`installing ${missing.join(', ')}`);
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...missing]);
  const still = wanted.filter((w) => !existsSync(w.file));
  if (still.length) throw new Error(`installed ${missing.join(', ')} but still missing: ${still.map((w) => w.file).join(', ')}`);
  return missing;
}
