/**
 * Issue 12, item 1: another user runs `mkfifo /dev/shm/<name>` (at a region's
 * name or an ownership record's). Nothing in /dev/shm may be opened in a way
 * that blocks: listen's sweep, createRegion, connect and a read-only
 * openRegion must all answer at once, refusing what is not a regular file.
 * The victim runs in a child process, so a hang fails the test instead of
 * hanging it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, anotherUser, asAnotherUser } from '@ipckit/core/testing';

const other = anotherUser();

describe.runIf(other !== undefined)('a FIFO another user planted in /dev/shm', () => {
  const planted: string[] = [];
  const plant = (file: string): void => {
    asAnotherUser(`mkfifo /dev/shm/${file}`);
    planted.push(`/dev/shm/${file}`);
  };
  afterAll(() => {
    for (const file of planted) asAnotherUser(`rm -f ${file}`);
  });

  it('blocks nothing: sweep, create, open and connect answer at once', async () => {
    const swept = uniqueName('ipckit.fifo-sweep');
    const region = uniqueName('fifo-region');
    const record = uniqueName('fifo-record');
    const control = uniqueName('fifo-chan');
    plant(`${swept}.ipckit-owner`);
    plant(region);
    plant(`${record}.ipckit-owner`);
    plant(`ipckit.${control}`);
    const victim = PeerProcess.module(
      `
      import { connect, listen } from '@ipckit/core';
      import { createRegion, openRegion } from '@ipckit/shared-memory';
      const code = async (fn) => { try { const r = await fn(); r.close?.(); return 'ok'; } catch (e) { return e.code ?? String(e); } };
      const out = {};
      out.listen = await code(() => listen('shm://${uniqueName('fifo-listen')}'));
      out.createAtFifo = await code(() => createRegion('${region}', 64));
      out.openAtFifo = await code(() => openRegion('${region}', { readOnly: true }));
      out.createWithFifoRecord = await code(() => createRegion('${record}', 64));
      out.connect = await code(() => connect('shm://${control}', { timeoutMs: 2000 }));
      console.log(JSON.stringify({ event: 'done', ...out }));
      `,
      [],
      { cwd: new URL('..', import.meta.url).pathname, timeoutMs: 15_000 },
    );
    try {
      const done = await victim.waitForEvent('done');
      expect(done).toMatchObject({
        listen: 'ok',
        createAtFifo: 'EADDRINUSE',
        openAtFifo: 'EACCES',
        createWithFifoRecord: 'EADDRINUSE',
        connect: 'EACCES',
      });
    } finally {
      await victim.kill();
    }
  }, 30_000);
});
