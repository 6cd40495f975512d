import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isIpcError } from '@ipckit/core';
import { addonCandidates, candidatePaths, loadedFrom, loadedKind, prebuildMismatch, primitive, requireNative } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET = `${process.platform}-${process.arch}`;
/** Platforms this package ships a prebuild for (prebuilds/manifest.json; prebuilds.test.ts checks it). */
const SHIPPED = ['linux-x64', 'linux-arm64', 'win32-x64'];

describe('the loader', () => {
  it('tries the shipped prebuild first, then a build from source, and IPCKIT_NATIVE_ADDON narrows it to one', () => {
    const prebuild = join(ROOT, 'prebuilds', 'linux-arm64', 'ipckit_native.node');
    const source = join(ROOT, 'build', 'Release', 'ipckit_native.node');
    // '' stands for an unset variable (undefined would let the default read this process's environment).
    expect(addonCandidates('linux', 'arm64', '')).toEqual([
      { path: prebuild, kind: 'prebuild' },
      { path: source, kind: 'source' },
    ]);
    expect(addonCandidates('linux', 'arm64', 'source')).toEqual([{ path: source, kind: 'source' }]);
    expect(addonCandidates('linux', 'arm64', 'prebuild')).toEqual([{ path: prebuild, kind: 'prebuild' }]);
    expect(candidatePaths('linux', 'arm64')).toEqual(addonCandidates('linux', 'arm64').map((c) => c.path));
  });

  // npm test runs on the prebuild that ships; `npm run test:source -w @ipckit/native` sets
  // IPCKIT_NATIVE_ADDON=source and runs the same tests on a node-gyp build.
  it.runIf(SHIPPED.includes(TARGET))('loads the addon the package ships, unless told to take the source build', () => {
    expect(['futex', 'event']).toContain(primitive());
    const wanted = process.env['IPCKIT_NATIVE_ADDON'] === 'source' ? 'source' : 'prebuild';
    expect(loadedKind()).toBe(wanted);
    expect(loadedFrom()).toBe(addonCandidates().find((c) => c.kind === wanted)?.path);
    expect(requireNative('this test').primitive).toBe(primitive());
  });

  it('does not try a glibc prebuild under another C library, nor under a glibc older than it needs', () => {
    expect(prebuildMismatch('linux', 'x64', () => undefined)).toMatch(/not glibc \(musl\?\)/);
    expect(prebuildMismatch('linux', 'arm64', () => '2.5')).toMatch(/needs glibc >= 2\.\d+, this system has 2\.5/);
    expect(prebuildMismatch('linux', 'x64', () => '2.28')).toBeUndefined();
    expect(prebuildMismatch('linux', 'x64', () => '2.40')).toBeUndefined();
    // Not Linux: no C library to match.
    expect(prebuildMismatch('win32', 'x64', () => undefined)).toBeUndefined();
  });
});

describe('where no addon can be loaded', () => {
  // A copy of the built package with neither prebuilds/ nor build/: what a platform without a
  // prebuild (macOS, musl, a new architecture) and without a source build looks like. It sits
  // inside this package so that it resolves @ipckit/core and @ipckit/sys as the real one does.
  const copy = mkdtempSync(join(ROOT, '.test-no-addon-'));
  cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: '@ipckit/native-copy', type: 'module' }));
  afterAll(() => {
    rmSync(copy, { recursive: true, force: true });
  });

  interface CopiedLoader {
    loadNative(): unknown;
    requireNative(feature: string): unknown;
    candidatePaths(): string[];
  }
  const load = async (): Promise<CopiedLoader> => (await import(pathToFileURL(join(copy, 'dist', 'loader.js')).href)) as CopiedLoader;

  it('throws ENOTSUP naming every path it tried and what to do', async () => {
    const loader = await load();
    const error = (() => {
      try {
        loader.loadNative();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isIpcError(error) && error.code).toBe('ENOTSUP');
    const message = (error as Error).message;
    const paths = loader.candidatePaths();
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(message).toContain(`${path}: not found`);
    expect(message).toMatch(/npm rebuild @ipckit\/native|is not supported/);
    // The same error again: no second round of attempts, no different story.
    expect(() => loader.loadNative()).toThrow(message);
  });

  it('requireNative names the feature that needs the addon', async () => {
    const loader = await load();
    expect(() => loader.requireNative('shm://')).toThrow(/^ENOTSUP: shm:\/\/ needs @ipckit\/native, and no addon could be loaded for \S+; tried:\n/);
    try {
      loader.requireNative('shm://');
    } catch (e) {
      expect(isIpcError(e) && e.code).toBe('ENOTSUP');
    }
  });

  it('leaves nothing behind in the package folder', () => {
    expect(readdirSync(copy).sort()).toEqual(['dist', 'package.json']);
  });
});
