/**
 * Every lesson runs here, on Linux, C programs included, and prints what its texts quote: the
 * `output=linux` blocks of both languages are compared with this run, masked (pids, times, the random
 * part of names, and each lesson's own masks). A change that changes what a lesson prints fails here
 * until the text is updated (`node apps/lessons/bin/quote.mjs`). And a lesson leaves nothing behind: no
 * shared memory object, no socket file of its run. Windows: test/win32/lesson<n>.test.mjs.
 */

/** Whatever this run's names left in /dev/shm and in ipckit's socket folders. */
async function leftovers(name: string): Promise<string[]> {
  const folders = ['/dev/shm', dirname(await pipePath('x')), dirname(await mailslotPath('x'))];
  return folders.flatMap((folder) =>
    existsSync(folder)
      ? readdirSync(folder)
          .filter((f) => f.includes(name))
          .map((f) => `${folder}/${f}`)
      : [],
  );
}
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mailslotPath } from '@ipckit/mailslot';
import { pipePath } from '@ipckit/named-pipe';
import { describe, expect, it } from 'vitest';
import { LESSONS } from '../lib/lessons/index.mjs';
import { checkQuotes, quotedBlocks } from '../lib/quotes.mjs';
import { LANGS, runLesson } from '../lib/runner.mjs';
import { textFile } from '../lib/texts.mjs';

describe.runIf(process.platform === 'linux')('each lesson runs on Linux and prints what its texts quote', () => {
  for (const lesson of LESSONS) {
    it(`lesson ${String(lesson.number)} (${lesson.slug})`, async () => {
      let output = '';
      const transcript = await runLesson(lesson, { write: (text: string) => (output += text) });
      expect(transcript.steps.map((s) => s.number)).toEqual(lesson.steps.map((_, i) => i + 1));
      expect(output).toContain(lesson.title.en);
      expect(await leftovers(transcript.name)).toEqual([]);
      for (const lang of LANGS) {
        const file = textFile(lesson, lang);
        const markdown = readFileSync(file, 'utf8');
        expect(quotedBlocks(markdown).filter((b) => b.os === 'linux').length, `${file} quotes Linux output`).toBeGreaterThan(0);
        expect(checkQuotes(markdown, transcript, 'linux', lesson.masks), `${file} (node apps/lessons/bin/quote.mjs updates it)`).toEqual([]);
      }
    });
  }
});
