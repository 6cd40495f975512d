// The exercises: for each lesson, a starter file a student completes (exercises/), the solution the
// text shows (src/exercises/ or c/), and one check that runs an attempt against the lesson's own
// programs and says what is wrong. `npm run lesson -- check 2 [file]` checks an attempt (the starter
// by default), `--solution` the solution; test/exercises.test.ts runs every check on the solution
// (it must pass) and on the untouched starter (it must fail).
//
// An attempt is a Node program (.mjs or .js, run with this Node) or a C program (.c, compiled with cc
// on Linux and gcc from mingw-w64 on Windows, with c/lesson.h beside the lessons' own programs).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { openRegion } from '@ipckit/shared-memory';
import { createEvent } from '@ipckit/sync';
import { basename, join, resolve } from 'node:path';
import { loadRun, RUN_FILE } from './bench.mjs';
import { LessonProcess } from './proc.mjs';
import { APP_DIR, BUILD_DIR, cProgram, compileC, nodeScript } from './programs.mjs';

export const STARTER_DIR = join(APP_DIR, 'exercises');

/** A unique object name for one check. */
const unique = (what) => `ex-${what}-${String(process.pid)}-${Math.random().toString(36).slice(2, 8)}`;

/** A check failed: `message` says what the attempt did, and what was expected. */
export class CheckFailed extends Error {}

const expectLine = (actual, test, what) => {
  if (!test(actual)) throw new CheckFailed(`${what}\n  got:      ${actual}`);
  return actual;
};

/**
 * @typedef {{ lesson: number, title: { en: string, 'zh-CN': string }, starter: string, solution: string,
 *   check: (run: Runner) => Promise<string> }} Exercise
 * @typedef {{ attempt: (label: string, args: string[]) => LessonProcess, lessonNode: (label: string, script: string, args: string[]) => LessonProcess,
 *   lessonC: (label: string, program: string, args: string[]) => LessonProcess, name: (what: string) => string }} Runner
 */

/** @type {Exercise[]} */
export const EXERCISES = [
  {
    lesson: 1,
    title: { en: 'a request and its reply through two mailslots', 'zh-CN': '用两个邮槽完成一问一答' },
    starter: 'exercises/ex1-reply.mjs',
    solution: 'src/exercises/ex1-reply.ts',
    async check(run) {
      const n = run.name('slot');
      const server = run.attempt('server', ['serve', n, '1']);
      await server.expect('serving');
      const client = run.attempt('client', ['ask', n, 'how long is this question']);
      const line = await client.expect('answer:');
      expectLine(
        line,
        (l) => l === 'answer: you asked "how long is this question"; the answer is 25 characters long',
        'expected the answer: answer: you asked "how long is this question"; the answer is 25 characters long',
      );
      await client.done();
      await server.done();
      return line;
    },
  },
  {
    lesson: 2,
    title: { en: 'a frame written by hand', 'zh-CN': '自己组一帧' },
    starter: 'exercises/ex2-frame.mjs',
    solution: 'src/exercises/ex2-frame.ts',
    async check(run) {
      const n = run.name('pipe');
      const server = run.lessonNode('pipe server', '02-pipes/server', [n]);
      await server.expect('listening on');
      const client = run.attempt('attempt', [n, 'by hand']);
      const line = await client.expect('the reply frame');
      expectLine(
        line,
        (l) => l === 'the reply frame: 4 + 7 bytes, "BY HAND"',
        'expected: the reply frame: 4 + 7 bytes, "BY HAND" (a 4-byte length, then the server\'s answer in capitals)',
      );
      await client.done();
      expectLine(await server.expect('got'), (l) => l === 'got 7 bytes: "by hand"', 'expected the server to get one message of 7 bytes, "by hand"');
      server.send('close');
      await server.done();
      return line;
    },
  },
  {
    lesson: 3,
    title: { en: 'a view at offset 70,000, mapped by hand in C', 'zh-CN': '用 C 自己在偏移 70,000 处映射视图' },
    starter: 'exercises/ex3_view.c',
    solution: 'c/ex3_view.c',
    async check(run) {
      const n = run.name('map');
      const writer = run.lessonNode('node writer', '03-mapping/writer', [n]);
      await writer.expect('wrote "far from the start"');
      const view = run.attempt('attempt', [n, '70000', '32']);
      const line = await view.expect(() => true);
      expectLine(line, (l) => l.includes('"far from the start"'), 'expected the text the writer put at offset 70000: "far from the start"');
      await view.done();
      writer.send('close');
      await writer.done();
      return line;
    },
  },
  {
    lesson: 4,
    title: { en: 'a seqlock: readers retry, no copy is torn', 'zh-CN': '顺序锁：读端重试，没有一份拷贝被撕裂' },
    starter: 'exercises/ex4-seqlock.mjs',
    solution: 'src/exercises/ex4-seqlock.ts',
    async check(run) {
      const n = run.name('seq');
      const writer = run.attempt('writer', ['write', n]);
      await writer.expect('writing');
      // The writer must move the sequence number (bytes 0-3): a reader can only retry on what it sees.
      const region = await openRegion(n);
      const seq = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 1);
      const until = Date.now() + 20_000; // a watchdog, not a measure: the number moves at the first write
      while (Atomics.load(seq, 0) < 2 && Date.now() < until && !writer.ended) await sleep(5);
      const moved = Atomics.load(seq, 0);
      region.close();
      if (moved < 2)
        throw new CheckFailed(
          'expected the writer to make the sequence number (the first 4 bytes) odd before each write and even after it\n  got:      it stays at 0',
        );
      const reader = run.attempt('reader', ['read', n, '200000']);
      const line = await reader.expect('copies', 120_000);
      expectLine(line, (l) => /^read 200000 copies: 0 torn, after \d+ retries$/.test(l), 'expected: read 200000 copies: 0 torn, after <n> retries');
      await reader.done(0, 120_000);
      writer.send('stop');
      await writer.done();
      return line;
    },
  },
  {
    lesson: 5,
    title: { en: "the pipe's ratio to shared memory, from the saved run", 'zh-CN': '从保存的运行结果算出管道与共享内存之比' },
    starter: 'exercises/ex5-ratios.mjs',
    solution: 'src/exercises/ex5-ratios.ts',
    async check(run) {
      const ratios = run.attempt('attempt', [RUN_FILE]);
      await ratios.done();
      const results = loadRun().results.filter((r) => r.scenario === 'ping-pong');
      const p50 = (target, size) => results.find((r) => r.target === target && r.sizeBytes === size)?.latencyNs.p50;
      const expected = loadRun()
        .options.sizes.filter((s) => p50('pipe', s) !== undefined && p50('shm-sync', s) !== undefined)
        .map((s) => `×${(p50('pipe', s) / p50('shm-sync', s)).toPrecision(3)}`);
      const got = ratios.lines.filter((l) => l.stream === 'out').map((l) => /×\S+$/.exec(l.text)?.[0] ?? l.text);
      if (got.join(' ') !== expected.join(' '))
        throw new CheckFailed(`expected one line a size, ending with the ratio: ${expected.join(' ')}\n  got:      ${got.join(' ')}`);
      return got.join(' ');
    },
  },
  {
    lesson: 6,
    title: { en: 'a slow subscriber that accounts for every message', 'zh-CN': '一个慢订阅者，把每条消息都对上账' },
    starter: 'exercises/ex6-account.mjs',
    solution: 'src/exercises/ex6-account.ts',
    async check(run) {
      const n = run.name('topic');
      const go = await createEvent(`${n}-go`, { manualReset: true });
      try {
        const publisher = run.lessonNode('publisher', '06-topics/publisher', [`shm://${n}`, 'drop-oldest', '4']);
        await publisher.expect('publishing');
        const attempt = run.attempt('attempt', [`shm://${n}`, `${n}-go`]);
        await attempt.expect('subscribed');
        publisher.send('wait 1');
        await publisher.expect('counted in');
        // Ten messages while the attempt reads nothing: drop-oldest keeps the last four (the capacity) for it.
        publisher.send('send 10');
        await publisher.expect('sent');
        go.set();
        publisher.send('close');
        await publisher.done();
        const line = await attempt.expect('received');
        expectLine(
          line,
          (l) => l === 'received 4 and missed 6 of 10 messages',
          'expected: received 4 and missed 6 of 10 messages (the publisher sent 10; drop-oldest dropped the oldest 6 for the slow subscriber and said so in missed)',
        );
        await attempt.done();
        return line;
      } finally {
        go.close();
      }
    },
  },
  {
    lesson: 7,
    title: { en: 'a file for its owner only, created exclusively (POSIX)', 'zh-CN': '只属于所有者、独占创建的文件（POSIX）' },
    starter: 'exercises/ex7-private.mjs',
    solution: 'src/exercises/ex7-private.ts',
    async check(run) {
      const folder = mkdtempSync(join(tmpdir(), 'ipckit-ex7-'));
      try {
        const path = join(folder, 'secret');
        const first = run.attempt('attempt', [path]);
        const line = await first.expect(() => true);
        await first.exit();
        const mode = existsSync(path) ? statSync(path).mode & 0o777 : undefined;
        if (mode !== 0o600)
          throw new CheckFailed(
            `expected ${path} to be made with mode 0600 (O_CREAT with mode 0600, then fchmod)\n  got:      ${mode === undefined ? 'no file' : mode.toString(8)}`,
          );
        // The same name again: someone made it first, so it must be refused, not opened.
        const again = run.attempt('attempt', [path]);
        expectLine(await again.expect(() => true), (l) => l === 'refused: EEXIST', 'expected a second run on the same path to print: refused: EEXIST (O_EXCL)');
        if ((await again.exit()) !== 1) throw new CheckFailed('expected a refusal to exit with status 1');
        // A dangling symlink planted where the file should go: opening through it would create its target.
        const planted = join(folder, 'planted');
        symlinkSync(join(folder, 'target'), planted);
        const link = run.attempt('attempt', [planted]);
        expectLine(
          await link.expect(() => true),
          (l) => l === 'refused: EEXIST',
          'expected a planted symlink to be refused: refused: EEXIST (O_EXCL never follows a link)',
        );
        await link.exit();
        if (existsSync(join(folder, 'target'))) throw new CheckFailed("expected the link's target not to be created\n  got:      it was");
        return `${line.replace(folder, '<folder>')}; the same name again and a planted link: refused: EEXIST`;
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  },
  {
    lesson: 8,
    title: { en: 'a lock taken without waiting, or "busy"', 'zh-CN': '不等待地加锁，否则报告 “busy”' },
    starter: 'exercises/ex8_lock.c',
    solution: 'c/ex8_lock.c',
    async check(run) {
      const folder = mkdtempSync(join(tmpdir(), 'ipckit-ex8-'));
      try {
        const file = join(folder, 'locked.dat');
        const holder = run.lessonC('holder', 'tb_lock', ['hold', file]);
        await holder.expect('holding bytes 0-99');
        // Held by another process: the attempt must say so at once, not wait and not lie.
        const busy = run.attempt('attempt', [file]);
        expectLine(
          await busy.expect(() => true),
          (l) => l === 'busy: another process holds bytes 0-99',
          'expected, while another process holds bytes 0-99: busy: another process holds bytes 0-99 (a lock request that fails at once)',
        );
        await busy.done(1);
        holder.send('release');
        await holder.done();
        const free = run.attempt('attempt', [file]);
        const line = await free.expect(() => true);
        expectLine(line, (l) => l === 'locked bytes 0-99, then released them', 'expected, once the holder has released: locked bytes 0-99, then released them');
        await free.done();
        return `busy while held; then: ${line}`;
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  },
];

/** The exercise of lesson `n`. */
export const exerciseOf = (n) => EXERCISES.find((e) => e.lesson === Number(n));

/** How to run an attempt file: the command (Node or the compiled C program) and its first arguments. */
function attemptCommand(file) {
  if (file.endsWith('.c')) {
    // One executable per source path: the starter and the solution never overwrite each other.
    const tag = createHash('sha256').update(resolve(file)).digest('hex').slice(0, 8);
    const out = join(BUILD_DIR, 'c-attempts', `${basename(file, '.c')}-${tag}`);
    mkdirSync(join(BUILD_DIR, 'c-attempts'), { recursive: true });
    return [compileC(resolve(file), out), []];
  }
  if (file.endsWith('.ts')) {
    // A solution of src/exercises: its compiled program (a Windows path has backslashes).
    return [
      process.execPath,
      [
        nodeScript(
          file
            .replaceAll('\\', '/')
            .replace(/^.*src\//, '')
            .replace(/\.ts$/, ''),
        ),
      ],
    ];
  }
  return [process.execPath, [resolve(file)]];
}

/**
 * Runs exercise `exercise` on `file` (a path; default its starter). Resolves with { ok, message };
 * every process it started is gone when it resolves.
 * @param {Exercise} exercise
 * @param {string} [file]
 */
export async function checkExercise(exercise, file = join(APP_DIR, exercise.starter)) {
  const [command, first] = attemptCommand(file);
  return checkProgram(exercise, command, first);
}

/**
 * Runs exercise `exercise` on an attempt already built: `command` with `first` before the check's own
 * arguments (the Windows lane's C programs, cross-compiled with mingw, since no compiler runs inside
 * Wine). Resolves like checkExercise.
 * @param {Exercise} exercise
 * @param {string} command
 * @param {string[]} [first]
 */
export async function checkProgram(exercise, command, first = []) {
  let sequence = 0;
  const procs = [];
  const start = (label, command, args) => {
    const proc = new LessonProcess(label, command, args, { sequence: () => sequence++ });
    procs.push(proc);
    return proc;
  };
  const run = {
    attempt: (label, args) => start(label, command, [...first, ...args]),
    lessonNode: (label, script, args) => start(label, process.execPath, [nodeScript(script), ...args]),
    lessonC: (label, program, args) => start(label, cProgram(program), args),
    name: unique,
  };
  try {
    return { ok: true, message: await exercise.check(run) };
  } catch (error) {
    const output = procs
      .flatMap((p) => p.lines.map((l) => `  ${p.label.padEnd(11)} ${l.stream === 'err' ? '!' : '│'} ${l.text}`))
      .slice(-20)
      .join('\n');
    return { ok: false, message: `${error instanceof Error ? error.message : String(error)}${output ? `\n\nwhat the programs printed:\n${output}` : ''}` };
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
  }
}
