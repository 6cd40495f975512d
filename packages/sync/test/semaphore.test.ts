import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { within } from '@ipckit/core/testing';
import { createRegion } from '@ipckit/shared-memory';
import { createSemaphore, openOrCreateSemaphore, openSemaphore, type Semaphore } from '@ipckit/sync';
import { fresh, leftovers, peer } from './helpers.js';

const open: Semaphore[] = [];
const track = async (s: Promise<Semaphore>): Promise<Semaphore> => {
  const sem = await s;
  open.push(sem);
  return sem;
};
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(() => expect(leftovers()).toEqual([]));

describe('Semaphore in one process', () => {
  it('counts: acquire takes units, release gives them back, the maximum holds', async () => {
    const name = fresh('s');
    const a = await track(createSemaphore(name, { initial: 2, max: 3 }));
    const b = await track(openSemaphore(name));
    expect([a.existed, b.existed]).toEqual([false, true]);
    expect(a.max).toBe(3);
    const one = await a.acquire();
    const two = b.tryAcquire();
    expect(two).toBeDefined();
    expect(a.tryAcquire()).toBeUndefined();
    expect(a.release(1)).toBe(0);
    one.release();
    two?.release();
    expect(() => a.release()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => a.release(0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    // The refused release added nothing: three units, no more.
    for (let i = 0; i < 3; i++) expect(a.tryAcquire()).toBeDefined();
    expect(a.tryAcquire()).toBeUndefined();
  });

  it('refuses bad counts with EINVAL before creating anything', async () => {
    const name = fresh('s');
    await expect(createSemaphore(name, { initial: 5, max: 2 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(createSemaphore(name, { initial: -1 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(createSemaphore(name, { max: 0 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(openSemaphore(name)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a waiter wakes on release; waits time out, abort, and end on close', async () => {
    const name = fresh('s');
    const a = await track(createSemaphore(name, { max: 10 }));
    const b = await track(openOrCreateSemaphore(name));
    expect(b.existed).toBe(true);
    const waiting = b.acquire({ timeoutMs: 5_000 });
    setTimeout(() => a.release(), 30);
    (await within(5_000, 'semaphore hand-over', waiting)).release();
    expect(b.tryAcquire()).toBeDefined();
    await expect(b.acquire({ timeoutMs: 60 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const controller = new AbortController();
    const aborted = b.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toMatchObject({ code: 'ECANCELED' });
    const pending = b.acquire();
    setTimeout(() => b.close(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'ECLOSED' });
    expect(() => b.release()).toThrow(expect.objectContaining({ code: 'ECLOSED' }));
    // Nothing the aborted and closed waits did took a unit.
    a.release();
    expect(a.tryAcquire()).toBeDefined();
    expect(a.tryAcquire()).toBeUndefined();
  });

  it('many waits at once, each its own unit', async () => {
    const a = await track(createSemaphore(fresh('s')));
    const waits = Array.from({ length: 5 }, () => a.acquire({ timeoutMs: 5_000 }));
    a.release(5);
    expect(await within(5_000, 'five waits', Promise.all(waits))).toHaveLength(5);
  });

  it('acquireSync waits for a unit and times out', async () => {
    const a = await track(createSemaphore(fresh('s'), { initial: 1 }));
    a.acquireSync({ timeoutMs: 100 });
    expect(() => a.acquireSync({ timeoutMs: 30 })).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  });
});

describe('Semaphore across processes', () => {
  it('8 processes × 10,000 increments under a semaphore of count 1 end exactly at 80,000', async () => {
    const base = fresh('scount');
    const region = await createRegion(base, 64);
    const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 2);
    const sem = await track(createSemaphore(`${base}.sem`, { initial: 1, max: 1 }));
    try {
      const peers = Array.from({ length: 8 }, () => peer('count-semaphore', base, '10000'));
      await Promise.all(peers.map((p) => p.finished(110_000)));
      expect(words[0]).toBe(80_000);
    } finally {
      sem.close();
      region.close();
    }
  }, 120_000);

  it('a process killed holding a unit does not stop the others (the unit is lost, as on every OS)', async () => {
    const base = fresh('sdead');
    const sem = await track(createSemaphore(`${base}.sem`, { initial: 2, max: 2 }));
    const holder = peer('hold-semaphore', base);
    await holder.waitForEvent('holding');
    await holder.kill();
    // A semaphore has no owner: the dead process's unit is not given back; the other one is there.
    expect(sem.tryAcquire()).toBeDefined();
    expect(sem.tryAcquire()).toBeUndefined();
  });
});
