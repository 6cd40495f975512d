// The series' pictures in each language. pictures/<name>.svg is the English picture; its Chinese
// twin pictures/<name>.zh-CN.svg is made from it by replacing every text (labels, the title, the
// aria-label) with its translation from pictures/zh-CN.json, so the drawing itself exists once.
// `node apps/lessons/bin/pictures.mjs` writes the twins; test/texts.test.ts checks they are current
// and that every label has a translation; test/site.test.ts checks in chromium that every label
// stays inside its box.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { APP_DIR } from './programs.mjs';

export const PICTURE_DIR = join(APP_DIR, 'pictures');

/** The English pictures' names: mailslot, mapping, pipe, … */
export function pictureNames() {
  return readdirSync(PICTURE_DIR)
    .filter((f) => /^[\w-]+\.svg$/.test(f))
    .map((f) => f.replace(/\.svg$/, ''));
}

/** The file of picture `name` in `lang`, relative to pictures/. */
export const pictureFile = (name, lang) => (lang === 'en' ? `${name}.svg` : `${name}.${lang}.svg`);

const unescape = (s) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Texts of an SVG that want a translation (words: two letters or more), the title and the aria-label. A label that stays as it is (a name, code) is listed with itself. */
function texts(svg) {
  const out = [];
  for (const m of svg.matchAll(/aria-label="([^"]*)"/g)) out.push(unescape(m[1]));
  for (const m of svg.matchAll(/<(title|text)\b[^>]*>([^<]*)</g)) if (/[A-Za-z]{2}/.test(m[2])) out.push(unescape(m[2]));
  return out;
}

/**
 * Picture `name` in `lang`. Throws naming every label that has no translation.
 * @param {string} name
 * @param {string} lang
 * @returns {string}
 */
export function localisePicture(name, lang) {
  const svg = readFileSync(join(PICTURE_DIR, `${name}.svg`), 'utf8');
  if (lang === 'en') return svg;
  const words = JSON.parse(readFileSync(join(PICTURE_DIR, `${lang}.json`), 'utf8'));
  const missing = texts(svg).filter((t) => words[t] === undefined);
  if (missing.length) throw new Error(`pictures/${lang}.json has no translation for: ${missing.map((t) => JSON.stringify(t)).join(', ')}`);
  const tr = (t) => words[unescape(t)] ?? unescape(t);
  return svg
    .replace(/aria-label="([^"]*)"/g, (_, t) => `aria-label="${escape(tr(t)).replace(/"/g, '&quot;')}"`)
    .replace(/<(title|text)\b([^>]*)>([^<]*)</g, (_, tag, attrs, t) => `<${tag}${attrs}>${escape(tr(t))}<`);
}
