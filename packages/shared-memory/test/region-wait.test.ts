/**
 * Issue 18 §3: region memory is a plain ArrayBuffer, so Atomics.wait on it
 * throws; region.waitAsync / waitSync / notify wait on a 32-bit word of the
 * region and wake waiters in other processes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName } from '@ipckit/core';
import { createRegion, type SharedRegion } from '../src/index.js';
import { Child, fixture } from './helpers.js';

const regions: SharedRegion[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
  for (const r of regions.splice(0)) r.close();
});

async function region(): Promise<SharedRegion> {
  const r = await createRegion(uniqueName('rwait'), 4096);
  regions.push(r);
  return r;
}

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return isIpcError(error) ? error.code : String(error);
  }
};

describe('waiting on a word of a region', () => {
  it('Atomics.wait cannot be used on region memory (a plain ArrayBuffer): that is why these exist', async () => {
    const r = await region();
    expect(() => Atomics.wait(new Int32Array(r.bytes.buffer, r.bytes.byteOffset, 1), 0, 0, 0)).toThrow(TypeError);
  });

  for (const how of ['async', 'sync'] as const) {
    it(`a process waiting (${how}) is woken by notify from another process`, async () => {
      const r = await region();
      const child = Child.node(fixture('word-waiter.mjs'), r.name, '64', how);
      children.push(child);
      expect(await child.line()).toBe('waiting');
      // The word stays 0, so only a wake ends the wait ('ok'). A notify before the child sleeps finds
      // nobody: notify again until it answers (an event each time, not a clock).
      const answer = child.line(60_000);
      let done: string | undefined;
      void answer.then((line) => (done = line));
      while (done === undefined) {
        r.notify(64);
        await Promise.race([answer, new Promise((resolve) => setImmediate(resolve))]);
      }
      expect(JSON.parse(await answer)).toEqual({ result: 'ok', value: 0 });
    });
  }

  it('a waiter sees the new value stored before notify (not-equal, or ok then the value)', async () => {
    const r = await region();
    const child = Child.node(fixture('word-waiter.mjs'), r.name, '128', 'async');
    children.push(child);
    expect(await child.line()).toBe('waiting');
    Atomics.store(new Int32Array(r.bytes.buffer, r.bytes.byteOffset + 128, 1), 0, 5);
    r.notify(128, 1);
    const got = JSON.parse(await child.line(60_000)) as { result: string; value: number };
    expect(got.value).toBe(5);
    expect(['ok', 'not-equal']).toContain(got.result);
  });

  it('not-equal at once, timed-out after the timeout, in this process too', async () => {
    const r = await region();
    r.bytes[8] = 1;
    expect(await r.waitAsync(8, 0, 60_000)).toBe('not-equal');
    expect(r.waitSync(8, 0, 60_000)).toBe('not-equal');
    expect(await r.waitAsync(12, 0, 1)).toBe('timed-out');
    expect(r.waitSync(12, 0, 0)).toBe('timed-out');
    // Signed or unsigned spellings of the same word both compare.
    new Int32Array(r.bytes.buffer, r.bytes.byteOffset + 16, 1)[0] = -1;
    expect(await r.waitAsync(16, 0xffffffff, 1)).toBe('timed-out');
    expect(await r.waitAsync(16, -1, 1)).toBe('timed-out');
  });

  it('a view waits on its own offsets, aligned in the region', async () => {
    const r = await region();
    const view = r.view(4, 64);
    expect(await view.waitAsync(0, 0, 1)).toBe('timed-out');
    // Offset 2 of a view at 4 is byte 6 of the region: not aligned.
    expect(codeOf(() => view.notify(2))).toBe('EINVAL');
    view.close();
  });

  it('closing the region ends a pending wait with ECLOSED', async () => {
    const r = await createRegion(uniqueName('rwait'), 4096);
    const pending = r.waitAsync(0, 0);
    r.close();
    await expect(pending).rejects.toMatchObject({ code: 'ECLOSED' });
  });

  it('bad offsets, values, timeouts and counts are EINVAL before any wait', async () => {
    const r = await region();
    for (const offset of [-4, 1, 2, 4093, 4096, 1.5, Number.NaN, '0' as unknown as number]) {
      expect(
        codeOf(() => r.notify(offset)),
        String(offset),
      ).toBe('EINVAL');
      expect(
        codeOf(() => r.waitSync(offset, 0, 0)),
        String(offset),
      ).toBe('EINVAL');
      await expect(r.waitAsync(offset, 0, 0)).rejects.toMatchObject({ code: 'EINVAL' });
    }
    for (const value of [2 ** 32, -(2 ** 31) - 1, 0.5, Number.NaN]) {
      await expect(r.waitAsync(0, value, 0)).rejects.toMatchObject({ code: 'EINVAL' });
    }
    await expect(r.waitAsync(0, 0, -1)).rejects.toMatchObject({ code: 'EINVAL' });
    for (const count of [0, -1, 1.5])
      expect(
        codeOf(() => r.notify(0, count)),
        String(count),
      ).toBe('EINVAL');
    const closed = await createRegion(uniqueName('rwait'), 4096);
    closed.close();
    expect(codeOf(() => closed.notify(0))).toBe('ECLOSED');
  });
});
