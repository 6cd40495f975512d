import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// The require(esm) path of Node >= 20.19 (every package's `engines`): a CommonJS program
// require()s each entry point of each package, ESM-only as they are, and TypeScript's node20
// module mode (its model of that Node) type-checks a CommonJS consumer. The packages are the
// workspace's own (node_modules links to their built dist/), as a user's install would resolve them.

interface PackagesModule {
  REPO_ROOT: string;
  PUBLISHED: string[];
  manifestOf: (dir: string) => { name: string; exports?: Record<string, unknown> };
}
const { REPO_ROOT, PUBLISHED, manifestOf } = (await import(pathToFileURL(join(import.meta.dirname, '..', 'packages.mjs')).href)) as PackagesModule;

/** Every entry point of every package that has exports, as import specifiers. */
const ENTRIES = PUBLISHED.flatMap((dir) => {
  const { name, exports } = manifestOf(dir);
  return Object.keys(exports ?? {})
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? name : `${name}/${key.slice(2)}`));
});

describe('require(esm)', () => {
  it.each(ENTRIES)('require(%s) works from CommonJS and gives what import() gives', (specifier) => {
    const script = `
      const required = require(${JSON.stringify(specifier)});
      import(${JSON.stringify(specifier)}).then((imported) => {
        const a = Object.keys(required).sort().join(','), b = Object.keys(imported).sort().join(',');
        if (a !== b) throw new Error('require and import differ: ' + a + ' / ' + b);
        console.log(JSON.stringify({ exports: Object.keys(required).length }));
      });`;
    const r = spawnSync(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { exports: number }).exports).toBeGreaterThan(0);
  });

  it('a CommonJS consumer type-checks with TypeScript’s node20 module mode', () => {
    const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
    const r = spawnSync(tsc, ['-p', join(import.meta.dirname, 'fixtures', 'require-esm')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
