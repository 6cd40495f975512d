// What each test/win32/lesson<n>.test.mjs does: runs lesson <n> under Windows Node (in the Windows
// lane: node.exe in Wine, the C programs cross-compiled with mingw and found through
// IPCKIT_NATIVE_DIR), keeps its transcript in build/transcripts/windows/ (bin/quote.mjs --windows
// copies it into the texts), and compares it with the Windows output both texts quote. Not a test
// file itself.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findLesson } from '../../lib/lessons/index.mjs';
import { BUILD_DIR } from '../../lib/programs.mjs';
import { checkQuotes, quotedBlocks } from '../../lib/quotes.mjs';
import { LANGS, runLesson, scaled } from '../../lib/runner.mjs';
import { textFile } from '../../lib/texts.mjs';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

export function lessonTest(number) {
  const lesson = findLesson(number);
  test(`lesson ${number} (${lesson.slug}) runs on Windows, C programs included, and prints what its texts quote`, { timeout: scaled(240_000) }, async () => {
    let output = '';
    const transcript = await runLesson(lesson, { write: (text) => (output += text) });
    const folder = join(BUILD_DIR, 'transcripts', 'windows');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${number}.json`), JSON.stringify(transcript, null, 2));
    assert.equal(transcript.steps.length, lesson.steps.length, 'every step ran');
    for (const lang of LANGS) {
      const file = textFile(lesson, lang);
      assert.ok(existsSync(file), `${file} exists`);
      const markdown = readFileSync(file, 'utf8');
      assert.ok(
        quotedBlocks(markdown).some((b) => b.os === 'windows'),
        `${file} quotes some Windows output`,
      );
      const problems = checkQuotes(markdown, transcript, 'windows', lesson.masks);
      assert.deepEqual(
        problems,
        [],
        `${file}: the quoted Windows output differs from this run (node apps/lessons/bin/quote.mjs --windows updates it):\n${problems.join('\n')}\n\nfull output:\n${output}`,
      );
    }
  });
}
