/**
 * Issue 17 §3: a client refused by a live shm:// listener that is out of
 * descriptors heard ENOENT "nobody serves". The listener now stores the OS
 * error in the slot before it refuses, and the client reports it (EMFILE),
 * while a listener that is gone still gives ENOENT.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';
import { transport } from '../src/index.js';
import { fixture } from './helpers.js';

const linux = process.platform === 'linux';
const peers: PeerProcess[] = [];
afterAll(async () => {
  for (const p of peers) await p.kill();
});

describe.runIf(linux)('a listener out of descriptors (prlimit --nofile)', () => {
  it('refuses with EMFILE, not ENOENT; once it has descriptors again it serves', async () => {
    const name = uniqueName('emfile');
    const peer = new PeerProcess('prlimit', ['--nofile=128', '--', process.execPath, fixture('emfile-listener.mjs'), name], { timeoutMs: 30_000 });
    peers.push(peer);
    await peer.waitForLine('ready');
    const error = await transport.connect(name, { timeoutMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isIpcError(error) && { code: error.code, osCode: error.osCode }).toEqual({ code: 'EMFILE', osCode: 'EMFILE' });
    // The same listener, with descriptors again, accepts.
    peer.write('free\n');
    await peer.waitForLine('freed');
    const channel = await transport.connect(name, { timeoutMs: 10_000 });
    await channel.send(new Uint8Array([1, 2, 3]));
    expect(Array.from((await channel.receive()) ?? [])).toEqual([1, 2, 3]);
    await channel.close();
  });
});
