/**
 * docs/topics-shm.md is the contract for native subscribers: this C
 * subscriber is written from it alone (test/fixtures/topic-subscriber.c) and
 * reads what a Node publisher writes, in order, from the read-only data region.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { publishTopic } from '../src/index.js';
import { Child, fixture, watchdog } from './helpers.js';

const message = (i: number, size: number): Uint8Array => {
  const m = new Uint8Array(size);
  for (let j = 0; j < size; j++) m[j] = (i * 13 + j * 5) & 0xff;
  return m;
};
const sum = (m: Uint8Array): number => m.reduce((total, byte) => (total + byte) >>> 0, 0);

describe.runIf(process.platform === 'linux')('a C subscriber implements docs/topics-shm.md', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-topic-c-'));
  const exe = join(dir, 'topic-subscriber');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('joins a Node publisher, reads every message in order (small, large, empty), and ends when it closes', async () => {
    execFileSync('cc', ['-O1', '-Wall', '-Wextra', '-Werror', '-o', exe, fixture('topic-subscriber.c')], { stdio: 'pipe' });
    const name = uniqueName('shmtopicc');
    const sizes = [0, 1, 64, 4096, 100_000, 3, 300_000, 7, ...Array.from({ length: 200 }, (_, i) => (i * 97) % 5000)];
    const publisher = await publishTopic(name, { capacity: 8 });
    try {
      const child = Child.exe(exe, name, String(sizes.length + 10));
      await watchdog(publisher.waitForSubscribers(1), 20_000, 'the C subscriber to join');
      const sent = sizes.map((size, i) => message(i, size));
      for (const m of sent) await publisher.send(m);
      await publisher.close();
      for (const [i, m] of sent.entries()) expect(await child.line(20_000)).toBe(`${i} ${m.length} 0 ${sum(m)}`);
      expect(await child.line(20_000)).toBe(`end ${sizes.length}`);
      expect(await watchdog(child.exited, 10_000, 'C subscriber exit')).toBe(0);
    } finally {
      await publisher.close();
    }
  });
});
