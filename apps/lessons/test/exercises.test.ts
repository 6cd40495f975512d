/**
 * The exercises (lib/exercises.mjs): each check passes on the solution the lesson text shows, and
 * fails, saying what is missing, on the untouched starter a student begins from (so the check a
 * student runs with `npm run lesson -- check N` can fail). (Windows: test/win32/exercises.test.mjs.)
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXERCISES, checkExercise } from '../lib/exercises.mjs';
import { LESSONS } from '../lib/lessons/index.mjs';
import { APP_DIR } from '../lib/programs.mjs';

describe.runIf(process.platform === 'linux')('the exercises (Linux)', () => {
  it('every lesson has one', () => {
    expect(EXERCISES.map((e) => e.lesson).sort()).toEqual(LESSONS.map((l) => l.number).sort());
  });

  for (const exercise of EXERCISES) {
    it(`${String(exercise.lesson)}: ${exercise.title.en}: the solution passes the check`, async () => {
      const result = await checkExercise(exercise, join(APP_DIR, exercise.solution));
      expect(result.message).not.toContain('expected');
      expect(result.ok).toBe(true);
    });

    it(`${String(exercise.lesson)}: the starter does not pass, and the check says what it expected`, async () => {
      const result = await checkExercise(exercise);
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/expected/);
    });
  }
});
