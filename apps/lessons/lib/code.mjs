// Code a lesson's text shows is the code the lesson runs. A fenced block says where it comes from:
//
//   ```ts file=src/01-mailslots/server.ts#create
//   ```c file=c/mailslot_client.c#open
//
// and its body must be exactly the lines between `#region create` and `#endregion create` in that
// file (a // or /* */ comment line), with their common indentation removed. Paths are relative to
// apps/lessons.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_DIR } from './programs.mjs';

const FENCE = /^```(\w+) file=([^\s#]+)#([\w-]+)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;

/**
 * Every block of a text that names its source: { lang, file, region, body }.
 * @param {string} markdown
 * @returns {Array<{ lang: string, file: string, region: string, body: string }>}
 */
export function codeBlocks(markdown) {
  return [...markdown.matchAll(FENCE)].map((m) => ({ lang: m[1] ?? '', file: m[2] ?? '', region: m[3] ?? '', body: (m[4] ?? '').replace(/\n$/, '') }));
}

/**
 * Every fenced block of a text, whatever it is (for comparing two languages' texts).
 * @param {string} markdown
 * @returns {Array<{ info: string, body: string }>}
 */
export function allFences(markdown) {
  return [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => ({ info: (m[1] ?? '').trim(), body: m[2] ?? '' }));
}

/**
 * The lines of region `region` in `file`, dedented. Throws when the region is missing.
 * @param {string} file
 * @param {string} region
 * @returns {string}
 */
export function regionOf(file, region) {
  const lines = readFileSync(join(APP_DIR, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\s*(//|/\\*) #region ${region}\\b`).test(l));
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^\\s*(//|/\\*) #endregion ${region}\\b`).test(l));
  if (start < 0 || end < 0) throw new Error(`${file} has no region ${region}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}
