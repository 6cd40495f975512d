import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// The committed prebuilds against the sources, without a compiler: prebuilds/manifest.json
// records the hash of everything each build read (scripts/prebuild/targets.mjs, inputsHash), so
// a source changed without rebuilding fails here. Rebuilding and comparing the bytes is
// `npm run verify:prebuilds -w @ipckit/native` (in .ci/run).
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Entry {
  file: string;
  bytes: number;
  sha256: string;
  inputs: string;
  libc?: string;
  glibc?: string;
  needs?: string[];
  compiler: string;
}
interface Manifest {
  napiVersion: number;
  glibcFloor: string;
  targets: Record<string, Entry>;
}
interface Targets {
  TARGETS: Record<string, { os: 'linux' | 'win32' }>;
  GLIBC_FLOOR: string;
  NAPI_VERSION: number;
  inputsHash(target: string): string;
  sourcesFor(os: string): string[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'prebuilds', 'manifest.json'), 'utf8')) as Manifest;
const targets = (await import(pathToFileURL(join(ROOT, 'scripts', 'prebuild', 'targets.mjs')).href)) as Targets;
const REBUILD = 'run `npm run build:prebuilds -w @ipckit/native` and commit prebuilds/';

describe('the committed prebuilds', () => {
  it('cover linux-x64, linux-arm64 and win32-x64, one Node-API build for every Node >= 20.19', () => {
    expect(Object.keys(manifest.targets).sort()).toEqual(['linux-arm64', 'linux-x64', 'win32-x64']);
    expect(Object.keys(targets.TARGETS).sort()).toEqual(Object.keys(manifest.targets).sort());
    // Node 20.19 has Node-API 9 (and 10 from 20.?); 8 is what binding.gyp and the prebuilds ask.
    expect(manifest.napiVersion).toBe(targets.NAPI_VERSION);
    expect(manifest.napiVersion).toBeLessThanOrEqual(9);
  });

  for (const [name, entry] of Object.entries(manifest.targets)) {
    describe(name, () => {
      it('is the file the manifest describes', () => {
        const file = join(ROOT, 'prebuilds', entry.file);
        expect(existsSync(file), `${entry.file} is missing: ${REBUILD}`).toBe(true);
        expect(statSync(file).size).toBe(entry.bytes);
        expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(entry.sha256);
      });

      it('was built from the current sources', () => {
        expect(targets.inputsHash(name), `the sources changed since ${name} was built: ${REBUILD}`).toBe(entry.inputs);
      });

      if (name.startsWith('linux-'))
        it('needs no glibc newer than the floor, and nothing but the C library and libgcc_s', () => {
          expect(entry.libc).toBe('glibc');
          const [major, minor] = (entry.glibc ?? '9.99').split('.').map(Number);
          const [floorMajor, floorMinor] = manifest.glibcFloor.split('.').map(Number);
          expect((major ?? 99) * 1000 + (minor ?? 0)).toBeLessThanOrEqual((floorMajor ?? 0) * 1000 + (floorMinor ?? 0));
          for (const lib of entry.needs ?? []) expect(lib).toMatch(/^(libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|ld-linux-[\w-]+\.so\.\d)$/);
        });
    });
  }
});

/**
 * binding.gyp's sources for one OS ('linux' | 'win' | 'mac'), evaluating its `conditions` (only
 * `OS=='x'` and `OS!='x'` terms joined by `and`, all it uses).
 */
function gypSources(os: string): string[] {
  const text = readFileSync(join(ROOT, 'binding.gyp'), 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  interface GypTarget {
    sources?: string[];
    conditions?: [string, { sources?: string[] }][];
  }
  const gyp = JSON.parse(text) as { targets: GypTarget[] };
  const target = gyp.targets[0];
  if (target === undefined) throw new Error('binding.gyp has no target');
  const holds = (condition: string): boolean =>
    condition.split(' and ').every((term) => {
      const m = /^\s*OS\s*(==|!=)\s*'(\w+)'\s*$/.exec(term);
      if (!m) throw new Error(`binding.gyp condition this test cannot read: ${condition}`);
      return m[1] === '==' ? os === m[2] : os !== m[2];
    });
  const extra = (target.conditions ?? []).filter(([condition]) => holds(condition)).flatMap(([, settings]) => settings.sources ?? []);
  return [...(target.sources ?? []), ...extra].sort();
}

describe('binding.gyp (the source build)', () => {
  it('compiles the same sources as the prebuilds, by the naming rule of scripts/prebuild/targets.mjs', () => {
    expect(gypSources('linux')).toEqual(targets.sourcesFor('linux'));
    expect(gypSources('win')).toEqual(targets.sourcesFor('win32'));
    expect(gypSources('mac')).toEqual(targets.sourcesFor('unsupported'));
  });
});
