import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { within } from '@ipckit/core/testing';
import { createRegion } from '@ipckit/shared-memory';
import { createMutex, openMutex, openOrCreateMutex, type Mutex } from '@ipckit/sync';
import { fresh, leftovers, peer } from './helpers.js';

const open: Mutex[] = [];
const track = async (m: Promise<Mutex>): Promise<Mutex> => {
  const mutex = await m;
  open.push(mutex);
  return mutex;
};
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});
afterAll(() => expect(leftovers()).toEqual([]));

describe('Mutex in one process', () => {
  it('creates exclusively, opens, and says whether it existed', async () => {
    const name = fresh('m');
    await expect(openMutex(name)).rejects.toMatchObject({ code: 'ENOENT' });
    const a = await track(createMutex(name));
    expect(a.existed).toBe(false);
    await expect(createMutex(name)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect((await track(openMutex(name))).existed).toBe(true);
    expect((await track(openOrCreateMutex(name))).existed).toBe(true);
    expect((await track(openOrCreateMutex(fresh('m2')))).existed).toBe(false);
  });

  it('refuses bad names and options with EINVAL before creating anything', async () => {
    for (const bad of ['', 'a/b', 'nul\0', 'x'.repeat(300), 42]) {
      await expect(createMutex(bad as string)).rejects.toMatchObject({ code: 'EINVAL' });
    }
    const m = await track(createMutex(fresh('m')));
    for (const timeoutMs of [-1, Number.NaN, '5']) await expect(m.acquire({ timeoutMs: timeoutMs as number })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(m.acquire({ signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'EINVAL' });
    expect(m.held).toBe(false);
  });

  it('two objects on one name exclude each other; a release hands it over', async () => {
    const name = fresh('m');
    const a = await track(createMutex(name));
    const b = await track(openMutex(name));
    const held = await a.acquire();
    expect(a.held).toBe(true);
    expect(b.tryAcquire()).toBeUndefined();
    const waiting = b.acquire({ timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    held.release();
    const got = await within(5_000, 'hand-over', waiting);
    expect(b.held).toBe(true);
    expect(got.abandoned).toBe(false);
    got.release();
  });

  it('is not recursive: a second acquire on the object waits its turn; acquireSync refuses', async () => {
    const m = await track(createMutex(fresh('m')));
    const first = await m.acquire();
    await expect(m.acquire({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(() => m.acquireSync({ timeoutMs: 10 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const second = m.acquire({ timeoutMs: 5_000 });
    first.release();
    (await second).release();
    expect(m.held).toBe(false);
  });

  it('release without holding is EACCES; a guard releases once, on dispose too', async () => {
    const m = await track(createMutex(fresh('m')));
    expect(() => m.release()).toThrow(expect.objectContaining({ code: 'EACCES' }));
    const guard = await m.acquire();
    guard[Symbol.dispose]();
    expect(m.held).toBe(false);
    guard.release(); // a second release of the same guard is nothing
    expect(() => m.release()).toThrow(expect.objectContaining({ code: 'EACCES' }));
    const again = m.tryAcquire();
    expect(again).toBeDefined();
    await again?.[Symbol.asyncDispose]();
    expect(m.held).toBe(false);
  });

  it('a wait ends with ETIMEDOUT, or ECANCELED when its signal aborts, and holds nothing after', async () => {
    const name = fresh('m');
    const a = await track(createMutex(name));
    const b = await track(openMutex(name));
    const held = await a.acquire();
    const started = performance.now();
    await expect(b.acquire({ timeoutMs: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    await expect(b.acquire({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const controller = new AbortController();
    const aborted = b.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 20);
    await expect(aborted).rejects.toMatchObject({ code: 'ECANCELED' });
    await expect(b.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(b.held).toBe(false);
    held.release();
    (await b.acquire({ timeoutMs: 1_000 })).release();
  });

  it('after close every call is ECLOSED, a pending wait ends with ECLOSED, and a held mutex is released', async () => {
    const name = fresh('m');
    const a = await track(createMutex(name));
    const b = await track(openMutex(name));
    await a.acquire();
    const pending = b.acquire();
    await new Promise((resolve) => setTimeout(resolve, 20));
    b.close();
    await expect(pending).rejects.toMatchObject({ code: 'ECLOSED' });
    expect(() => b.tryAcquire()).toThrow(expect.objectContaining({ code: 'ECLOSED' }));
    await expect(b.acquire()).rejects.toMatchObject({ code: 'ECLOSED' });
    const c = await track(openMutex(name));
    a.close();
    (await c.acquire({ timeoutMs: 1_000 })).release();
    b.close(); // twice is harmless
  });

  it('acquireSync takes a free mutex and times out on a held one', async () => {
    const name = fresh('m');
    const a = await track(createMutex(name));
    const b = await track(openMutex(name));
    const guard = a.acquireSync({ timeoutMs: 1_000 });
    expect(() => b.acquireSync({ timeoutMs: 30 })).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    guard.release();
    b.acquireSync({ timeoutMs: 1_000 }).release();
  });

  it('openMutex can wait for the creator', async () => {
    const name = fresh('m');
    const opening = openMutex(name, { waitMs: 5_000 });
    setTimeout(() => void track(createMutex(name)), 50);
    open.push(await opening);
    await expect(openMutex(fresh('never'), { waitMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });
});

describe('Mutex across processes', () => {
  async function counter(base: string): Promise<{ words: Int32Array; close: () => void }> {
    const region = await createRegion(base, 64);
    const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 2);
    return { words, close: () => region.close() };
  }

  it('8 processes × 10,000 increments under the mutex end exactly at 80,000', async () => {
    const base = fresh('count');
    const { words, close } = await counter(base);
    const lock = await track(createMutex(`${base}.lock`));
    try {
      const peers = Array.from({ length: 8 }, (_, i) => peer('count-mutex', base, '10000', i % 2 === 0 ? 'async' : 'sync'));
      await Promise.all(peers.map((p) => p.finished(110_000)));
      expect(words[0]).toBe(80_000);
    } finally {
      lock.close();
      close();
    }
  }, 120_000);

  it('a holder killed inside the critical section: the next acquirer is told "abandoned", the others carry on', async () => {
    const base = fresh('dead');
    const { words, close } = await counter(base);
    const lock = await track(createMutex(`${base}.lock`));
    try {
      const holder = peer('hold-mutex', base);
      await holder.waitForEvent('holding');
      const counters = [peer('count-mutex', base, '500', 'async'), peer('count-mutex', base, '500', 'sync')];
      await Promise.all(counters.map((p) => p.waitForEvent('ready')));
      await holder.kill();
      const done = await Promise.all(counters.map((p) => p.finished(30_000)));
      // Exactly one acquirer took it over from the dead holder.
      expect(done.reduce((n, e) => n + Number(e['abandoned']), 0)).toBe(1);
      expect(words[0]).toBe(1_000);
      const after = await lock.acquire({ timeoutMs: 1_000 });
      expect(after.abandoned).toBe(false);
      after.release();
    } finally {
      close();
    }
  }, 60_000);
});
