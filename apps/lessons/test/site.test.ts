/**
 * `npm run lessons:html` builds the site, and every page of it opens in a real browser (Debian's
 * chromium, headless, driven by playwright-core): it renders, every image loads, every link resolves
 * (pages, files, anchors; the manuals' sites are checked by form, the network may be closed), nothing
 * is logged as an error, and each page is photographed (build/screenshots/*.png) for a person to look at.
 */
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PHONE_WIDTH, browse } from '../lib/browse.mjs';
import { LESSONS } from '../lib/lessons/index.mjs';
import { LANGS } from '../lib/runner.mjs';
import { SITE_DIR, buildSite } from '../lib/site.mjs';

describe.runIf(process.platform === 'linux')('the static site', () => {
  it('has one page per lesson and language, each renders in chromium with its pictures, charts and links', async () => {
    const pages = await buildSite();
    // Per language: the lessons, the index and the glossary; and the one page that lists both languages.
    expect(pages.length).toBe(1 + LANGS.length * (LESSONS.length + 2));
    const pictures = ['pictures', 'bench'].flatMap((dir) =>
      readdirSync(join(SITE_DIR, dir))
        .filter((f) => f.endsWith('.svg'))
        .map((f) => `${dir}/${f}`),
    );
    const reports = await browse(pages, { pictures });
    // Every label of every picture and chart, in both languages, stays inside its box.
    expect(pictures.length).toBeGreaterThan(10);
    expect(reports.pictureProblems).toEqual([]);
    expect(reports.map((r) => r.page)).toEqual(pages);
    for (const r of reports) {
      expect(r.status, r.page).toBe(200);
      expect(r.title, r.page).not.toBe('');
      expect(r.h1.length, r.page).toBeGreaterThan(0);
      expect(r.brokenImages, r.page).toEqual([]);
      expect(r.brokenLinks, r.page).toEqual([]);
      expect(r.badExternal, r.page).toEqual([]);
      expect(r.consoleErrors, r.page).toEqual([]);
      expect(statSync(r.screenshot).size, r.page).toBeGreaterThan(10_000);
      expect(r.phone.pageWidth, `${r.page} at ${String(PHONE_WIDTH)} px: the page scrolls sideways`).toBeLessThanOrEqual(PHONE_WIDTH);
      expect(r.phone.narrowCells, `${r.page} at ${String(PHONE_WIDTH)} px: squeezed table columns`).toEqual([]);
      expect(r.phone.unscrolled, `${r.page}: long lines that neither wrap nor scroll`).toEqual([]);
      if (/\/0\d-/.test(r.page)) {
        // Every lesson: a table of contents, highlighted code, and the lessons before and after it.
        expect(r.toc.length, `${r.page}: table of contents`).toBeGreaterThan(3);
        expect(r.highlighted, `${r.page}: highlighted code`).toBeGreaterThan(20);
        const n = Number(/\/0(\d)-/.exec(r.page)?.[1]);
        const at = LESSONS.findIndex((l) => l.number === n);
        expect(r.previous === null, `${r.page}: a previous link`).toBe(at === 0);
        expect(r.next === null, `${r.page}: a next link`).toBe(at === LESSONS.length - 1);
        expect(r.textLength, r.page).toBeGreaterThan(5000);
        expect(r.images.length, `${r.page}: the lesson's pictures`).toBeGreaterThan(0);
      }
      if (r.page.includes('05-choosing')) expect(r.images.filter((i) => i.src.includes('/bench/chart-')).length, r.page).toBeGreaterThanOrEqual(4);
    }
  }, 300_000);
});
