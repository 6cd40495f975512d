/**
 * The HTML report as a person opens it (issue 18 §2): a small real run, its report rendered in
 * Debian's chromium (headless, through playwright-core, the lessons' site test's approach:
 * tools/chromium.mjs). Its first section names a choice for this machine with ×N factors and links
 * the guide; its charts draw with the colour-blind-safe palette and a marker per series; the
 * project's own goals come last. No figure is asserted: they are the machine's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from '../../../tools/chromium.mjs';
import { CHOOSING_URL } from '../src/report/verdict.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ipckit-bench-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Okabe and Ito's colours, and the two greys of the copy ceilings. */
const SAFE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#777777'];

describe('the HTML report in a browser', () => {
  it('opens with a verdict for this machine, charts in a safe palette with markers, goals at the end', async () => {
    const html = join(dir, 'run.html');
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        '--quick',
        '--transports',
        'pipe,shm',
        '--baselines',
        'none',
        '--scenarios',
        'ping-pong,stream',
        '--sizes',
        '64,64k',
        '--trials',
        '1',
        '--progress',
        'none',
        '--html',
        html,
      ],
      { encoding: 'utf8', timeout: 110_000 },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    ensureChromium();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS.filter((a) => a !== '--headless') });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(pathToFileURL(html).href);
      const headings = await page.locator('h2').allTextContents();
      expect(headings[0]).toBe('Verdict for this machine');
      // The verdict is on the first screen.
      const box = await page.locator('#verdict').boundingBox();
      expect(box?.y ?? Infinity).toBeLessThan(900);
      const questions = await page.locator('dl.verdict dt').allTextContents();
      expect(questions[0]).toMatch(/^Small messages between two processes \(64 B\)/);
      expect(questions.some((q) => q.startsWith('Large messages'))).toBe(true);
      expect(questions.some((q) => q.startsWith('On a busy machine'))).toBe(true);
      const answers = await page.locator('dl.verdict dd').allTextContents();
      // Two transports ran: the one that won is named, with its factor over pipe:// (unless pipe:// itself won).
      for (const answer of answers.slice(0, 2)) expect(answer).toMatch(/^named-pipe: |^shm \(async\): .*×[\d.]+ /);
      expect(await page.locator(`a[href="${CHOOSING_URL}"]`).count()).toBe(1);
      // The goals are a section of their own, after everything a user reads to choose.
      const goals = headings.findIndex((h) => h.startsWith("The project's own goals"));
      if (goals !== -1) expect(goals).toBe(headings.length - 1);
      // Every chart rendered, at a real size, and draws in the palette with a marker per series.
      const charts = page.locator('.charts svg');
      expect(await charts.count()).toBeGreaterThan(0);
      for (const chart of await charts.all()) expect((await chart.boundingBox())?.width ?? 0).toBeGreaterThan(300);
      const colours = await page
        .locator('.charts svg path[stroke], .charts svg circle[fill]')
        .evaluateAll((nodes: Array<{ getAttribute: (name: string) => string | null }>) =>
          nodes.map((n) => (n.getAttribute('stroke') ?? n.getAttribute('fill') ?? '').toLowerCase()).filter((c) => c !== 'none'),
        );
      expect(colours.length).toBeGreaterThan(0);
      for (const colour of new Set(colours)) expect(SAFE).toContain(colour);
      // shm and pipe differ by colour; shm's variants would differ by marker: at least two kinds of marker drawn.
      const shapes = await page.locator('.charts svg').first().locator('circle, path[fill]:not([fill="none"])').count();
      expect(shapes).toBeGreaterThan(1);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
