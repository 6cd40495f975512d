// Opens every page of the built site in a real browser (Debian's chromium, headless, driven by
// playwright-core, which downloads nothing) over a local HTTP server, and reports for each page: did it
// render (a title, a heading, text), which images failed to load, which links do not resolve (a page
// or file of the site that is missing, or an #anchor with no element of that id), which external
// links are not https to a known manual site, what the console said, and a full-page screenshot.
//
//   node apps/lessons/lib/browse.mjs        (after npm run lessons:html) prints the report
/* global document, getComputedStyle */
import { createReadStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from './ensure-chromium.mjs';
import { BUILD_DIR } from './programs.mjs';
import { SITE_DIR } from './site.mjs';

/**
 * Hosts the lessons may link to: the OS manuals. The network may be closed, so these are checked by form.
 * @type {string[]}
 */
/** The width of a phone the site must work on (an iPhone 12 to 15 in CSS pixels). */
export const PHONE_WIDTH = 390;

export const EXTERNAL_HOSTS = ['learn.microsoft.com', 'man7.org', 'pubs.opengroup.org'];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/** A static server for `root` on 127.0.0.1 and a free port; resolves with { url, close }. */
export function serve(root) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'text/plain; charset=utf-8' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/**
 * Opens each picture (an SVG file of the site) in `page` and returns the labels that do not fit: a
 * label whose start lies in a box (the smallest rect around it) must end inside that box; any other
 * label inside the picture. Measured by the browser with the fonts it has, after they load.
 * @param {import('playwright-core').Page} page
 * @param {string[]} urls
 * @returns {Promise<string[]>}
 */
export async function pictureOverflows(page, urls) {
  const problems = [];
  for (const url of urls) {
    await page.goto(url, { waitUntil: 'load' });
    const found = await page.evaluate(async () => {
      await document.fonts.ready;
      const svg = document.documentElement;
      const view = svg.viewBox.baseVal;
      const rects = [...svg.querySelectorAll('rect')].filter((r) => r.getAttribute('width') !== '100%').map((r) => r.getBBox());
      const out = [];
      for (const text of svg.querySelectorAll('text')) {
        // The label's box in the picture's coordinates (axis titles are rotated).
        const local = text.getBBox();
        const m = text.transform.baseVal.consolidate()?.matrix ?? svg.createSVGMatrix();
        const corners = [
          [local.x, local.y],
          [local.x + local.width, local.y],
          [local.x, local.y + local.height],
          [local.x + local.width, local.y + local.height],
        ].map(([px, py]) => [m.a * px + m.c * py + m.e, m.b * px + m.d * py + m.f]);
        const left = Math.min(...corners.map((c) => c[0]));
        const box = { x: left, width: Math.max(...corners.map((c) => c[0])) - left };
        const ax = text.x.baseVal[0]?.value ?? local.x;
        const ay = text.y.baseVal[0]?.value ?? local.y + local.height;
        const x = m.a * ax + m.c * ay + m.e;
        const y = m.b * ax + m.d * ay + m.f;
        const around = rects
          .filter((r) => x >= r.x && x <= r.x + r.width && y - 3 >= r.y && y - 3 <= r.y + r.height)
          .sort((a, b) => a.width * a.height - b.width * b.height)[0];
        const limit = around ?? { x: view.x, y: view.y, width: view.width, height: view.height };
        if (box.x < limit.x - 1 || box.x + box.width > limit.x + limit.width + 1) {
          out.push(
            `"${text.textContent}" ends at x=${Math.round(box.x + box.width)}, its ${around ? 'box' : 'picture'} at x=${Math.round(limit.x + limit.width)}`,
          );
        }
      }
      return out;
    });
    for (const f of found) problems.push(`${url.split('/').pop()}: ${f}`);
  }
  return problems;
}

/**
 * @typedef {{ page: string, status: number | undefined, title: string, h1: string, textLength: number,
 *   images: Array<{ src: string, ok: boolean }>, links: string[], brokenImages: string[], brokenLinks: string[],
 *   badExternal: string[], consoleErrors: string[], screenshot: string, toc: string[], previous: string | null, next: string | null, highlighted: number,
 *   phone: { pageWidth: number, narrowCells: string[], unscrolled: string[] } }} PageReport
 */

/**
 * Checks `pages` (paths relative to the site root) in chromium. Returns one report per page.
 * @param {string[]} pages
 * @param {{ root?: string, screenshots?: string, pictures?: string[] }} [options]  pictures: SVG files of the site whose labels must fit (pictureOverflows)
 * @returns {Promise<PageReport[] & { pictureProblems?: string[] }>}
 */
export async function browse(pages, { root = SITE_DIR, screenshots = join(BUILD_DIR, 'screenshots'), pictures = [] } = {}) {
  ensureChromium();
  rmSync(screenshots, { recursive: true, force: true });
  mkdirSync(screenshots, { recursive: true });
  const site = await serve(root);
  const profile = join(BUILD_DIR, `chromium-profile-${process.pid}`);
  rmSync(profile, { recursive: true, force: true });
  // launchPersistentContext takes the profile folder itself: a fresh --user-data-dir for every run.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS.filter((a) => a !== '--headless'),
    viewport: { width: 1100, height: 900 },
    offline: false,
  });
  const reports = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const checked = new Map(); // url without hash -> { ok, ids }
    async function resolveLink(href) {
      const url = new URL(href);
      const key = `${url.origin}${url.pathname}`;
      if (!checked.has(key)) {
        const response = await context.request.get(key);
        let ids = new Set();
        if (response.ok() && (response.headers()['content-type'] ?? '').startsWith('text/html')) {
          ids = new Set([...(await response.text()).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
        }
        checked.set(key, { ok: response.ok(), ids });
      }
      const target = checked.get(key);
      if (!target.ok) return 'missing';
      if (url.hash && !target.ids.has(decodeURIComponent(url.hash.slice(1)))) return `no element with id ${decodeURIComponent(url.hash.slice(1))}`;
      return undefined;
    }
    for (const path of pages) {
      const consoleErrors = [];
      const onConsole = (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      };
      const onError = (error) => consoleErrors.push(String(error));
      page.on('console', onConsole);
      page.on('pageerror', onError);
      const response = await page.goto(new URL(path, site.url).href, { waitUntil: 'load' });
      const info = await page.evaluate(() => ({
        toc: [...document.querySelectorAll('nav.toc a')].map((a) => a.getAttribute('href')),
        previous: document.querySelector('nav.pages a[rel=prev]')?.getAttribute('href') ?? null,
        next: document.querySelector('nav.pages a[rel=next]')?.getAttribute('href') ?? null,
        highlighted: document.querySelectorAll('figure.code pre code span[class^=hljs-]').length,
        title: document.title,
        h1: document.querySelector('h1')?.textContent ?? '',
        textLength: document.body.innerText.length,
        images: [...document.images].map((img) => ({ src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0 })),
        links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
      }));
      const brokenLinks = [];
      const badExternal = [];
      for (const href of [...new Set(info.links)]) {
        const url = new URL(href);
        if (url.origin === new URL(site.url).origin) {
          const problem = await resolveLink(href);
          if (problem) brokenLinks.push(`${href}: ${problem}`);
        } else if (url.protocol !== 'https:' || !EXTERNAL_HOSTS.includes(url.hostname)) {
          badExternal.push(href);
        }
      }
      const shot = join(screenshots, `${path.replace(/\//g, '_').replace(/\.html$/, '')}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      // On a phone (390 px wide): the page must not scroll sideways (wide code and tables scroll in
      // their own box), and no table may squeeze a column narrower than a few characters.
      await page.setViewportSize({ width: PHONE_WIDTH, height: 844 });
      const phone = await page.evaluate(() => {
        const cells = [...document.querySelectorAll('main td, main th')].filter((c) => c.textContent.trim().length > 3);
        const narrow = cells
          .filter((c) => c.getBoundingClientRect().width < 40)
          .map((c) => `${c.textContent.trim().slice(0, 30)} (${Math.round(c.getBoundingClientRect().width)} px)`);
        // Long lines wrap or scroll inside their own box.
        const unscrolled = [...document.querySelectorAll('main pre, main table')]
          .filter((el) => el.scrollWidth > el.clientWidth + 1)
          .filter((el) => !['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
          .map((el) => el.textContent.trim().slice(0, 40));
        return { pageWidth: document.documentElement.scrollWidth, narrowCells: narrow.slice(0, 5), unscrolled };
      });
      const phoneShot = join(screenshots, `phone_${path.replace(/\//g, '_').replace(/\.html$/, '')}.png`);
      await page.screenshot({ path: phoneShot, fullPage: false });
      await page.setViewportSize({ width: 1100, height: 900 });
      page.off('console', onConsole);
      page.off('pageerror', onError);
      reports.push({
        page: path,
        status: response?.status(),
        ...info,
        brokenImages: info.images.filter((i) => !i.ok).map((i) => i.src),
        brokenLinks,
        badExternal,
        consoleErrors,
        screenshot: shot,
        phone,
      });
    }
    if (pictures.length)
      reports.pictureProblems = await pictureOverflows(
        page,
        pictures.map((p) => new URL(p, site.url).href),
      );
  } finally {
    await context.close();
    await site.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return reports;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { readdirSync } = await import('node:fs');
  const pages = ['index.html', ...['en', 'zh-CN'].flatMap((lang) => readdirSync(join(SITE_DIR, lang)).map((f) => `${lang}/${f}`))];
  for (const r of await browse(pages)) {
    const problems = [...r.brokenImages.map((i) => `image ${i}`), ...r.brokenLinks, ...r.badExternal.map((l) => `external ${l}`), ...r.consoleErrors];
    console.log(
      `${r.page}: ${r.status} "${r.title}" ${r.images.length} images, ${r.links.length} links${problems.length ? `\n  ${problems.join('\n  ')}` : ''}`,
    );
  }
}
