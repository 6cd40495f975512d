/**
 * Issue 17 §1: a full /dev/shm must give a coded error, never SIGBUS. A
 * region was sized with ftruncate alone, so its pages were only taken from
 * the tmpfs at first touch, and a touch that found none killed the process.
 * The peer runs in a private mount namespace (unshare -m, as root) with an
 * 8 MiB tmpfs on /dev/shm, so the machine's own /dev/shm is never filled.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PeerProcess } from '@ipckit/core/testing';
import { uniqueName } from '@ipckit/core';

const FULL_SHM = fileURLToPath(new URL('./fixtures/full-shm.mjs', import.meta.url));
const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0;

/** An ENOSPC as the error table codes it: the portable code (ENOSPC, or ENOMEM before the table had it) and the OS's. */
const NO_SPACE = /^(ENOSPC|ENOMEM)\/ENOSPC$/;

describe.runIf(linuxRoot)('a full /dev/shm (an 8 MiB tmpfs in a private mount namespace)', () => {
  it('createRegion beyond the room, listen, connect, send and region writes: coded errors or success, never SIGBUS, nothing half-made left', async () => {
    const script = 'mount -t tmpfs -o size=8m,mode=1777 tmpfs /dev/shm && exec "$@"';
    const peer = new PeerProcess('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, FULL_SHM, uniqueName('full')], {
      timeoutMs: 60_000,
    });
    const done = await peer.finished();
    // Before the fix the process died here with SIGBUS (exit status null, signal SIGBUS).
    expect(await peer.exit(), peer.stderr).toBe(0);
    const results = done.results as Record<string, string>;
    // 64 MiB on an 8 MiB tmpfs: refused at creation, not at the first write.
    expect(results.bigRegion).toMatch(NO_SPACE);
    // Made while there was room: their pages are theirs, so writing and sending work on a full tmpfs.
    expect(results.writeRegion).toBe('ok');
    expect(results.send).toBe('ok');
    // New objects on a full tmpfs: refused before anything is handed out.
    expect(results.listen).toMatch(NO_SPACE);
    expect(results.connect).toMatch(NO_SPACE);
    // Nothing half-created (no region without its record, no record without its region).
    expect(done.left).toEqual([]);
  });
});
