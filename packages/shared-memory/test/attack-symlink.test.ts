/**
 * Issue 12, item 6: another user plants a symlink in a sticky, world-writable
 * directory (like /tmp) pointing at the victim's own file. openFileRegion
 * must not follow it (and grow the victim's file) unless asked to.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anotherUser, asAnotherUser } from '@ipckit/core/testing';
import { openFileRegion } from '@ipckit/shared-memory';

const other = anotherUser();

describe.runIf(other !== undefined)('a symlink another user planted in a sticky directory', () => {
  const base = mkdtempSync(join(tmpdir(), 'ipckit-sticky-'));
  chmodSync(base, 0o755);
  const sticky = join(base, 'shared');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const victim = join(base, 'mine.bin');
  writeFileSync(victim, 'ten bytes!', { mode: 0o600 });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('is refused with EACCES; the victim file keeps its size; followSymlinks opts in', async () => {
    const link = join(sticky, 'data.bin');
    asAnotherUser(`ln -s ${victim} ${link}`);
    await expect(openFileRegion(link, { size: 1 << 20 })).rejects.toMatchObject({ code: 'EACCES' });
    await expect(openFileRegion(link, { create: true, size: 4096 })).rejects.toMatchObject({ code: 'EACCES' });
    expect(statSync(victim).size).toBe(10);
    const followed = await openFileRegion(link, { followSymlinks: true });
    expect(followed.size).toBe(10);
    followed.close();
  });
});
