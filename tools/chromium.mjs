// Debian's chromium, headless, for the tests that check a page as a browser renders it: the
// lessons' site (apps/lessons/test/site.test.ts) and the bench's HTML report
// (apps/bench/test/report.test.ts). They drive it through playwright-core, which never downloads a
// browser of its own. Installs what is missing through tools/apt.mjs (one `apt-get update`, then one
// `apt-get install`): CI starts from a clean machine.
//
//   node tools/chromium.mjs        or   import { ensureChromium, CHROMIUM, CHROMIUM_ARGS } from '../../tools/chromium.mjs'
import { pathToFileURL } from 'node:url';
import { ensurePackages } from './apt.mjs';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';
/** A small font with the CJK glyphs the lessons' Chinese pages need (Debian's fonts-wqy-microhei). */
export const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

/**
 * The flags chromium starts with: headless, as root (no sandbox), no GPU, and nothing that would
 * reach for the network (the machine may have none). A fresh --user-data-dir is added per run.
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

/**
 * Installs chromium and the CJK font when missing; returns the packages it installed (none when both
 * were there). Throws when it cannot (not a Debian-like Linux, or not root and no sudo).
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {string[]}
 */
export function ensureChromium(options = {}) {
  return ensurePackages(
    [
      { file: CHROMIUM, pkg: 'chromium' },
      { file: CJK_FONT, pkg: 'fonts-wqy-microhei' },
    ],
    options,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const installed = ensureChromium();
    console.error(installed.length ? `installed ${installed.join(' ')}` : 'chromium and the CJK font are already present');
  } catch (error) {
    console.error(`chromium: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
