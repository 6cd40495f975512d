/**
 * The Windows C programs build with MSVC (issue 22 §3): each source the Windows lane builds
 * (test/win32/native.json) and each exercise starter a reader builds on Windows, with the headers it
 * includes, checked in clang's MSVC mode over mingw-w64's Windows headers (tools/msvc-check: no MSVC
 * and no Windows SDK can be had on Linux). Any error, any warning at /W4 and any GNU C that clang
 * takes there and MSVC does not fails the test.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { STARTER_DIR } from '../lib/exercises.mjs';
import { APP_DIR, REPO_ROOT, windowsManifest } from '../lib/programs.mjs';

/** tools/msvc-check/index.mjs, outside this project's TypeScript: its exports as they are used here. */
interface MsvcCheck {
  ensureMsvcCheck: (options?: { log?: (line: string) => void }) => string[];
  checkMsvc: (
    source: string,
    options?: { include?: string[] },
  ) => { source: string; command: string; ok: boolean; diagnostics: string[]; gnu: string[]; headers: string[] };
}
const { checkMsvc, ensureMsvcCheck } = (await import(pathToFileURL(join(REPO_ROOT, 'tools', 'msvc-check', 'index.mjs')).href)) as MsvcCheck;

const WIN32_TEST_DIR = join(APP_DIR, 'test', 'win32');
const programs = Object.values(windowsManifest()).map((source) => resolve(WIN32_TEST_DIR, source));
const starters = readdirSync(STARTER_DIR)
  .filter((f) => f.endsWith('.c'))
  .map((f) => join(STARTER_DIR, f));
const C_DIR = join(APP_DIR, 'c');

beforeAll(() => {
  // clang and mingw-w64's headers from Debian when missing (tools/apt.mjs), never assumed.
  ensureMsvcCheck({ log: (line) => console.log(line) });
}, 600_000);

describe('the Windows C programs in MSVC mode (clang-cl, mingw-w64 headers)', () => {
  it('covers every program the Windows lane builds', () => {
    expect(programs.length).toBeGreaterThanOrEqual(26);
    expect(starters.length).toBeGreaterThanOrEqual(2);
  });

  it.each([...programs, ...starters].map((file) => [relative(APP_DIR, file), file]))('%s', (_name, file) => {
    // -I c/: a starter includes "lesson.h" like the lessons' own programs (lib/programs.mjs).
    const r = checkMsvc(file, { include: [C_DIR] });
    const problems = [...r.diagnostics, ...r.gnu, ...r.headers];
    expect(problems, `${r.command}\n${problems.join('\n')}`).toEqual([]);
  });
});

describe('the check itself', () => {
  it('fails on what MSVC rejects and gcc takes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msvc-check-'));
    try {
      const bad = join(dir, 'bad.c');
      writeFileSync(
        bad,
        [
          '#include "lesson.h"',
          '#include <unistd.h>',
          'int f(void);',
          'int main(int argc, char **argv) {',
          '  char v[argc];', // a VLA
          '  int y = ({ 1; });', // a statement expression
          '  __attribute__((unused)) typeof(y) t = 0;', // GNU attribute and typeof
          '  int a[2] = {f(), 1};', // C4204
          '  size_t n = strlen(argv[0]); int k = n;', // C4267
          '  say("__attribute__ in a string is fine");',
          '  return v[0] + y + t + a[0] + k;',
          '}',
          '',
        ].join('\n'),
      );
      const r = checkMsvc(bad, { include: [C_DIR] });
      expect(r.ok).toBe(false);
      const all = [...r.diagnostics, ...r.gnu, ...r.headers].join('\n');
      expect(all).toMatch(/variable length array/);
      expect(all).toMatch(/statement expression/);
      expect(all).toMatch(/bad\.c:7: __attribute__/);
      expect(all).toMatch(/bad\.c:7: typeof/);
      expect(all).toMatch(/C4204/);
      expect(all).toMatch(/loses integer precision/);
      expect(all).toMatch(/<unistd\.h>/);
      expect(r.gnu.filter((g) => g.includes(':10:'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
