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
