/**
 * The texts: both languages exist and say the same thing in the same shape (the same headings, the
 * same code, the same outputs, pictures, links and figures); every code block is the code the lesson
 * runs; every figure is the saved bench run's; every link resolves.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchMarkers, loadRun, renderMarkers } from '../lib/bench.mjs';
import { EXTERNAL_HOSTS } from '../lib/browse.mjs';
import { allFences, codeBlocks, regionOf } from '../lib/code.mjs';
import { ARTICLES, articlesOf } from '../lib/articles.mjs';
import { LESSONS } from '../lib/lessons/index.mjs';
import { PICTURE_DIR, localisePicture, pictureFile, pictureNames } from '../lib/pictures.mjs';
import { APP_DIR, C_PROGRAMS, REPO_ROOT, cSource, windowsManifest } from '../lib/programs.mjs';
import { quotedBlocks } from '../lib/quotes.mjs';
import { LANGS, RUNNER_WORDS, wrap } from '../lib/runner.mjs';
import { SITE_WORDS, slugger } from '../lib/site.mjs';
import { GLOSSARY, TEXT_DIR, textFile } from '../lib/texts.mjs';
import { punctuationProblems, termProblems } from '../lib/zh.mjs';

const read = (file: string): string => readFileSync(file, 'utf8');
/** Markdown without its fenced blocks: the prose. */
const prose = (markdown: string): string => markdown.replace(/^```[\s\S]*?^```$/gm, '');
const headings = (markdown: string): Array<{ level: number; text: string }> =>
  [...prose(markdown).matchAll(/^(#{1,6}) (.*)$/gm)].map((m) => ({ level: m[1]?.length ?? 0, text: m[2] ?? '' }));
const links = (markdown: string): string[] => [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
/** A link with the language taken out, so that the English and the Chinese texts' links compare. */
const neutral = (href: string): string => href.replace(/\.(en|zh-CN)\.md/, '.LANG.md').replace(/(pictures\/[\w-]+)\.zh-CN\.svg/, '$1.svg');
/** Each problem on one line, to read in a failing test's message. */
const listed = (problems: Array<{ line: number; text?: string; why?: string; phrase?: string; instead?: string }>): string[] =>
  problems.map((p) => (p.why ? `${String(p.line)}: ${p.why}: ${p.text ?? ''}` : `${String(p.line)}: "${p.phrase ?? ''}" → ${p.instead ?? ''}`));
/** Every Chinese string of an object (the lessons' narration, the runner's and the site's words). */
const chineseStrings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'function'
      ? [(value as (x: string) => string)('x')]
      : value && typeof value === 'object'
        ? Object.values(value).flatMap(chineseStrings)
        : [];

describe('the lesson texts', () => {
  const run = loadRun();

  for (const lesson of LESSONS) {
    describe(`lesson ${String(lesson.number)} (${lesson.slug})`, () => {
      const texts = Object.fromEntries(LANGS.map((lang) => [lang, existsSync(textFile(lesson, lang)) ? read(textFile(lesson, lang)) : ''])) as Record<
        string,
        string
      >;
      const en = texts.en ?? '';
      const zh = texts['zh-CN'] ?? '';

      it('exists in English and in Simplified Chinese, and the Chinese is Chinese', () => {
        expect(en.length).toBeGreaterThan(2000);
        expect(zh.length).toBeGreaterThan(2000);
        const zhProse = prose(zh);
        const han = zhProse.match(/\p{Script=Han}/gu)?.length ?? 0;
        expect(han / zhProse.replace(/\s/g, '').length).toBeGreaterThan(0.2);
        expect(en.startsWith(`# ${lesson.title.en}\n`)).toBe(true);
        expect(zh.startsWith(`# ${lesson.title['zh-CN']}\n`)).toBe(true);
      });

      it('(zh-CN) is punctuated as Chinese is: full-width marks in prose, ASCII in code', () => {
        expect(listed(punctuationProblems(zh))).toEqual([]);
      });

      it('(zh-CN) uses the terms Chinese programmers use, not translated phrases', () => {
        expect(listed(termProblems(zh))).toEqual([]);
      });

      it('(zh-CN) narrates the steps in the same Chinese (lib/lessons)', () => {
        const strings = [lesson.title, lesson.intro, ...lesson.steps.flatMap((step) => [step.title, step.text])].flatMap((t) => (t ? [t['zh-CN']] : []));
        const english = [lesson.title, lesson.intro, ...lesson.steps.flatMap((step) => [step.title, step.text])].flatMap((t) => (t ? [t.en] : []));
        for (const text of english) expect(text, 'English narration in ASCII punctuation').not.toMatch(/[，。：；（）“”]/u);
        for (const text of strings) {
          expect(listed(punctuationProblems(text)), text).toEqual([]);
          expect(listed(termProblems(text)), text).toEqual([]);
        }
      });

      it('(zh-CN) shows the Chinese pictures, the English text the English ones', () => {
        const pictures = (markdown: string): string[] => links(markdown).filter((l) => l.includes('pictures/'));
        for (const href of pictures(zh)) expect(href, href).toMatch(/\.zh-CN\.svg$/);
        for (const href of pictures(en)) expect(href, href).not.toMatch(/\.zh-CN\.svg$/);
      });

      it('opens with a box naming the articles it grew from, and shows their code beside the corrected code', () => {
        expect(articlesOf(lesson).length, 'lib/lessons: articles').toBeGreaterThan(0);
        for (const [lang, text] of Object.entries(texts)) {
          // The box: the first block after the title and the line of links, a quote naming each article.
          const box = /^# [^\n]*\n\n\*[^\n]*\*\n\n((?:>[^\n]*\n)+)/.exec(text)?.[1] ?? '';
          expect(box, `${lang}: the box`).not.toBe('');
          for (const article of articlesOf(lesson)) expect(box, `${lang}: names ${article.title}`).toContain(article.title);
        }
        // An article's code (```c seed=<id>) is followed by the corrected code, from a real file.
        const fences = allFences(en);
        fences.forEach((fence, i) => {
          const seed = /\bseed=([\w-]+)/.exec(fence.info)?.[1];
          if (seed === undefined) return;
          expect(lesson.articles, `seed=${seed}`).toContain(seed);
          expect(ARTICLES[seed], `seed=${seed}`).toBeDefined();
          expect(fences[i + 1]?.info ?? '', `the block after seed=${seed}`).toMatch(/ file=/);
        });
      });

      it('has the same sections in both languages', () => {
        expect(headings(zh).map((h) => h.level)).toEqual(headings(en).map((h) => h.level));
      });

      it('shows the same code, commands and outputs in both languages', () => {
        expect(allFences(zh)).toEqual(allFences(en));
      });

      it('has the same pictures, links and bench figures in both languages', () => {
        // Anchors within a page are headings' names, which are in the page's language: checked below.
        const across = (markdown: string): string[] =>
          links(markdown)
            .filter((l) => !l.startsWith('#'))
            .map(neutral)
            .sort();
        expect(across(zh)).toEqual(across(en));
        expect(benchMarkers(zh).map((m) => m.spec)).toEqual(benchMarkers(en).map((m) => m.spec));
      });

      it('quotes real output from both OSes', () => {
        const blocks = quotedBlocks(en);
        expect(blocks.some((b) => b.os === 'linux')).toBe(true);
        expect(blocks.some((b) => b.os === 'windows')).toBe(true);
        for (const b of blocks) expect(b.step).toBeLessThanOrEqual(lesson.steps.length);
      });

      it('shows the code the lesson runs: every file=…#region block is that region of that file', () => {
        const blocks = codeBlocks(en);
        expect(blocks.length).toBeGreaterThan(0);
        for (const b of blocks) expect(b.body, `${b.file}#${b.region} (node apps/lessons/bin/quote.mjs --code)`).toBe(regionOf(b.file, b.region));
      });

      it('has an exercise with a solution from a file', () => {
        expect(codeBlocks(en).some((b) => b.file.includes('exercises/') || b.file.startsWith('c/ex'))).toBe(true);
      });

      for (const lang of LANGS) {
        it(`(${lang}) takes its figures from the saved bench run`, () => {
          const text = texts[lang] ?? '';
          expect(renderMarkers(text, run, lang), 'node apps/lessons/bin/quote.mjs --bench').toBe(text);
        });

        it(`(${lang}) links only to files that exist, headings that exist, and the OS manuals`, () => {
          const text = texts[lang] ?? '';
          for (const href of links(text)) {
            if (/^https?:/.test(href)) {
              const url = new URL(href);
              expect(url.protocol, href).toBe('https:');
              expect(EXTERNAL_HOSTS, href).toContain(url.hostname);
              continue;
            }
            const [path = '', anchor] = href.split('#');
            const target = path === '' ? textFile(lesson, lang) : resolve(TEXT_DIR, path);
            expect(existsSync(target), href).toBe(true);
            expect(resolve(target).startsWith(REPO_ROOT), href).toBe(true);
            if (anchor !== undefined) {
              const slug = slugger();
              const ids = headings(read(target)).map((h) => slug(h.text));
              expect(ids, href).toContain(decodeURIComponent(anchor));
            }
          }
        });
      }
    });
  }

  it('the series index and the glossary are punctuated as Chinese is, in their Chinese parts', () => {
    for (const file of [join(TEXT_DIR, 'README.md'), GLOSSARY['zh-CN']]) {
      expect(listed(punctuationProblems(read(file))), file).toEqual([]);
      expect(listed(termProblems(read(file))), file).toEqual([]);
    }
  });

  it('the runner, the command and the site speak Chinese punctuated as Chinese', () => {
    for (const text of [...chineseStrings(RUNNER_WORDS['zh-CN']), ...chineseStrings(SITE_WORDS['zh-CN'])]) {
      expect(listed(punctuationProblems(text)), text).toEqual([]);
    }
  });

  it('wrapped for the terminal, no Chinese line starts with a closing mark (，。：；）” …)', () => {
    const narration = LESSONS.flatMap((l) => [l.intro, ...l.steps.map((s) => s.text)]).flatMap((t) => (t ? [t['zh-CN']] : []));
    const starts: string[] = [];
    for (const text of narration) {
      for (let width = 30; width <= 80; width++) {
        for (const line of wrap(text, width, '  ')) if (/^\s*[，。、：；！？）”’》…]/u.test(line)) starts.push(`${String(width)}: ${line}`);
      }
    }
    expect(starts).toEqual([]);
  });

  it('the glossary lists the same terms in both languages, each once', () => {
    const rows = (file: string): string[] =>
      read(file)
        .split('\n')
        .filter((l) => /^\| [^-|]/.test(l) && !/^\| English \|/.test(l))
        .map((l) => l.split('|')[1]?.trim() ?? '');
    const en = rows(GLOSSARY.en);
    expect(en.length).toBeGreaterThan(30);
    expect(rows(GLOSSARY['zh-CN'])).toEqual(en);
    expect(new Set(en).size).toBe(en.length);
    const chinese = read(GLOSSARY['zh-CN'])
      .split('\n')
      .filter((l) => /^\| [^-|]/.test(l) && !/^\| English \|/.test(l))
      .map((l) => l.split('|')[2]?.trim() ?? '');
    for (const term of ['文件映射对象', '互斥量', '信号量', '句柄', '命名管道', '邮槽', '视图', '事件', '组帧']) expect(chinese).toContain(term);
  });

  it('every picture has its Chinese twin, made from it and up to date (node apps/lessons/bin/pictures.mjs)', () => {
    expect(pictureNames().length).toBeGreaterThan(0);
    for (const name of pictureNames()) {
      const zhPicture = localisePicture(name, 'zh-CN');
      expect(read(join(PICTURE_DIR, pictureFile(name, 'zh-CN'))), name).toBe(zhPicture);
      const labels = [...zhPicture.matchAll(/<text\b[^>]*>([^<]*)</g)].map((m) => m[1] ?? '');
      expect(
        labels.some((l) => /\p{Script=Han}/u.test(l)),
        name,
      ).toBe(true);
    }
  });

  it('the series index links every lesson in both languages', () => {
    const index = read(join(TEXT_DIR, 'README.md'));
    for (const lesson of LESSONS) for (const lang of LANGS) expect(index).toContain(`(${textFile(lesson, lang).slice(TEXT_DIR.length + 1)})`);
  });
});

describe('the C programs', () => {
  it('the Windows lane builds every one of them, from the same sources', () => {
    const manifest = windowsManifest();
    expect(Object.keys(manifest).sort()).toEqual(Object.keys(C_PROGRAMS).sort());
    for (const [name, source] of Object.entries(manifest)) {
      expect(resolve(join(APP_DIR, 'test', 'win32'), source), name).toBe(cSource(name, 'win32'));
      expect(existsSync(cSource(name, 'win32')), name).toBe(true);
      expect(existsSync(dirname(cSource(name, 'posix'))), name).toBe(true);
    }
  });
});
