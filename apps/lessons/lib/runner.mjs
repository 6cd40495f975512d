// The lesson runner: starts a lesson's processes, step by step, narrates each step, labels and
// colours each process's lines, and keeps a transcript (what each step's processes printed) that
// the tests compare with the output the lesson's text quotes.
//
// Order: within a step the processes run at once and their pipes deliver lines in no fixed order,
// so the runner holds a step's lines until the step is over and shows them by the time each was
// printed (the `@<ns>` stamp, one monotonic clock for every process). A step waits for every line it
// causes, so what a step shows is the same on every run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LessonProcess, scaled } from './proc.mjs';
import { cProgram, nodeScript } from './programs.mjs';

export const LANGS = ['en', 'zh-CN'];

/** What the runner and the command say themselves, in each language. */
export const RUNNER_WORDS = {
  en: {
    prompt: 'Enter: next step · c: run to the end · q: quit',
    list: 'The IPC series (npm run lesson -- <number or name>):',
    where: 'Texts: apps/lessons/text/<n>-<name>.<lang>.md · site: npm run lessons:html',
    stopped: 'The lesson stopped',
    noLesson: (key) => `no lesson "${key}"`,
    noExercise: (key) => `no exercise for lesson "${key}": npm run lesson -- check <1-8> [your file]`,
    checking: (n, title, file) => `Checking lesson ${n}'s exercise (${title}) with ${file}...`,
    passed: (line) => `PASSED: ${line}`,
    failed: (why) => `NOT YET: ${why}`,
  },
  'zh-CN': {
    prompt: '回车：下一步 · c：一直运行到结束 · q：退出',
    list: 'IPC 系列（npm run lesson -- <编号或名字>）：',
    where: '课文：apps/lessons/text/<n>-<name>.<lang>.md · 网站：npm run lessons:html',
    stopped: '这一课中途停止了',
    noLesson: (key) => `没有名为“${key}”的课`,
    noExercise: (key) => `第“${key}”课没有练习：npm run lesson -- check <1-8> [你的文件]`,
    checking: (n, title, file) => `检查第 ${n} 课的练习（${title}），所用文件：${file}……`,
    passed: (line) => `通过：${line}`,
    failed: (why) => `还没完成：${why}`,
  },
};

/** Full-width marks a line must not start with (Chinese typesetting rules: 避头点). */
const NO_LINE_START = /^[，。、：；！？）”’》」』…]/u;

const COLORS = [36, 35, 33, 32, 34, 31, 96, 95];
const paint = (on, code, text) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/** Width of the label column: labels are at most this long. */
export const LABEL_WIDTH = 11;

/** One transcript line as the runner prints it and the lessons quote it. */
export function formatLine(label, text, stream = 'out') {
  return `${label.padEnd(LABEL_WIDTH)} ${stream === 'err' ? '!' : '│'} ${text}`;
}

/** Wraps narration text to `width` columns, each line indented. */
export function wrap(text, width, indent) {
  const out = [];
  // Chinese has no spaces: break it anywhere, counting a wide character as two columns.
  const columns = (s) => [...s].reduce((n, ch) => n + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0);
  for (const paragraph of text.split(/\n\s*\n/)) {
    let line = '';
    const tokens =
      paragraph
        .replace(/\s+/g, ' ')
        .trim()
        .match(/[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+/g) ?? [];
    for (const token of tokens) {
      // A closing mark stays on the line it closes, even one column past the width.
      if (columns(line + token.trimEnd()) > width - indent.length && line.trim() !== '' && !NO_LINE_START.test(token)) {
        out.push(indent + line.trimEnd());
        line = token.trimStart();
      } else {
        line += token;
      }
    }
    if (line.trim() !== '') out.push(indent + line.trimEnd());
    out.push('');
  }
  out.pop();
  return out;
}

/** A short random suffix for the lesson's object names, so runs never meet. */
function suffix() {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}

/**
 * Runs `lesson` (a module of lib/lessons/). Returns { steps: [{ number, title, lines: string[] }] }
 * where `lines` are the step's process lines as printed (formatLine), in order.
 *
 * @param {object} lesson
 * @param {{ lang?: string, write?: (text: string) => void, color?: boolean, pause?: boolean, input?: NodeJS.ReadableStream }} [options]
 */
export async function runLesson(
  lesson,
  { lang = 'en', write = (text) => process.stdout.write(text), color = false, pause = false, input = process.stdin } = {},
) {
  let seq = 0;
  const procs = [];
  const colorOf = new Map();
  const tmp = mkdtempSync(join(tmpdir(), `ipckit-lesson${lesson.number}-`));
  const notes = [];
  const print = (line = '') => write(`${line}\n`);
  const tr = (value) => (typeof value === 'string' ? value : (value[lang] ?? value.en));

  const ctx = {
    lang,
    /** 'win32' or 'posix': what a step may need to know (a path, an OS-only demonstration). */
    platform: process.platform === 'win32' ? 'win32' : 'posix',
    /** The base of every object name this run uses, e.g. lesson3-k2x9qa. */
    name: `lesson${lesson.number}-${suffix()}`,
    /** A private temporary folder, removed at the end. */
    tmp,
    /** Anything steps share. */
    state: {},
    /** Starts a lesson program written in TypeScript (compiled): script like '01-mailslots/server'. */
    node(label, script, args = [], options = {}) {
      return start(label, process.execPath, [nodeScript(script), ...args], options);
    },
    /** Starts a Node script given by path (a .mjs example from another package). */
    nodeFile(label, file, args = [], options = {}) {
      return start(label, process.execPath, [file, ...args], options);
    },
    /** Starts a C program (compiled on demand). */
    c(label, program, args = [], options = {}) {
      return start(label, cProgram(program), args, options);
    },
    /** A line from the runner itself (what it did to a process: a kill, a command sent). */
    note(text) {
      notes.push({ t: process.hrtime.bigint(), seq: seq++, text });
    },
  };

  function start(label, file, args, options) {
    if (label.length > LABEL_WIDTH) throw new Error(`label "${label}" is longer than ${LABEL_WIDTH}`);
    if (!colorOf.has(label)) colorOf.set(label, COLORS[colorOf.size % COLORS.length]);
    const proc = new LessonProcess(label, file, args, { ...options, sequence: () => seq++ });
    procs.push(proc);
    return proc;
  }

  /** The step's lines, in the order they were printed. */
  function takeLines() {
    const entries = [];
    for (const proc of procs) for (const line of proc.pending.splice(0)) entries.push({ ...line, label: proc.label });
    for (const note of notes.splice(0)) entries.push({ ...note, label: 'lesson', stream: 'out' });
    entries.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.seq - b.seq));
    return entries;
  }

  let pausing = pause;
  const prompt = pause ? createInterface({ input }) : undefined;
  const ask = () => new Promise((resolve) => prompt.once('line', resolve));

  /** @type {{ lesson: number, name: string, steps: Array<{ number: number, title: object, lines: string[] }> }} */
  const transcript = { lesson: lesson.number, name: ctx.name, steps: [] };
  const steps = lesson.steps;
  print(paint(color, '1', `${tr(lesson.title)}`));
  if (lesson.intro) for (const l of wrap(tr(lesson.intro), 78, '')) print(l);
  let stopped = false;
  try {
    for (const [index, step] of steps.entries()) {
      print();
      print(paint(color, '1;4', `${index + 1}/${steps.length}  ${tr(step.title)}`));
      if (step.text) for (const l of wrap(tr(step.text), 78, '  ')) print(paint(color, '2', l));
      print();
      await step.run(ctx);
      const lines = takeLines().map((e) => ({ label: e.label, text: e.text, stream: e.stream }));
      for (const l of lines) {
        const formatted = formatLine(l.label, l.text, l.stream);
        print(l.label === 'lesson' ? paint(color, '2', formatted) : paint(color, colorOf.get(l.label) ?? 0, formatted));
      }
      transcript.steps.push({ number: index + 1, title: step.title, lines: lines.map((l) => formatLine(l.label, l.text, l.stream)) });
      if (pausing && index < steps.length - 1) {
        write(paint(color, '2', `\n  ${(RUNNER_WORDS[lang] ?? RUNNER_WORDS.en).prompt}  `));
        const answer = (await ask()).trim().toLowerCase();
        if (answer === 'q') {
          stopped = true;
          break;
        }
        if (answer === 'c') pausing = false;
      }
    }
    // Every process must have ended by the end of the lesson.
    for (const proc of procs) {
      if (!proc.ended && !stopped) throw proc.error(`${proc.label} is still running at the end of the lesson`);
    }
  } finally {
    prompt?.close();
    await Promise.all(procs.map((p) => p.kill()));
    rmSync(tmp, { recursive: true, force: true });
  }
  print();
  return transcript;
}

export { scaled };
