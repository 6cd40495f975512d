/**
 * Contract rule 3 across transports (issue 17 §3): a client whose process is
 * out of file descriptors gets the same portable code, EMFILE, from connect
 * on every transport (shm and mailslot said ENOMEM, pipe and tcp EIO). The
 * client is a process of its own under `prlimit --nofile`, so the listener
 * (this process) is not starved.
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listen, uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';

const PEER = fileURLToPath(new URL('./descriptors-peer.mjs', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.runIf(process.platform === 'linux')('out of descriptors on connect: one code on every transport', () => {
  for (const scheme of ['pipe', 'tcp', 'mailslot', 'shm'] as const) {
    it(`${scheme}://: connect rejects with EMFILE (the OS code kept)`, async () => {
      const address = scheme === 'tcp' ? `tcp://127.0.0.1:${await freePort()}` : `${scheme}://${uniqueName('fds')}`;
      const listener = await listen(address);
      try {
        // Node itself needs a few dozen descriptors to start; 256 leaves it room and is quick to fill.
        const peer = new PeerProcess('prlimit', ['--nofile=256', process.execPath, PEER, address], { label: `${scheme} client`, timeoutMs: 60_000 });
        const done = await peer.finished();
        expect(done.held as number, 'the client filled its descriptor table').toBeGreaterThan(100);
        expect({ code: done.code, osCode: done.osCode }, String(done.message)).toEqual({ code: 'EMFILE', osCode: 'EMFILE' });
      } finally {
        await listener.close();
      }
    });
  }
});
