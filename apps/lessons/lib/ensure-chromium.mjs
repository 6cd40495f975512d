// The browser the site test opens the lessons' pages in: tools/chromium.mjs, shared with the bench's
// report test.
//
//   node apps/lessons/lib/ensure-chromium.mjs        or   import { ensureChromium } from './ensure-chromium.mjs'
import { pathToFileURL } from 'node:url';
import { ensureChromium } from '../../../tools/chromium.mjs';

export { CHROMIUM, CHROMIUM_ARGS, CJK_FONT, ensureChromium } from '../../../tools/chromium.mjs';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const installed = ensureChromium();
  console.error(installed.length ? `installed ${installed.join(' ')}` : 'chromium and the CJK font are already present');
}
