import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName } from '@ipckit/core';
import { createRegion, openFileRegion, openRegion, ringBytes } from '../src/index.js';
import { Child, fixture, shmLeftovers, watchdog } from './helpers.js';

const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
});
afterAll(() => {
  expect(shmLeftovers()).toEqual([]);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the listener and a client that names something other than a ring region', () => {
  it('refuses it without unlinking or writing to the region it named', async () => {
    const name = uniqueName('shmr');
    const listener = Child.node(fixture('channel-peer.mjs'), 'listen-hold', name);
    children.push(listener);
    expect(await listener.line()).toBe('ready');
    // Somebody's region, big enough for two 4 KiB rings, but not a ring region.
    const victimName = uniqueName('shmr-victim');
    const victim = await createRegion(victimName, 2 * ringBytes(4096));
    try {
      victim.bytes.fill(0xab);
      // A client written from the protocol page (or a buggy one) asks the listener to take it.
      const control = await openRegion(`ipckit.${name}`);
      try {
        const words = new Int32Array(control.bytes.buffer, control.bytes.byteOffset, control.size >> 2);
        const slotWord = (slot: number, word: number): number => (64 + slot * 128) / 4 + word;
        let slot = 0;
        while (Atomics.compareExchange(words, slotWord(slot, 0), 0, 1) !== 0) slot++;
        Atomics.store(words, slotWord(slot, 1), process.pid);
        Atomics.store(words, slotWord(slot, 2), 0);
        Atomics.store(words, slotWord(slot, 3), 4096);
        const nameBytes = new Uint8Array(control.bytes.buffer, control.bytes.byteOffset + 64 + slot * 128 + 64, 64);
        nameBytes.fill(0);
        nameBytes.set(new TextEncoder().encode(victimName));
        Atomics.store(words, slotWord(slot, 0), 2);
        Atomics.add(words, 5, 1); // the listener also polls every 250 ms: no wake needed
        const answer = await watchdog(
          (async () => {
            for (;;) {
              const state = Atomics.load(words, slotWord(slot, 0));
              if (state === 3 || state === 4) return state;
              await sleep(5);
            }
          })(),
          10_000,
          "the listener's answer",
        );
        Atomics.store(words, slotWord(slot, 0), 0);
        expect(answer).toBe(4); // refused
      } finally {
        control.close();
      }
      // Still there under its name, and not one byte changed.
      const again = await openRegion(victimName);
      again.close();
      expect(victim.bytes.every((b) => b === 0xab)).toBe(true);
    } finally {
      victim.close();
    }
  });
});

describe('sync timeouts are validated', () => {
  it('receiveSync and sendSync reject a NaN, negative or non-number timeout with EINVAL instead of spinning', async () => {
    const child = Child.node(fixture('sync-timeout.mjs'), uniqueName('shmr'));
    children.push(child);
    const lines: string[] = [];
    for (;;) {
      const line = await child.line(10_000);
      if (line === 'done') break;
      lines.push(line);
    }
    expect(lines).toEqual([
      'receive NaN EINVAL',
      'receiveInto NaN EINVAL',
      'send NaN EINVAL',
      'receive -1 EINVAL',
      'receiveInto -1 EINVAL',
      'send -1 EINVAL',
      'receive soon EINVAL',
      'receiveInto soon EINVAL',
      'send soon EINVAL',
    ]);
    expect(await watchdog(child.exited, 10_000, "the child's exit")).toBe(0);
  });
});

describe.runIf(process.platform === 'linux')('file regions on things that are not regular files', () => {
  it('a FIFO gives an IpcError at once; open(2) never blocks waiting for a writer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipckit-fifo-'));
    try {
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      // In a child: a blocking open(2) would hang this process's event loop for good.
      const script = `import { openFileRegion } from '@ipckit/shared-memory';
        try { await openFileRegion(${JSON.stringify(fifo)}, { readOnly: true }); console.log('opened'); }
        catch (error) { console.log(error.name + ' ' + error.code); }`;
      const child = new Child(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fixture('.'), stdio: ['pipe', 'pipe', 'pipe'] }));
      children.push(child);
      const line = await child.line(10_000);
      expect(line).toMatch(/^IpcError E[A-Z]+$/);
      // And in this process too, now that it cannot block.
      const error = await openFileRegion(fifo, { readOnly: true }).catch((e: unknown) => e);
      expect(isIpcError(error), String(error)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
