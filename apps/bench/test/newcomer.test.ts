/**
 * The bench as a newcomer runs it (issue 18 §2): `npm run bench -- …` from the repository, in a real
 * terminal (tmux, tools/terminal.mjs), where Nx would ask "Share usage data with the Nx team?" and
 * write the answer into nx.json. Nothing may prompt, nothing tracked may change, `--help` is the
 * bench's own, and --json / --html land where the user ran the command, git-ignored.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Terminal } from '../../../tools/terminal.mjs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// A folder of the user's inside the checkout (tmp/ is git-ignored), to run npm from.
const HERE = join(ROOT, 'tmp', `bench-newcomer-${process.pid}`);
mkdirSync(HERE, { recursive: true });
afterAll(() => rmSync(HERE, { recursive: true, force: true }));

// Nx runs inside this test (that is what is under test), while other projects' tests run programs
// from the packages' dist/ folders. A cache hit makes Nx restore a dist/ (delete, then copy), and a
// program starting just then failed with ERR_MODULE_NOT_FOUND: here Nx builds instead of restoring,
// and tsc --build leaves an up-to-date dist/ alone.
const NX_ENV = { NX_SKIP_NX_CACHE: 'true' };

const tracked = (): string =>
  spawnSync('git', ['status', '--porcelain', '--', 'nx.json', 'package.json', 'apps/bench'], { cwd: ROOT, encoding: 'utf8' }).stdout;

describe('npm run bench in a terminal', () => {
  it('`npm run bench -- --help` prints the bench’s help, asks nothing, changes no tracked file', async () => {
    const nxJson = readFileSync(join(ROOT, 'nx.json'), 'utf8');
    const before = tracked();
    const term = Terminal.start('npm run bench -- --help', { cwd: HERE, env: NX_ENV });
    try {
      expect(await term.exitCode(300_000)).toBe(0);
      const screen = term.screen();
      expect(screen).toContain('ipckit-bench — ');
      expect(screen).toContain('ipckit-bench compare A.json B.json');
      expect(screen).not.toMatch(/Share usage data|Would you like/);
    } finally {
      term.close();
    }
    expect(readFileSync(join(ROOT, 'nx.json'), 'utf8')).toBe(nxJson);
    expect(tracked()).toBe(before);
  });

  it('--json run.json --html run.html are written where it was run, and git ignores them', async () => {
    const term = Terminal.start(
      'npm run bench -- --quick --transports tcp --baselines none --scenarios ping-pong --sizes 64 --trials 1 --progress none --json run.json --html run.html',
      { cwd: HERE, env: NX_ENV },
    );
    try {
      expect(await term.exitCode(300_000)).toBe(0);
    } finally {
      term.close();
    }
    expect(existsSync(join(HERE, 'run.json'))).toBe(true);
    expect(existsSync(join(HERE, 'run.html'))).toBe(true);
    expect(existsSync(join(ROOT, 'apps', 'bench', 'run.json'))).toBe(false);
    // Ignored by name anywhere in the checkout, not only because tmp/ is.
    const ignored = spawnSync('git', ['check-ignore', '--no-index', 'run.json', 'run.html', 'apps/bench/run.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(ignored.stdout.trim().split('\n')).toEqual(['run.json', 'run.html', 'apps/bench/run.json']);
  });
});
