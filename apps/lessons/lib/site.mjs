// The lessons as a small static site: one page per lesson and language, the pictures, and the bench
// charts, in build/site/ (what `npm run lessons:html` writes). No script, no web font, no network:
// the pages open from any static server or straight from the disk.
//
//   index.html                 both languages' lists
//   en/index.html, en/01-mailslots.html, …, zh-CN/…
//   pictures/*.svg             the series' pictures
//   bench/report.html          @ipckit/bench's own HTML report of bench/run.json
//   bench/<chart>.svg          its charts, one file each, for lesson 5
//   bench/run.json             the run itself
//   repo/<path>                files of the repository a lesson links to (docs, sources), as they are
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { Marked } from 'marked';
import { ARTICLES } from './articles.mjs';
import { loadRun, renderMarkers } from './bench.mjs';
import hljs from 'highlight.js/lib/core';
import c from 'highlight.js/lib/languages/c';
import bash from 'highlight.js/lib/languages/bash';
import typescript from 'highlight.js/lib/languages/typescript';
import { benchCharts } from './site-charts.mjs';
import { STYLE } from './site-style.mjs';

// Code is highlighted when the site is built (highlight.js, the three languages the lessons show):
// the pages stay script-free.
hljs.registerLanguage('c', c);
hljs.registerLanguage('sh', bash);
hljs.registerLanguage('ts', typescript);

/** `text` as highlighted HTML when `language` is one the lessons use, else escaped. */
function highlight(text, language) {
  return hljs.getLanguage(language) ? hljs.highlight(text, { language, ignoreIllegals: true }).value : esc(text);
}
import { LESSONS } from './lessons/index.mjs';
import { APP_DIR, BUILD_DIR, REPO_ROOT } from './programs.mjs';
import { LANGS } from './runner.mjs';
import { localisePicture, pictureFile, pictureNames } from './pictures.mjs';
import { GLOSSARY, TEXT_DIR, textFile } from './texts.mjs';

export const SITE_DIR = join(BUILD_DIR, 'site');

/** What the site says itself, in each language. */
export const SITE_WORDS = {
  en: {
    series: 'The IPC series',
    subtitle:
      'Mailslots, pipes, memory-mapped files, synchronization, how to choose, and publish/subscribe: each lesson runnable with one command, on Windows and Linux, in Node and in C.',
    run: 'Run a lesson: <code>npm run lesson -- 1</code> (or its name) from the repository root.',
    linux: 'Output on Linux',
    windows: 'Output on Windows (Windows Node and the mingw-built C programs, under Wine in the Windows lane)',
    source: 'Source',
    seed: 'As the article wrote it',
    contents: 'Contents',
    previous: 'Previous',
    next: 'Next',
    other: '简体中文',
    bench: 'Full bench report of this run',
    glossary: 'Glossary: the terms in English and Chinese',
    footer:
      'Built from apps/lessons/text by <code>npm run lessons:html</code>. Outputs are real runs, checked by the tests; figures come from apps/lessons/bench/run.json.',
  },
  'zh-CN': {
    series: 'IPC 系列',
    subtitle: '邮槽、管道、内存映射文件、同步、如何选择，以及发布/订阅：每一课都能用一条命令运行，在 Windows 和 Linux 上，用 Node 也用 C。',
    run: '运行一课：在仓库根目录执行 <code>npm run lesson -- 1</code>（或者课程的名字）。',
    linux: 'Linux 上的输出',
    windows: 'Windows 上的输出（Windows 版 Node 与用 mingw 编译的 C 程序，在 Windows 测试通道里由 Wine 运行）',
    source: '源代码',
    seed: '文章的原文',
    contents: '目录',
    previous: '上一课',
    next: '下一课',
    other: 'English',
    bench: '这次运行的完整基准测试报告',
    glossary: '术语表：中英文术语对照',
    footer: '由 <code>npm run lessons:html</code> 从 apps/lessons/text 生成。输出都是真实运行的结果，由测试检查；数字取自 apps/lessons/bench/run.json。',
  },
};

const esc = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2.
 * @returns {(text: string) => string}
 */
export function slugger() {
  const seen = new Map();
  return (text) => {
    const base = text
      .toLowerCase()
      .replace(/<[^>]*>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  };
}

/** The site file a lesson text's page becomes, relative to the site root: en/01-mailslots.html. */
const pageOf = (lesson, lang) => `${lang}/${String(lesson.number).padStart(2, '0')}-${lesson.slug}.html`;

/**
 * Where a link of a lesson text (relative to text/) goes on the site, relative to the page (in
 * <lang>/): another lesson's page, the index, a picture, a bench file, or a copy of a repository file.
 * Returns { href, copy } where `copy` is the repository file to copy into the site, if any.
 */
function siteLink(href, lang) {
  if (/^[a-z]+:/i.test(href) || href.startsWith('#')) return { href };
  const [path, hash = ''] = href.split('#');
  const anchor = hash ? `#${hash}` : '';
  const target = resolve(TEXT_DIR, path);
  const inText = relative(TEXT_DIR, target);
  if (!inText.startsWith('..')) {
    if (inText === 'README.md') return { href: `index.html${anchor}` };
    const m = /^(\d\d-[\w-]+|glossary)\.([\w-]+)\.md$/.exec(inText);
    if (m) return { href: `${m[2] === lang ? '' : `../${m[2]}/`}${m[1]}.html${anchor}` };
  }
  const inApp = relative(APP_DIR, target).split('\\').join('/');
  if (inApp.startsWith('pictures/')) return { href: `../${inApp}${anchor}` };
  if (inApp === 'bench/run.json') return { href: `../bench/run.json${anchor}` };
  const inRepo = relative(REPO_ROOT, target).split('\\').join('/');
  if (inRepo.startsWith('..')) throw new Error(`link ${href} leaves the repository`);
  return { href: `../repo/${inRepo}${anchor}`, copy: inRepo };
}

/** Renders one lesson text to a page body; returns { html, title, copies }. */
function renderText(markdown, lang, charts) {
  const words = SITE_WORDS[lang];
  const slug = slugger();
  const copies = new Set();
  /** The page's sections, for its table of contents: { depth, id, html }. */
  const sections = [];
  const marked = new Marked({
    gfm: true,
    renderer: {
      heading({ tokens, depth, text }) {
        const inner = this.parser.parseInline(tokens);
        const id = slug(text);
        if (depth === 2 || depth === 3) sections.push({ depth, id, html: inner.replace(/<a [^>]*>|<\/a>/g, '') });
        return `<h${depth} id="${esc(id)}">${inner}</h${depth}>\n`;
      },
      code({ text, lang: info }) {
        const [language = '', ...attrs] = (info ?? '').split(/\s+/);
        const props = Object.fromEntries(attrs.map((a) => a.split('=')));
        let caption = '';
        if (props.output) caption = `<figcaption>${esc(props.output === 'windows' ? words.windows : words.linux)}</figcaption>`;
        if (props.file) {
          const [file] = props.file.split('#');
          const repoPath = posix.join('apps/lessons', file);
          copies.add(repoPath);
          caption = `<figcaption>${words.source}: <a href="../repo/${esc(repoPath)}">${esc(file)}</a></figcaption>`;
        }
        if (props.seed) caption = `<figcaption>${words.seed}: ${esc(ARTICLES[props.seed]?.title ?? props.seed)}</figcaption>`;
        const cls = props.output ? 'output' : props.seed ? `code seed language-${esc(language)}` : `code language-${esc(language)}`;
        const body = props.output ? esc(text) : highlight(text, language);
        return `<figure class="${cls}">${caption}<pre><code>${body}</code></pre></figure>\n`;
      },
      link({ href, title, tokens }) {
        const { href: to, copy } = siteLink(href, lang);
        if (copy) copies.add(copy);
        return `<a href="${esc(to)}"${title ? ` title="${esc(title)}"` : ''}>${this.parser.parseInline(tokens)}</a>`;
      },
      image({ href, text }) {
        const { href: to } = siteLink(href, lang);
        return `<img src="${esc(to)}" alt="${esc(text)}">`;
      },
      html({ text }) {
        if (text.includes('<!-- bench-charts -->')) return charts;
        return text;
      },
    },
  });
  // An article's code and the corrected code after it sit side by side.
  const html = marked
    .parse(markdown)
    .replace(/(<figure class="code seed[^"]*">[\s\S]*?<\/figure>)\n(<figure class="code [^"]*">[\s\S]*?<\/figure>)/g, '<div class="pair">$1\n$2</div>');
  const title = /^# (.*)$/m.exec(markdown)?.[1] ?? '';
  return { html: withContents(html, sections, words), title, copies };
}

/** The page with its table of contents after the title and the line of links under it. */
function withContents(html, sections, words) {
  if (sections.length < 3) return html;
  let list = '';
  let open = 0;
  for (const [i, s] of sections.entries()) {
    if (s.depth === 3 && open === 0) {
      list += '<ol>';
      open = 1;
    } else if (s.depth === 2 && open === 1) {
      list += '</ol></li>';
      open = 0;
    } else if (i > 0) list += '</li>';
    list += `<li><a href="#${esc(s.id)}">${s.html}</a>`;
  }
  list += open ? '</ol></li>' : '</li>';
  const toc = `<nav class="toc" aria-label="${words.contents}"><strong>${words.contents}</strong><ol>${list}</ol></nav>\n`;
  // After the first paragraph that follows the title (the line of links), else after the title.
  const at = html.indexOf('</p>', html.indexOf('</h1>'));
  const cut = at >= 0 && at < html.indexOf('<h2') ? at + 4 : html.indexOf('</h1>') + 5;
  return `${html.slice(0, cut)}\n${toc}${html.slice(cut)}`;
}

function page({ lang, title, body, otherHref, depth = 1 }) {
  const words = SITE_WORDS[lang];
  const up = '../'.repeat(depth);
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — ipckit</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${up}style.css">
</head>
<body>
<header><a href="${depth ? 'index.html' : `${lang}/index.html`}">ipckit · ${words.series}</a>${otherHref ? ` <span class="lang"><a href="${esc(otherHref)}">${words.other}</a></span>` : ''}</header>
<main>
${body}
</main>
<footer>${words.footer}</footer>
</body>
</html>
`;
}

/**
 * Builds the whole site into `dir` (default build/site). Returns the pages written, relative to `dir`.
 * @param {string} [dir]
 * @returns {Promise<string[]>}
 */
export async function buildSite(dir = SITE_DIR) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'style.css'), STYLE.trimStart());
  mkdirSync(join(dir, 'pictures'), { recursive: true });
  for (const name of pictureNames()) for (const lang of LANGS) writeFileSync(join(dir, 'pictures', pictureFile(name, lang)), localisePicture(name, lang));

  const run = loadRun();
  const charts = await benchCharts(run, join(dir, 'bench'), LANGS);
  const pages = [];
  const copies = new Set();

  for (const lang of LANGS) {
    const words = SITE_WORDS[lang];
    const other = LANGS.find((l) => l !== lang);
    const chartsHtml = `<div class="charts">${charts.map((c) => `<img src="../bench/${c.files[lang]}" alt="${esc(c.titles[lang])}">`).join('\n')}<p><a href="../bench/report.html">${words.bench}</a></p></div>`;
    mkdirSync(join(dir, lang), { recursive: true });
    for (const [index, lesson] of LESSONS.entries()) {
      // Figures are rendered from the run again here: the site cannot show other numbers than the file's.
      const markdown = renderMarkers(readFileSync(textFile(lesson, lang), 'utf8'), run, lang);
      const { html, title, copies: linked } = renderText(markdown, lang, chartsHtml);
      for (const c of linked) copies.add(c);
      const file = pageOf(lesson, lang);
      // Previous and next at the bottom of every lesson, from the lessons' order.
      const link = (l, word, rel) =>
        l
          ? `<a rel="${rel}" href="${pageOf(l, lang).slice(lang.length + 1)}">${rel === 'prev' ? '← ' : ''}${word}: ${esc(l.title[lang])}${rel === 'next' ? ' →' : ''}</a>`
          : '<span></span>';
      const pagesNav = `<nav class="pages">${link(LESSONS[index - 1], words.previous, 'prev')}${link(LESSONS[index + 1], words.next, 'next')}</nav>`;
      writeFileSync(join(dir, file), page({ lang, title, body: `${html}\n${pagesNav}`, otherHref: `../${pageOf(lesson, other)}` }));
      pages.push(file);
    }
    // The glossary: one page per language, linked from every lesson's first line and from the index.
    const glossary = renderText(readFileSync(GLOSSARY[lang], 'utf8'), lang, '');
    writeFileSync(join(dir, lang, 'glossary.html'), page({ lang, title: glossary.title, body: glossary.html, otherHref: `../${other}/glossary.html` }));
    pages.push(`${lang}/glossary.html`);
    const list = LESSONS.map(
      (l) => `<li><a href="${pageOf(l, lang).slice(lang.length + 1)}">${esc(l.title[lang])}</a><br><span>${esc(l.intro[lang])}</span></li>`,
    ).join('\n');
    const body = `<h1>${words.series}</h1>\n<p>${words.subtitle}</p>\n<ol class="lessons">\n${list}\n</ol>\n<p>${words.run}</p>\n<p><a href="glossary.html">${words.glossary}</a> · <a href="../bench/report.html">${words.bench}</a></p>`;
    writeFileSync(join(dir, lang, 'index.html'), page({ lang, title: words.series, body, otherHref: `../${other}/index.html` }));
    pages.push(`${lang}/index.html`);
  }
  const both = LANGS.map((lang) => `<h2><a href="${lang}/index.html">${SITE_WORDS[lang].series}</a></h2>\n<p>${SITE_WORDS[lang].subtitle}</p>`).join('\n');
  writeFileSync(
    join(dir, 'index.html'),
    page({ lang: 'en', title: 'The IPC series · IPC 系列', body: `<h1>ipckit · The IPC series · IPC 系列</h1>\n${both}`, depth: 0 }),
  );
  pages.unshift('index.html');

  for (const file of copies) {
    const from = join(REPO_ROOT, file);
    if (!existsSync(from)) throw new Error(`a lesson links to ${file}, which does not exist`);
    const to = join(dir, 'repo', file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
  return pages;
}
