import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Each published package as the registry would get it (`npm pack`), checked the way the
// ecosystem checks packages: what is in the tarball, publint, and @arethetypeswrong/cli.

interface Packed {
  tarball: string;
  files: { path: string; size: number }[];
  name: string;
  version: string;
}
interface PackagesModule {
  REPO_ROOT: string;
  REPOSITORY: string;
  PUBLISHED: string[];
  manifestOf: (dir: string) => Manifest;
  pack: (dir: string, destination: string) => Packed;
}
interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  type?: string;
  engines?: { node?: string };
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  publishConfig?: { access?: string };
  exports?: Record<string, { types?: string; default?: string } | string>;
  bin?: Record<string, string>;
  files?: string[];
}

const { REPO_ROOT, REPOSITORY, PUBLISHED, manifestOf, pack } = (await import(
  pathToFileURL(join(import.meta.dirname, '..', 'packages.mjs')).href
)) as PackagesModule;

const work = mkdtempSync(join(tmpdir(), 'ipckit-pack-'));
const packed = new Map<string, Packed & { root: string }>();

beforeAll(() => {
  for (const dir of PUBLISHED) {
    const result = pack(dir, work);
    const root = join(work, dir.replaceAll('/', '-'));
    mkdirSync(root, { recursive: true });
    const tar = spawnSync('tar', ['-xzf', result.tarball, '-C', root], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar -xzf ${result.tarball}: ${tar.stderr}`);
    packed.set(dir, { ...result, root: join(root, 'package') });
  }
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function get(dir: string): Packed & { root: string } {
  const p = packed.get(dir);
  if (!p) throw new Error(`${dir} was not packed`);
  return p;
}

/** Debris and test files: never in a tarball. */
const FORBIDDEN = [
  /(^|\/)test\//,
  /\.test\.[cm]?[jt]s$/,
  /(^|\/)tsconfig[^/]*\.json$/,
  /(^|\/)vitest\.config\./,
  /\.tsbuildinfo$/,
  /(^|\/)out-tsc\//,
  /(^|\/)node_modules\//,
  /(^|\/)build\//,
  /(^|\/)build-win32\//,
  /(^|\/)\.nx\//,
  /(^|\/)coverage\//,
  /\.log$/,
  /\.tgz$/,
  /(^|\/)\.DS_Store$/,
  /(^|\/)project\.json$/,
];

describe.each(PUBLISHED)('%s', (dir) => {
  const manifest = manifestOf(dir);

  it('package.json: public, MIT, ESM, a Node engine, and where it comes from', () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe('MIT');
    expect(manifest.type).toBe('module');
    expect(manifest.engines?.node).toBe('>=20.19');
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git`, directory: dir });
    expect(manifest.homepage).toBe(`${REPOSITORY}/tree/main/${dir}#readme`);
    if (manifest.name.startsWith('@')) expect(manifest.publishConfig?.access).toBe('public');
  });

  it('ships what a user needs: LICENSE, README, every entry point and bin, the compiled code of every source', () => {
    const p = get(dir);
    const files = new Set(p.files.map((f) => f.path));
    expect(readFileSync(join(p.root, 'LICENSE'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8'));
    expect(files).toContain('README.md');
    expect(files).toContain('package.json');
    for (const entry of Object.values(manifest.exports ?? {})) {
      for (const target of typeof entry === 'string' ? [entry] : [entry.types, entry.default]) {
        if (target !== undefined) expect(files, `${target} (exports)`).toContain(posix.normalize(target));
      }
    }
    for (const bin of Object.values(manifest.bin ?? {})) expect(files, `${bin} (bin)`).toContain(posix.normalize(bin));
    for (const source of p.files.filter((f) => /^src\/.*\.ts$/.test(f.path) && !f.path.endsWith('.d.ts'))) {
      const base = source.path.replace(/^src\//, 'dist/').replace(/\.ts$/, '');
      expect(files, `${base}.js`).toContain(`${base}.js`);
      expect(files, `${base}.d.ts`).toContain(`${base}.d.ts`);
    }
    if (dir === 'packages/native') {
      for (const target of ['linux-x64', 'linux-arm64', 'win32-x64']) expect(files).toContain(`prebuilds/${target}/ipckit_native.node`);
      for (const file of ['prebuilds/manifest.json', 'binding.gyp', 'scripts/install.mjs', 'src/addon.cc']) expect(files).toContain(file);
      // The prebuild scripts are the repository's tooling, not the package's.
      expect([...files].filter((f) => f.startsWith('scripts/')).sort()).toEqual(['scripts/install.mjs']);
    }
  });

  it('ships nothing of tests or build debris', () => {
    const bad = get(dir).files.filter((f) => FORBIDDEN.some((pattern) => pattern.test(f.path)));
    expect(bad.map((f) => f.path)).toEqual([]);
  });

  it('its source maps and declaration maps resolve to files in the package', () => {
    const p = get(dir);
    const files = new Set(p.files.map((f) => f.path));
    const maps = p.files.filter((f) => f.path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(p.root, map.path), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(files, `${map.path} -> ${source}`).toContain(posix.join(posix.dirname(map.path), source));
    }
  });

  it("its README's links work on the registry's page: absolute, and to files that exist", () => {
    const readme = readFileSync(join(get(dir).root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? '');
    for (const link of links) {
      expect(link, `${dir}/README.md links ${link}`).toMatch(/^(https?:\/\/|#|mailto:)/);
      const inRepo = new RegExp(`^${REPOSITORY}/(?:blob|tree)/main/([^#?]+)`).exec(link);
      if (inRepo?.[1] !== undefined) expect(existsSync(join(REPO_ROOT, inRepo[1])), `${link}: no ${inRepo[1]} in the repository`).toBe(true);
    }
  });

  it('publint finds nothing, not even a suggestion', async () => {
    // The unpacked tarball: exactly the files that would be published (hence pack: false).
    const { messages, pkg } = await publint({ pkgDir: get(dir).root, pack: false, level: 'suggestion', strict: true });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`)).toEqual([]);
  });

  // attw's node16 profile with one rule left out: from CommonJS, TypeScript's node16 mode sees an
  // ESM-only package as "dynamic import only"; Node >= 20.19 (this package's engines) require()s
  // it anyway (require(esm)), which require-esm.test.ts proves at run time and for the types.
  // (A package without exports, a command only, has no types to check.)
  if (manifest.exports !== undefined)
    it('@arethetypeswrong/cli: types resolve for import and for require, every entry point', () => {
      const attw = join(REPO_ROOT, 'node_modules', '.bin', 'attw');
      const r = spawnSync(attw, [get(dir).tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'json'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const report = JSON.parse(r.stdout) as { problems?: Record<string, { kind: string; entrypoint: string; resolutionKind?: string }[]> };
      const counted = Object.values(report.problems ?? {})
        .flat()
        .filter((problem) => problem.kind !== 'CJSResolvesToESM' && problem.resolutionKind !== 'node10');
      expect(counted).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
    });
});

describe('the checks themselves', () => {
  it('publint does find a broken package (so a clean report means something)', async () => {
    const broken = join(work, 'broken');
    mkdirSync(join(broken, 'dist'), { recursive: true });
    writeFileSync(join(broken, 'dist', 'index.js'), 'export const x = 1;\n');
    writeFileSync(
      join(broken, 'package.json'),
      JSON.stringify({ name: 'broken', version: '1.0.0', type: 'module', exports: { '.': { default: './dist/index.js', types: './dist/index.d.ts' } } }),
    );
    const { messages } = await publint({ pkgDir: broken, pack: false, level: 'suggestion', strict: true });
    expect(messages.map((m) => m.code)).toEqual(expect.arrayContaining(['EXPORTS_DEFAULT_SHOULD_BE_LAST', 'FILE_DOES_NOT_EXIST']));
  });
});

describe('the list of published packages', () => {
  it('is every workspace package that is not private', () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const ls = spawnSync('npm', ['query', '.workspace', '--json'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(ls.status, ls.stderr).toBe(0);
    const workspaces = JSON.parse(ls.stdout) as { location: string; private?: boolean }[];
    expect(root.workspaces.length).toBeGreaterThan(0);
    const expected = workspaces.filter((w) => w.private !== true).map((w) => w.location);
    expect([...PUBLISHED].sort()).toEqual(expected.sort());
    for (const dir of PUBLISHED) expect(existsSync(join(REPO_ROOT, dir, 'LICENSE')), `${dir}/LICENSE`).toBe(true);
    expect(dirname(join(REPO_ROOT, 'LICENSE'))).toBe(REPO_ROOT);
  });
});
