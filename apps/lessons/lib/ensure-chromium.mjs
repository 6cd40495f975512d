// Makes sure Debian's chromium is installed, and a font with Chinese glyphs: the site test
// (test/site.test.ts) opens every page of the lessons' static site in it, headless, through
// playwright-core, which never downloads a browser of its own, and the Chinese pages must not render
// as empty boxes. Installs what is missing through apt (one `apt-get update`, then one
// `apt-get install`), as tools/windows/ensure-toolchain.mjs does for Wine and mingw: CI starts from a
// clean machine.
//
//   node apps/lessons/lib/ensure-chromium.mjs        or   import { ensureChromium } from './ensure-chromium.mjs'
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';
/** A small font with the CJK glyphs the Chinese pages need (Debian's fonts-wqy-microhei). */
export const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const PACKAGES = [
  { file: CHROMIUM, pkg: 'chromium' },
  { file: CJK_FONT, pkg: 'fonts-wqy-microhei' },
];

/**
 * The flags the site test starts chromium with: headless, as root (no sandbox), no GPU, and nothing that
 * would reach for the network (the machine may have none). A fresh --user-data-dir is added per run.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function run(cmd, args, log) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/**
 * Installs chromium and the CJK font when missing; returns the packages it installed (none when both
 * were there). Throws when it cannot (not a Debian-like Linux, or not root and no sudo).
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {string[]}
 */
export function ensureChromium({ log = (line) => console.error(line) } = {}) {
  const missing = PACKAGES.filter((p) => !existsSync(p.file)).map((p) => p.pkg);
  if (missing.length === 0) return [];
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`missing ${missing.join(', ')}, and this is not a Debian-like Linux with apt-get: install them by hand`);
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : existsSync('/usr/bin/sudo') ? ['sudo', '-E'] : null;
  if (sudo === null)
    throw new Error(`missing ${missing.join(', ')}: run as root: apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  const apt = (args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), 'apt-get', ...args], log) : run('apt-get', args, log));
  log(`installing ${missing.join(', ')} (Debian packages) for the lessons site test`);
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...missing]);
  const still = PACKAGES.filter((p) => !existsSync(p.file));
  if (still.length) throw new Error(`installed ${missing.join(', ')} but still missing: ${still.map((p) => p.file).join(', ')}`);
  return missing;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const installed = ensureChromium();
    console.error(installed.length ? `installed ${installed.join(' ')}` : 'chromium and the CJK font are already present');
  } catch (error) {
    console.error(`ensure-chromium: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
