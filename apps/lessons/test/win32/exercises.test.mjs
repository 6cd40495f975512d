// The exercises' solutions under Windows Node (the Windows lane: node.exe in Wine; ex3_view.c built
// with mingw), as test/exercises.test.ts runs them on Linux. Exercises 3 to 5 keep Windows checks of
// their own: 3's C program is the one the lane cross-compiled (no compiler runs inside Wine) and shows
// the 64 KiB allocation granularity, 4 reads fewer copies under Wine, 5 reads the Windows run's ratios.
// Exercise 8 runs lib/exercises.mjs's own check on the ex8_lock.exe the lane cross-compiled. Exercise 7
// runs only its exclusive-creation half here (see its test for why the rest is POSIX only).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { LessonProcess, scaled } from '../../lib/proc.mjs';
import { APP_DIR, cProgram, nodeScript } from '../../lib/programs.mjs';
import { checkExercise, checkProgram, exerciseOf } from '../../lib/exercises.mjs';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

let sequence = 0;
const procs = [];
const start = (label, file, args) => {
  const proc = new LessonProcess(label, file, args, { sequence: () => sequence++ });
  procs.push(proc);
  return proc;
};
const node = (script, ...args) => start(script, process.execPath, [nodeScript(script), ...args]);
const name = (what) => `ex-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const T = { timeout: scaled(120_000) };

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

describe("the exercises' solutions (Windows)", () => {
  // Exercises 1, 2 and 6 run the same check as `npm run lesson -- check N --solution` (lib/exercises.mjs):
  // the solution must pass it under Windows Node too.
  for (const lesson of [1, 2, 6]) {
    const exercise = exerciseOf(lesson);
    test(`${lesson}: ${exercise.title.en}: the solution passes the check`, T, async () => {
      const result = await checkExercise(exercise, join(APP_DIR, exercise.solution));
      assert.ok(result.ok, result.message);
    });
  }

  test('3: a view at offset 70,000 mapped by hand in C (MapViewOfFile at a multiple of 64 KiB)', T, async () => {
    const n = name('map');
    const writer = node('03-mapping/writer', n);
    await writer.expect('wrote "far from the start"');
    const view = start('ex3_view', cProgram('ex3_view'), [n, '70000', '32']);
    assert.equal(await view.expect('mapped from'), 'mapped from 65536 (a multiple of 65536), skipped 4464 bytes: "far from the start"');
    await view.done();
    writer.send('close');
    await writer.done();
  });

  test('4: a seqlock: readers retry instead of locking, and no copy is torn', T, async () => {
    const n = name('seq');
    const writer = node('exercises/ex4-seqlock', 'write', n);
    await writer.expect('writing');
    const reader = node('exercises/ex4-seqlock', 'read', n, '100000');
    assert.match(await reader.expect('copies'), /^read 100000 copies: 0 torn, after \d+ retries$/);
    await reader.done(0, scaled(60_000));
    writer.send('stop');
    await writer.done();
  });

  test('5: the ratios computed from the saved bench run', T, async () => {
    const ratios = node('exercises/ex5-ratios', join(APP_DIR, 'bench', 'run.json'));
    await ratios.done();
    assert.ok(ratios.lines.length > 0);
    for (const line of ratios.lines) assert.match(line.text, /B: pipe .* = ×\S+$/);
  });

  // Exercise 7's check (lib/exercises.mjs) cannot pass on Windows, by design of the OS rather than of
  // the solution: Windows has no mode bits (Node's fchmod there only sets or clears the read-only
  // attribute, and fstat reports 0666 for any writable file), so "mode 0600" cannot be asked for;
  // there is no O_NOFOLLOW (fs.constants lacks it: the solution ORs in nothing); and planting a
  // symbolic link needs SeCreateSymbolicLinkPrivilege on Windows. Who may open a file is its DACL
  // there, which lesson 7's sec_owner.c sets in C (test/win32/lesson7.test.mjs). What does carry over
  // is O_CREAT | O_EXCL, which libuv turns into CREATE_NEW: the name taken, nothing is opened.
  test('7: exclusive creation (O_EXCL, CREATE_NEW on Windows): a name that exists is refused with EEXIST and left untouched', T, async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ipckit-ex7-'));
    try {
      const path = join(folder, 'secret');
      const first = node('exercises/ex7-private', path);
      // Windows has no mode bits: what fstat reports is 0666, whatever fchmod was asked.
      assert.equal(await first.expect('created'), `created ${path}: mode 0666`);
      await first.done();
      assert.equal(readFileSync(path, 'utf8'), 'for my eyes only\n');
      const again = node('exercises/ex7-private', path);
      assert.equal(await again.expect('refused'), 'refused: EEXIST');
      await again.done(1);
      assert.equal(readFileSync(path, 'utf8'), 'for my eyes only\n', 'the refused run wrote nothing');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  // Exercise 8: the same check as `npm run lesson -- check 8 --solution`, but on the ex8_lock.exe the
  // lane built with mingw (test/win32/native.json), since no compiler runs inside Wine: tb_lock.exe
  // holds bytes 0-99 with LockFileEx, the solution must say "busy" at once
  // (LOCKFILE_FAIL_IMMEDIATELY, ERROR_LOCK_VIOLATION), then lock once they are released.
  test(`8: ${exerciseOf(8).title.en}: the solution built with mingw passes the check`, T, async () => {
    const result = await checkProgram(exerciseOf(8), cProgram('ex8_lock'));
    assert.ok(result.ok, result.message);
    assert.equal(result.message, 'busy while held; then: locked bytes 0-99, then released them');
  });
});
