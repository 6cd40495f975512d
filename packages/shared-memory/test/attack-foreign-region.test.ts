/**
 * Issue 12, item 3: another user pre-creates a region's name (mode 0666).
 * openOrCreateRegion must not adopt it (its owner would read everything
 * written, and could truncate it under the mapping): EACCES, unless the
 * caller opts in to sharing between users.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { anotherUser, asAnotherUser } from '@ipckit/core/testing';
import { openOrCreateRegion, openRegion } from '@ipckit/shared-memory';

const other = anotherUser();

describe.runIf(other !== undefined)('a region another user created', () => {
  const name = uniqueName('foreign');
  afterAll(() => asAnotherUser(`rm -f /dev/shm/${name}`));

  it('is refused with EACCES by default, and opened only when allowOtherOwner says so', async () => {
    asAnotherUser(`head -c 4096 /dev/zero > /dev/shm/${name} && chmod 666 /dev/shm/${name}`);
    await expect(openOrCreateRegion(name, 64)).rejects.toMatchObject({ code: 'EACCES' });
    await expect(openRegion(name)).rejects.toMatchObject({ code: 'EACCES' });
    await expect(openRegion(name, { readOnly: true })).rejects.toMatchObject({ code: 'EACCES' });
    const shared = await openOrCreateRegion(name, 64, { allowOtherOwner: true });
    expect(shared.existed).toBe(true);
    expect(shared.size).toBe(4096);
    shared.close();
    const opened = await openRegion(name, { allowOtherOwner: true });
    opened.close();
  });
});
