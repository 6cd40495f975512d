import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { within } from '@ipckit/core/testing';
import { createEvent, openEvent, openOrCreateEvent, waitAny, type Event } from '@ipckit/sync';
import { fresh, leftovers, peer } from './helpers.js';

const open: Event[] = [];
const track = async (e: Promise<Event>): Promise<Event> => {
  const event = await e;
  open.push(event);
  return event;
};
afterEach(() => {
  for (const e of open.splice(0)) e.close();
});
afterAll(() => expect(leftovers()).toEqual([]));

describe('Event', () => {
  it('manual reset: set releases every waiter and stays set until reset', async () => {
    const name = fresh('e');
    const e = await track(createEvent(name, { manualReset: true }));
    const o = await track(openEvent(name));
    expect(o.manualReset).toBe(process.platform === 'win32' ? undefined : true);
    const waits = [o.wait({ timeoutMs: 5_000 }), o.wait({ timeoutMs: 5_000 }), e.wait({ timeoutMs: 5_000 })];
    setTimeout(() => e.set(), 30);
    await within(5_000, 'three waiters', Promise.all(waits));
    expect(o.tryWait()).toBe(true);
    expect(o.tryWait()).toBe(true);
    e.reset();
    expect(o.tryWait()).toBe(false);
  });

  it('auto reset: each set releases exactly one waiter; a set with nobody waiting is kept for the next', async () => {
    const e = await track(createEvent(fresh('e')));
    expect(e.manualReset).toBe(false);
    e.set();
    expect(e.tryWait()).toBe(true);
    expect(e.tryWait()).toBe(false);
    let released = 0;
    const waits = [0, 1, 2].map(() => e.wait({ timeoutMs: 5_000 }).then(() => released++));
    e.set();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(released).toBe(1);
    e.set();
    e.set();
    await within(5_000, 'the other two', Promise.all(waits));
    expect(released).toBe(3);
    expect(e.tryWait()).toBe(false);
  });

  it('initial state, open-or-create, ETIMEDOUT, ECANCELED, ECLOSED', async () => {
    const name = fresh('e');
    const e = await track(createEvent(name, { initialState: true, manualReset: true }));
    expect((await track(openOrCreateEvent(name))).existed).toBe(true);
    await e.wait({ timeoutMs: 0 });
    e.reset();
    await expect(e.wait({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(e.wait({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const controller = new AbortController();
    const aborted = e.wait({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toMatchObject({ code: 'ECANCELED' });
    const pending = e.wait();
    setTimeout(() => e.close(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'ECLOSED' });
    expect(() => e.set()).toThrow(expect.objectContaining({ code: 'ECLOSED' }));
    await expect(createEvent('a/b')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(openEvent(fresh('none'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waitSync blocks until set or the timeout', async () => {
    const e = await track(createEvent(fresh('e'), { initialState: true }));
    e.waitSync({ timeoutMs: 100 });
    expect(() => e.waitSync({ timeoutMs: 30 })).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  });

  it('waitAny takes the first set event, and only it', async () => {
    const [a, b, c] = await Promise.all([
      track(createEvent(fresh('a'))),
      track(createEvent(fresh('b'))),
      track(createEvent(fresh('c'), { manualReset: true })),
    ]);
    const any = waitAny([a, b, c], { timeoutMs: 5_000 });
    setTimeout(() => b.set(), 30);
    expect(await within(5_000, 'waitAny', any)).toBe(1);
    expect(b.tryWait()).toBe(false); // taken by waitAny
    a.set();
    c.set();
    expect(await waitAny([a, b, c], { timeoutMs: 0 })).toBe(0);
    expect(await waitAny([a, b, c], { timeoutMs: 0 })).toBe(2);
    expect(c.tryWait()).toBe(true); // manual reset: still set
    c.reset();
    await expect(waitAny([a, b], { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(waitAny([])).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('is set by another process', async () => {
    const name = fresh('e');
    const e = await track(createEvent(name));
    const setter = peer('set-event', name, '50');
    await e.wait({ timeoutMs: 20_000 });
    await setter.finished();
  });
});
