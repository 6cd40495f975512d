import { describe, expect, it } from 'vitest';
import { within } from '@ipckit/core/testing';
import { candidatePaths, loadedFrom, openWaiter, primitive } from '../src/index.js';
import { region, uniqueName, wakeUntil } from './helpers.js';

// In-process behaviour: results, timeouts, close(), ref/unref. The
// cross-process wake-ups are in cross-process.test.ts.
describe.runIf(process.platform === 'linux')('Waiter (one process)', () => {
  it('loads the addon from one of its candidates and reports its primitive', () => {
    expect(primitive()).toBe('futex');
    expect(candidatePaths()).toContain(loadedFrom());
  });

  it("returns 'not-equal' at once when the word differs from expected", async () => {
    const r = region();
    try {
      const w = openWaiter(r.buffer, 8, uniqueName());
      Atomics.store(r.words, 2, 5);
      expect(w.load()).toBe(5);
      expect(await within(5_000, 'wait', w.wait(4))).toBe('not-equal');
      expect(w.waitSync(4)).toBe('not-equal');
      // the word is compared as an unsigned 32-bit value; -1 and 0xffffffff are the same word
      Atomics.store(r.words, 2, -1);
      expect(w.load()).toBe(0xffff_ffff);
      expect(w.waitSync(-1, 0)).toBe('timed-out');
      expect(w.waitSync(0xffff_ffff, 0)).toBe('timed-out');
      w.close();
    } finally {
      r.dispose();
    }
  });

  it("returns 'timed-out' when nothing wakes it", async () => {
    const r = region();
    try {
      const w = openWaiter(r.buffer, 0, uniqueName());
      expect(await within(5_000, 'wait', w.wait(0, 20))).toBe('timed-out');
      expect(await within(5_000, 'wait', w.wait(0, 0))).toBe('timed-out');
      expect(w.waitSync(0, 20)).toBe('timed-out');
      expect(w.waitSync(0, 0.5)).toBe('timed-out');
      w.close();
    } finally {
      r.dispose();
    }
  });

  it('follows the protocol: store, then wake, seen by a pending wait', async () => {
    const r = region();
    try {
      const name = uniqueName();
      const consumer = openWaiter(r.buffer, 16, name);
      const producer = openWaiter(r.buffer, 16, name);
      const pending = consumer.wait(0);
      setTimeout(() => {
        Atomics.store(r.words, 4, 1);
        producer.wake();
      }, 10);
      // 'woken', or 'not-equal' if the store landed before the thread slept
      expect(['woken', 'not-equal']).toContain(await within(10_000, 'wake', pending));
      expect(consumer.load()).toBe(1);
      consumer.close();
      producer.close();
    } finally {
      r.dispose();
    }
  });

  it("close() ends a pending wait with 'closed' and further use throws ECLOSED", async () => {
    const r = region();
    try {
      const w = openWaiter(r.buffer, 0, uniqueName());
      const pending = w.wait(0);
      w.close();
      expect(await within(5_000, 'closed wait', pending)).toBe('closed');
      expect(w.closed).toBe(true);
      w.close(); // idempotent
      await expect(w.wait(0)).rejects.toMatchObject({ code: 'ECLOSED' });
      expect(() => w.waitSync(0, 0)).toThrow(expect.objectContaining({ code: 'ECLOSED' }));
      expect(() => w.wake()).toThrow(expect.objectContaining({ code: 'ECLOSED' }));
    } finally {
      r.dispose();
    }
  });

  it('allows one pending wait per waiter (EBUSY) and a new one once it settled', async () => {
    const r = region();
    try {
      const w = openWaiter(r.buffer, 0, uniqueName());
      const first = w.wait(0, 10_000);
      await expect(w.wait(0, 10)).rejects.toMatchObject({ code: 'EINVAL' });
      expect(await wakeUntil(() => w.wake(), first)).toBe('woken');
      expect(await within(5_000, 'second wait', w.wait(0, 10))).toBe('timed-out');
      w.close();
    } finally {
      r.dispose();
    }
  });

  it('wakes several waiters with wake(count)', async () => {
    const r = region();
    try {
      const name = uniqueName();
      const waiters = [0, 1, 2].map(() => openWaiter(r.buffer, 0, name));
      const results = waiters.map((w) => w.wait(0));
      const waker = openWaiter(r.buffer, 0, name);
      expect(await wakeUntil(() => waker.wake(Infinity), Promise.all(results))).toEqual(['woken', 'woken', 'woken']);
      for (const w of [...waiters, waker]) w.close();
    } finally {
      r.dispose();
    }
  });
});
