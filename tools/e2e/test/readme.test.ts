/**
 * Every example of the root README.md that imports @ipckit/core runs, as it
 * is written, in a Node process of its own (the examples are TypeScript that
 * is also plain JavaScript, so Node runs them without a compiler), and must
 * end on its own with exit code 0.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PeerProcess } from '@ipckit/core/testing';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
/** Inside the repository, so that `@ipckit/*` resolves through its node_modules; `tmp/` is ignored by git. */
const SCRATCH = fileURLToPath(new URL('../tmp/', import.meta.url));

const examples = [...readFileSync(README, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((match) => match[1] as string)
  .filter((code) => code.includes("from '@ipckit/core'"));

describe('the README examples', () => {
  it('there are some', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  for (const [i, code] of examples.entries()) {
    const title = code.split('\n').find((line) => line.startsWith('const ') || line.startsWith('//')) ?? `example ${i + 1}`;
    it(`example ${i + 1} runs and ends (${title.slice(0, 60)})`, async () => {
      mkdirSync(SCRATCH, { recursive: true });
      const file = join(SCRATCH, `readme-${process.pid}-${i}.mjs`);
      writeFileSync(file, code);
      // No colours (a test runner may force them): what is printed is compared as text.
      const result = await PeerProcess.run(process.execPath, [file], { timeoutMs: 30_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
      expect(result.stderr, result.stdout).toBe('');
      expect(result.code, result.stdout).toBe(0);
      // `console.log(...); // 42` promises what is printed: the comment up to its first colon.
      const printed = result.stdout.split('\n');
      for (const [, promised] of code.matchAll(/console\.log\(.*\/\/ ([^:\n]+)/g)) expect(printed).toContain((promised as string).trim());
    });
  }
});
