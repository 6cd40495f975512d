import { chmod, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SOCKET_PATH_BYTES, ensurePrivateDirectory, socketPath } from '@ipckit/sys';

describe('socket paths', () => {
  it('refuses a path over the sun_path limit with EINVAL, never truncating it', () => {
    const dir = '/run/user/1000/ipckit';
    const fits = 'x'.repeat(MAX_SOCKET_PATH_BYTES - dir.length - 1);
    expect(socketPath(dir, fits)).toBe(`${dir}/${fits}`);
    expect(() => socketPath(dir, `${fits}y`)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe.runIf(process.platform !== 'win32')('the private socket directory', () => {
  it('refuses a directory that is a planted symlink', async () => {
    const base = await mkdtemp(join(tmpdir(), 'ipckit-test-'));
    try {
      const target = join(base, 'elsewhere');
      await ensurePrivateDirectory(target);
      await symlink(target, join(base, 'link'));
      await expect(ensurePrivateDirectory(join(base, 'link'))).rejects.toMatchObject({ code: 'EACCES' });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('refuses a directory open to other users', async () => {
    const base = await mkdtemp(join(tmpdir(), 'ipckit-test-'));
    try {
      await chmod(base, 0o755);
      await expect(ensurePrivateDirectory(base)).rejects.toMatchObject({ code: 'EACCES' });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
