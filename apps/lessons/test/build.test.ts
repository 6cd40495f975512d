/**
 * lib/build.mjs: `npm run lesson -- N` skips Nx when nothing changed since the last build, and runs
 * it as soon as any source of the lessons or of a package they use is newer than that build.
 */
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { isBuilt, markBuilt, projectFolders, stampOf } from '../lib/build.mjs';
import { APP_DIR, REPO_ROOT } from '../lib/programs.mjs';

const PROJECT = '@ipckit/lessons';
const touched: Array<{ file: string; atime: Date; mtime: Date }> = [];
const touch = (file: string, time: number): void => {
  const st = statSync(file);
  touched.push({ file, atime: st.atime, mtime: st.mtime });
  utimesSync(file, time / 1000, time / 1000);
};

afterEach(() => {
  for (const t of touched.splice(0)) utimesSync(t.file, t.atime, t.mtime);
});

describe('the build check', () => {
  it('follows the lessons to every workspace package they import', () => {
    const folders = projectFolders(PROJECT).map((f) =>
      f
        .slice(REPO_ROOT.length + 1)
        .split('\\')
        .join('/'),
    );
    for (const f of ['apps/lessons', 'packages/core', 'packages/sys', 'packages/shared-memory', 'packages/native']) expect(folders).toContain(f);
  });

  it('is satisfied by a build newer than every source, and not by one older than any', () => {
    const stamp = stampOf(PROJECT);
    const before = existsSync(stamp) ? statSync(stamp).mtimeMs : undefined;
    const future = Date.now() + 3_600_000;
    markBuilt(PROJECT, future);
    expect(isBuilt(PROJECT)).toBe(true);
    // A lesson source saved after the build: build again.
    touch(join(APP_DIR, 'src', 'common', 'say.ts'), future + 1000);
    expect(isBuilt(PROJECT)).toBe(false);
    utimesSync(join(APP_DIR, 'src', 'common', 'say.ts'), touched[0]?.atime ?? new Date(), touched[0]?.mtime ?? new Date());
    expect(isBuilt(PROJECT)).toBe(true);
    // A source of a package the lessons use, too.
    touch(join(REPO_ROOT, 'packages', 'core', 'package.json'), future + 1000);
    expect(isBuilt(PROJECT)).toBe(false);
    markBuilt(PROJECT, 0);
    expect(isBuilt(PROJECT)).toBe(false);
    // Leave the last real build's stamp as it was.
    if (before === undefined) rmSync(stamp);
    else markBuilt(PROJECT, before);
  });
});
