/**
 * Issue 17 §4: a process in another PID namespace that shares /dev/shm (a
 * container with a shared /dev/shm; `unshare --pid`) must not take our live
 * objects for a dead creator's. The ownership record used to hold only a
 * pid, which means nothing in another namespace: there, createRegion
 * replaced our region, and removeStaleShmObject (`ipckit clean`) and the
 * listener's sweep removed our objects. Now the record names the creator's
 * PID namespace, and a creator in a namespace that cannot be seen counts as
 * running. As root (unshare needs it), Linux.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerProcess } from '@ipckit/core/testing';
import { uniqueName, type Channel } from '@ipckit/core';
import { createRegion, listShmObjects, transport } from '../src/index.js';
import { shmLeftovers, watchdog } from './helpers.js';

const PEER = fileURLToPath(new URL('./fixtures/pid-namespace.mjs', import.meta.url));
const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0;

afterAll(() => expect(shmLeftovers()).toEqual([]));

describe.runIf(linuxRoot)('objects of a process in another PID namespace sharing /dev/shm', () => {
  it('createRegion, openOrCreateRegion, listShmObjects, removeStaleShmObject and the listen sweep leave them alone', async () => {
    const regionName = uniqueName('pidns-r');
    const channel = uniqueName('pidns-c');
    const region = await createRegion(regionName, 4096);
    region.bytes[0] = 42;
    const listener = await transport.listen(channel);
    try {
      const peer = new PeerProcess('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, PEER, regionName, channel], { timeoutMs: 60_000 });
      const done = await peer.finished();
      expect(await peer.exit(), peer.stderr).toBe(0);
      // Our region is live: create says it is taken, openOrCreate opens ours (with our byte in it).
      expect(done.create).toBe('EADDRINUSE');
      expect(done.openOrCreate).toBe('existed');
      expect(done.firstByte).toBe(42);
      // Listed as live, made by a creator elsewhere, not stale; nothing removed.
      expect(done.listed).toEqual([
        { name: `ipckit.${channel}`, kind: 'listener', owner: 'alive', stale: false, elsewhere: true },
        { name: regionName, kind: 'region', owner: 'alive', stale: false, elsewhere: true },
      ]);
      expect(done.removed).toEqual([]);
      // Still ours, still there: the region's name and record, and the listener's control region, which still serves.
      expect(existsSync(`/dev/shm/${regionName}`) && existsSync(`/dev/shm/${regionName}.ipckit-owner`)).toBe(true);
      expect(existsSync(`/dev/shm/ipckit.${channel}`)).toBe(true);
      const accepted = listener[Symbol.asyncIterator]().next();
      const client = await transport.connect(channel);
      const server = (await watchdog(accepted, 10_000, 'accept')).value as Channel;
      await client.send(new Uint8Array([7]));
      expect(Array.from((await server.receive()) ?? [])).toEqual([7]);
      await client.close();
      await server.close();
      // Seen from our own namespace, the same objects are ours and live.
      const here = (await listShmObjects()).filter((o) => o.name === regionName);
      expect(here.map((o) => [o.owner, o.stale, o.creatorElsewhere === true])).toEqual([['alive', false, false]]);
    } finally {
      region.close();
      await listener.close();
    }
  });
});
