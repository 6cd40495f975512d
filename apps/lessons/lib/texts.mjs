// Where the lesson texts are: text/<nn>-<slug>.<lang>.md.
import { join } from 'node:path';
import { APP_DIR } from './programs.mjs';

export const TEXT_DIR = join(APP_DIR, 'text');

/**
 * The text of `lesson` in `lang`: text/01-mailslots.en.md, text/01-mailslots.zh-CN.md, ...
 * @param {{ number: number, slug: string }} lesson
 * @param {string} lang
 * @returns {string}
 */
export function textFile(lesson, lang) {
  return join(TEXT_DIR, `${String(lesson.number).padStart(2, '0')}-${lesson.slug}.${lang}.md`);
}

/** The glossary: every term of the series once, in both languages. */
export const GLOSSARY = { en: join(TEXT_DIR, 'glossary.en.md'), 'zh-CN': join(TEXT_DIR, 'glossary.zh-CN.md') };
