/**
 * Issue 17 §3: one code for one situation. A name squatted by an ownership
 * record that is not ours (another user's, or not a regular file) with no
 * region behind it: createRegion said EADDRINUSE, openOrCreateRegion said
 * something else. Both now say EADDRINUSE (the name is taken), as the sync
 * objects' open-or-create does over them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName } from '@ipckit/core';
import { anotherUser, asAnotherUser } from '@ipckit/core/testing';
import { createRegion, openOrCreateRegion } from '../src/index.js';

const other = process.platform === 'linux' ? anotherUser() : undefined;

const codeOf = (promise: Promise<{ close(): void }>): Promise<string | undefined> =>
  promise.then(
    (region) => (region.close(), 'ok'),
    (error: unknown) => (isIpcError(error) ? error.code : String(error)),
  );

describe.runIf(other !== undefined)('a name squatted by a record that is not ours, with no region', () => {
  const squats = [uniqueName('sq-file'), uniqueName('sq-fifo')];
  afterAll(() => asAnotherUser(`rm -f ${squats.map((n) => `/dev/shm/${n}.ipckit-owner`).join(' ')}`));

  it('createRegion and openOrCreateRegion both say EADDRINUSE', async () => {
    const [file, fifo] = squats as [string, string];
    asAnotherUser(`touch /dev/shm/${file}.ipckit-owner && mkfifo /dev/shm/${fifo}.ipckit-owner`);
    for (const name of squats) {
      expect(await codeOf(createRegion(name, 4096)), name).toBe('EADDRINUSE');
      expect(await codeOf(openOrCreateRegion(name, 4096)), name).toBe('EADDRINUSE');
    }
  });
});
