#!/usr/bin/env node
// `npm run lesson -- <n | name>`: runs one lesson of the IPC series. Starts the lesson's processes
// (ipckit's TypeScript examples and their C twins), narrates each step, labels and colours each
// process's lines. On a terminal it pauses between steps; piped, it runs straight through.
//
//   node apps/lessons/bin/lesson.mjs 3            or  mapping, memory-mapped-files
//   node apps/lessons/bin/lesson.mjs 3 --lang zh-CN
//   node apps/lessons/bin/lesson.mjs --list
//   node apps/lessons/bin/lesson.mjs check 2 [file]   checks an attempt at lesson 2's exercise
//                                                     (default: its starter in apps/lessons/exercises/);
//                                                     --solution checks the solution the text shows
// Options: --lang en|zh-CN (default: from LANG), --no-pause, --no-color, --no-build.
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt } from '../lib/build.mjs';
import { APP_DIR } from '../lib/programs.mjs';
import { checkExercise, exerciseOf } from '../lib/exercises.mjs';
import { LESSONS, findLesson } from '../lib/lessons/index.mjs';
import { LANGS, RUNNER_WORDS, runLesson } from '../lib/runner.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    lang: { type: 'string' },
    list: { type: 'boolean', default: false },
    'no-pause': { type: 'boolean', default: false },
    'no-color': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    solution: { type: 'boolean', default: false },
  },
});

const lang = values.lang ?? (/^zh/i.test(process.env.LANG ?? '') ? 'zh-CN' : 'en');
if (!LANGS.includes(lang)) {
  console.error(`--lang ${lang}: the lessons are in ${LANGS.join(' and ')}`);
  process.exit(2);
}

const words = RUNNER_WORDS[lang];

function list() {
  console.log(words.list);
  for (const l of LESSONS) console.log(`  ${l.number}  ${l.slug.padEnd(22)} ${l.title[lang] ?? l.title.en}`);
  console.log(`\n${words.where}`);
}

if (values.list || positionals.length === 0) {
  list();
  process.exit(positionals.length === 0 && !values.list ? 2 : 0);
}
if (positionals[0] === 'check') {
  const lesson = findLesson(positionals[1] ?? '');
  const exercise = lesson ? exerciseOf(lesson.number) : undefined;
  if (!exercise) {
    console.error(words.noExercise(positionals[1] ?? ''));
    process.exit(2);
  }
  const file = values.solution ? join(APP_DIR, exercise.solution) : resolve(positionals[2] ?? join(APP_DIR, exercise.starter));
  try {
    if (!values['no-build']) ensureBuilt();
    console.log(words.checking(lesson.number, exercise.title[lang], relative(process.cwd(), file) || file));
    const { ok, message } = await checkExercise(exercise, file);
    console.log(ok ? words.passed(message) : words.failed(message));
    process.exitCode = ok ? 0 : 1;
  } catch (error) {
    console.error(`${words.stopped}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
  process.exit();
}

const lesson = findLesson(positionals[0]);
if (!lesson) {
  console.error(words.noLesson(positionals[0]));
  list();
  process.exit(2);
}

const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
try {
  if (!values['no-build']) ensureBuilt();
  await runLesson(lesson, {
    lang,
    color: process.stdout.isTTY === true && !values['no-color'] && process.env.NO_COLOR === undefined,
    pause: tty && !values['no-pause'],
  });
} catch (error) {
  console.error(`\n${words.stopped}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
