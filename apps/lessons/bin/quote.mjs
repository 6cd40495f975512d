#!/usr/bin/env node
// Brings the lesson texts up to date with what they quote, so that nobody types output, code or
// numbers by hand:
//
//   node apps/lessons/bin/quote.mjs [lesson...]   runs the lessons here (Linux) and rewrites their
//                                                 ```text output=linux step=N``` blocks, in both languages
//   node apps/lessons/bin/quote.mjs --windows     rewrites the output=windows blocks from the transcripts
//                                                 the Windows lane saved (build/transcripts/windows/)
//   node apps/lessons/bin/quote.mjs --code        rewrites every ```lang file=path#region``` block from its source
//   node apps/lessons/bin/quote.mjs --bench       re-renders every <!-- bench:… --> figure from bench/run.json
//
// The tests check all four (test/texts.test.ts, test/lessons.test.ts, test/win32/); this is how to fix
// what they find after a change that is meant.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRun, renderMarkers } from '../lib/bench.mjs';
import { ensureBuilt } from '../lib/build.mjs';
import { regionOf } from '../lib/code.mjs';
import { LESSONS, findLesson } from '../lib/lessons/index.mjs';
import { BUILD_DIR } from '../lib/programs.mjs';
import { updateQuotes } from '../lib/quotes.mjs';
import { LANGS, runLesson } from '../lib/runner.mjs';
import { textFile } from '../lib/texts.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    windows: { type: 'boolean', default: false },
    code: { type: 'boolean', default: false },
    bench: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const lessons = positionals.length ? positionals.map((p) => findLesson(p) ?? fail(`no lesson ${p}`)) : LESSONS;

function fail(message) {
  console.error(message);
  process.exit(2);
}

function rewrite(lesson, change) {
  for (const lang of LANGS) {
    const file = textFile(lesson, lang);
    if (!existsSync(file)) continue;
    const before = readFileSync(file, 'utf8');
    const after = change(before, lang);
    if (after !== before) {
      writeFileSync(file, after);
      console.log(`updated ${file}`);
    }
  }
}

if (values.code) {
  for (const lesson of lessons) {
    rewrite(lesson, (text) =>
      text.replace(/^```(\w+) file=([^\s#]+)#([\w-]+)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm, (_, lang, file, region) => {
        const body = regionOf(file, region);
        return `\`\`\`${lang} file=${file}#${region}\n${body}\n\`\`\``;
      }),
    );
  }
}

if (values.bench) {
  const run = loadRun();
  for (const lesson of lessons) rewrite(lesson, (text, lang) => renderMarkers(text, run, lang));
}

if (values.windows) {
  for (const lesson of lessons) {
    const file = join(BUILD_DIR, 'transcripts', 'windows', `${lesson.number}.json`);
    if (!existsSync(file)) {
      console.error(`no Windows transcript of lesson ${lesson.number} (${file}): run the Windows lane first`);
      continue;
    }
    const transcript = JSON.parse(readFileSync(file, 'utf8'));
    rewrite(lesson, (text) => updateQuotes(text, transcript, 'windows'));
  }
}

if (!values.windows && !values.code && !values.bench) {
  if (process.platform !== 'linux') fail('the output=linux blocks come from Linux runs');
  if (!values['no-build']) ensureBuilt();
  for (const lesson of lessons) {
    console.log(`running lesson ${lesson.number}...`);
    const transcript = await runLesson(lesson, { write: () => undefined });
    rewrite(lesson, (text) => updateQuotes(text, transcript, 'linux'));
  }
}
