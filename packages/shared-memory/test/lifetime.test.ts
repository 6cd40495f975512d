/**
 * Issue 10, part 2: a region kept on purpose (unlinkOnClose: false) is never
 * taken for a crashed creator's leftovers; unlinkRegion removes a name on
 * purpose; openRegion can wait for its creator.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';
import { createRegion, openOrCreateRegion, openRegion, unlinkRegion } from '@ipckit/shared-memory';
import { shmLeftovers } from './helpers.js';

const kept: string[] = [];
afterAll(async () => {
  for (const name of kept) await unlinkRegion(name);
  expect(shmLeftovers()).toEqual([]);
});

const text = (region: { read(offset: number, length: number): Uint8Array }, length: number): string => new TextDecoder().decode(region.read(0, length));

/** Runs a creator in its own process that keeps `name` holding `persisted`, then exits (or is killed). */
async function keepIn(name: string, end: 'exit' | 'kill'): Promise<void> {
  const creator = PeerProcess.module(
    `
    import { createRegion } from '@ipckit/shared-memory';
    const region = await createRegion('${name}', 64, { unlinkOnClose: false });
    region.write(new TextEncoder().encode('persisted'));
    ${end === 'exit' ? 'region.close();' : ''}
    console.log(JSON.stringify({ event: 'written' }));
    ${end === 'exit' ? '' : 'await new Promise(() => {});'}
    `,
    [],
    { cwd: new URL('..', import.meta.url).pathname },
  );
  await creator.waitForEvent('written');
  if (end === 'kill') await creator.kill();
  else expect(await creator.exit()).toBe(0);
}

describe.runIf(process.platform !== 'win32')('regions kept on purpose (POSIX)', () => {
  for (const end of ['exit', 'kill'] as const) {
    it(`outlive a creator that ${end === 'exit' ? 'exits cleanly' : 'is killed'}: openOrCreateRegion opens them, contents and all`, async () => {
      const name = uniqueName('keepme');
      kept.push(name);
      await keepIn(name, end);
      const reopened = await openOrCreateRegion(name, 64);
      try {
        expect(reopened.existed).toBe(true);
        expect(text(reopened, 9)).toBe('persisted');
      } finally {
        reopened.close();
      }
      await expect(createRegion(name, 64)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    });
  }

  it('unlinkRegion forgets the name; processes that have it mapped keep it', async () => {
    const name = uniqueName('unlinkme');
    const region = await createRegion(name, 64, { unlinkOnClose: false });
    region.write(new TextEncoder().encode('still here'));
    expect(await unlinkRegion(name)).toBe(true);
    await expect(openRegion(name)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(text(region, 10)).toBe('still here');
    region.close();
    expect(await unlinkRegion(name)).toBe(false);
    await expect(unlinkRegion('a/b')).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('openRegion waiting for its creator', () => {
  it('resolves once the region is created, within waitMs', async () => {
    const name = uniqueName('later');
    const opening = openRegion(name, { waitMs: 5_000 });
    const creating = new Promise<Awaited<ReturnType<typeof createRegion>>>((resolve, reject) => {
      setTimeout(() => {
        createRegion(name, 64).then(resolve, reject);
      }, 50);
    });
    const [opened, created] = await Promise.all([opening, creating]);
    expect(opened.existed).toBe(true);
    opened.close();
    created.close();
  });

  it('fails with ETIMEDOUT when nobody creates it, ECANCELED when aborted, EINVAL for a bad waitMs', async () => {
    await expect(openRegion(uniqueName('never'), { waitMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const controller = new AbortController();
    const waiting = openRegion(uniqueName('never'), { waitMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ code: 'ECANCELED' });
    await expect(openRegion(uniqueName('never'), { waitMs: -1 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(openRegion(uniqueName('never'), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
  });
});
