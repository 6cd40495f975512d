// The commands docs/cli.md prints for a user to try, run as printed (issue 18: "the README's and
// docs' commands must work as printed"): the fenced block after `<!-- tested: docs-cli -->`, in sh,
// from the repository root, as a user who ran `npm install` there would.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { within } from '@ipckit/core/testing';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The shell block after `marker` in `file` (a path from the repository root). */
function block(file: string, marker: string): string {
  const text = readFileSync(`${ROOT}${file}`, 'utf8');
  const at = text.indexOf(marker);
  const match = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (at === -1 || !match?.[1]) throw new Error(`${file} has no sh block after ${marker}`);
  return match[1];
}

describe('docs/cli.md as printed', () => {
  it('the "Try it" lines run and print what they say', async () => {
    const script = block('docs/cli.md', '<!-- tested: docs-cli -->');
    const child = spawn('sh', ['-e', '-c', script], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    const code = await within(120_000, 'the docs/cli.md block', new Promise<number | null>((resolve) => child.on('close', resolve))).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    expect(code, `${out}\n${err}`).toBe(0);
    // The listener prints each message it got; request and connect print the echoes.
    expect(out.split('\n').filter(Boolean).sort()).toEqual(['one', 'one', 'ping', 'ping', 'two', 'two']);
  });
});
