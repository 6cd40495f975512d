import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '@ipckit/core/kit';

describe('AsyncQueue', () => {
  it('delivers in order, then ends', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    setTimeout(() => {
      queue.push(3);
      queue.end();
    }, 5);
    const got: number[] = [];
    for await (const n of queue) got.push(n);
    expect(got).toEqual([1, 2, 3]);
  });

  it('pauses at the high-water mark and resumes at half', async () => {
    const events: string[] = [];
    const queue = new AsyncQueue<number>(4, { pause: () => events.push('pause'), resume: () => events.push('resume') });
    for (let i = 0; i < 4; i++) queue.push(i);
    expect(events).toEqual(['pause']);
    await queue.next();
    await queue.next();
    expect(events).toEqual(['pause', 'resume']);
  });

  it('gives buffered items before an error', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.fail(new Error('boom'));
    expect(await queue.next()).toEqual({ value: 1, done: false });
    await expect(queue.next()).rejects.toThrow('boom');
  });

  it('refuses a second concurrent iteration', () => {
    const queue = new AsyncQueue<number>();
    queue[Symbol.asyncIterator]();
    expect(() => queue[Symbol.asyncIterator]()).toThrow(/one consumer/);
  });

  it('drain() hands over what is buffered and resumes a paused source', async () => {
    const calls: string[] = [];
    const queue = new AsyncQueue<number>(2, { pause: () => calls.push('pause'), resume: () => calls.push('resume') });
    queue.push(1);
    queue.push(2);
    expect(queue.drain()).toEqual([1, 2]);
    expect(calls).toEqual(['pause', 'resume']);
    queue.push(3);
    queue.end();
    const got: number[] = [];
    for await (const n of queue) got.push(n);
    expect(got).toEqual([3]);
  });
});

describe('AsyncQueue waits that are given up', () => {
  it('a take that times out or is aborted takes nothing: the item that comes next is kept', async () => {
    const queue = new AsyncQueue<number>();
    await expect(queue.take({ timeoutMs: 5 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const controller = new AbortController();
    const aborted = queue.take({ signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(queue.waiting).toBe(false);
    queue.push(1);
    await expect(queue.take({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(await queue.take()).toEqual({ value: 1, done: false });
  });

  it('returning from an iteration ends its pending step with done and takes nothing', async () => {
    const queue = new AsyncQueue<number>();
    const iterator = queue[Symbol.asyncIterator]();
    const pending = iterator.next();
    await iterator.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    queue.push(7);
    const again = queue[Symbol.asyncIterator]();
    expect(await again.next()).toEqual({ value: 7, done: false });
  });

  it('a failed queue throws its error once, then is done; an iteration that threw can start again', async () => {
    const queue = new AsyncQueue<number>();
    queue.fail(new Error('broken'));
    const iterator = queue[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow('broken');
    expect(await queue[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true });
  });

  it('a second take while one waits is EINVAL; bad options are EINVAL', async () => {
    const queue = new AsyncQueue<number>();
    const first = queue.take();
    await expect(queue.take()).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(queue.take({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'EINVAL' });
    queue.end();
    expect(await first).toEqual({ value: undefined, done: true });
  });
});
