import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName, type Channel } from '@ipckit/core';
import { transport } from '../src/index.js';
import { Child, fixture, shmLeftovers, watchdog } from './helpers.js';

// docs/ring-protocol.md is the contract for native programs: this C client is
// written from it alone (test/fixtures/ring-client.c) and talks to a Node listener.
const pattern = (i: number, size: number): Uint8Array => {
  const m = new Uint8Array(size);
  for (let j = 0; j < size; j++) m[j] = (i * 31 + j * 7) & 0xff;
  return m;
};
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

describe.runIf(process.platform === 'linux')('a C program implements the ring protocol from the document', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-ring-c-'));
  const exe = join(dir, 'ring-client');
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(shmLeftovers()).toEqual([]);
  });

  it('connects by the documented rendezvous, sends whole and fragmented messages, and reads the echoes', async () => {
    execFileSync('cc', ['-O1', '-Wall', '-Wextra', '-Werror', '-o', exe, fixture('ring-client.c')], { stdio: 'pipe' });
    const name = uniqueName('shmcc');
    const listener = await transport.listen(name);
    try {
      const capacity = 4096; // a record carries at most 1016 bytes; larger messages are fragmented
      const sizes = [0, 1, 64, 1016, 1017, 4096, 100_000, 3, 5000, 300_000, 7];
      const child = Child.exe(exe, name, String(capacity), ...sizes.map(String));
      const received: Uint8Array[] = [];
      const serving = (async () => {
        const channel = (await listener[Symbol.asyncIterator]().next()).value as Channel;
        for await (const message of channel) {
          received.push(message);
          await channel.send(message);
        }
        await channel.close();
      })();
      expect(await child.line(20_000)).toBe(`ok ${sizes.length}`);
      expect(await watchdog(child.exited, 10_000, 'C client exit')).toBe(0);
      // The C side closed as §4 says: the Node side's iteration ended.
      await watchdog(serving, 10_000, 'the listener side to see the close');
      expect(received.map((m) => m.length)).toEqual(sizes);
      for (const [i, size] of sizes.entries()) expect(same(received[i]!, pattern(i, size)), `message ${i}`).toBe(true);
    } finally {
      await listener.close();
    }
  });
});
