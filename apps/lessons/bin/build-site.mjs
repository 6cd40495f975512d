#!/usr/bin/env node
// `npm run lessons:html`: builds the lessons as a static site in apps/lessons/build/site/ (one page per
// lesson and language, the pictures, the bench charts and report). Builds the packages it needs first
// (the bench's chart code), unless --no-build.
import { ensureBuilt } from '../lib/build.mjs';
import { SITE_DIR, buildSite } from '../lib/site.mjs';

try {
  if (!process.argv.includes('--no-build')) ensureBuilt('@ipckit/bench');
  const pages = await buildSite();
  console.log(`${pages.length} pages in ${SITE_DIR}; open ${SITE_DIR}/index.html`);
} catch (error) {
  console.error(`lessons:html: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
