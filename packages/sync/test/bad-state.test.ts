/**
 * Issue 17 §1 and §2: waits that must keep their own rules whatever the
 * shared bytes hold or the caller passes. Foreign bytes in a mutex are
 * refused before glibc sees them (EINVAL; glibc asserted and aborted the
 * process); a lock word glibc calls held with no owner times out; a corrupt
 * event state is EINVAL, not a spin; a timeout past setTimeout's limit is
 * honoured; closing an event under waitAny is ECLOSED; a release is all or
 * nothing, and costs the same for 1 or 2^24.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PeerProcess, within } from '@ipckit/core/testing';
import { openRegion } from '@ipckit/shared-memory';
import {
  createEvent,
  createMutex,
  createSemaphore,
  openOrCreateEvent,
  openOrCreateMutex,
  openOrCreateSemaphore,
  openSemaphore,
  unlinkSyncObject,
  waitAny,
  type Event,
  type Mutex,
  type Semaphore,
} from '@ipckit/sync';
import { fresh, leftovers } from './helpers.js';

const HOSTILE = fileURLToPath(new URL('./fixtures/hostile.mjs', import.meta.url));
const linux = process.platform === 'linux';

const open: Array<Event | Mutex | Semaphore> = [];
async function track<T extends Event | Mutex | Semaphore>(made: Promise<T>): Promise<T> {
  const object = await made;
  open.push(object);
  return object;
}
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});
afterAll(() => expect(leftovers()).toEqual([]));

/** The u32 words of a POSIX object's region from `byte` on, mapped a second time. */
async function wordsOf(name: string, byte: number, count: number): Promise<{ words: Int32Array; close(): void }> {
  const region = await openRegion(name);
  return { words: new Int32Array(region.bytes.buffer, region.bytes.byteOffset + byte, count), close: () => region.close() };
}

/** Resolves after `ms` ms: lets other work run; nothing asserted depends on how long it took. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(linux)('foreign bytes in a POSIX mutex', () => {
  // glibc's __kind values: PTHREAD_MUTEX_PRIO_PROTECT_NP 64, ..._PRIO_INHERIT_NP 32, ..._ROBUST_NORMAL_NP 16, pshared 128.
  const cases = [
    { what: 'a priority-ceiling kind', kind: 64 | 128, lock: 0 },
    { what: 'robust priority-inheritance with a dead owner TID', kind: 16 | 32 | 128, lock: 0x3ffffff0 },
  ];
  for (const { what, kind, lock } of cases) {
    it(`${what}: tryAcquire, acquire and acquireSync are EINVAL, and the process lives`, async () => {
      const peer = PeerProcess.node(HOSTILE, ['mutex-bytes', fresh('kind'), String(kind), String(lock)], { timeoutMs: 60_000 });
      const done = await peer.finished();
      expect(await peer.exit(), peer.stderr).toBe(0);
      expect(done).toMatchObject({ tryAcquire: 'EINVAL', acquire: 'EINVAL/', acquireSync: 'EINVAL' });
    });
  }

  it('a lock word of 0x80000000 (waiters, no owner): acquire({ timeoutMs }) times out', async () => {
    const name = fresh('m');
    const mutex = await track(createMutex(name));
    const lock = await wordsOf(name, 64, 1);
    lock.words[0] = 0x80000000 | 0;
    await within(30_000, 'the timed acquire', expect(mutex.acquire({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' }));
    expect(mutex.tryAcquire()).toBeUndefined();
    lock.words[0] = 0;
    expect(mutex.tryAcquire()).toBeDefined();
    lock.close();
  });

  it('an auto-reset event whose state word is negative: wait and tryWait are EINVAL, no spinning until the timeout', async () => {
    const name = fresh('e');
    const event = await track(createEvent(name));
    const state = await wordsOf(name, 16, 1);
    state.words[0] = -5;
    // Before: wait() polled the word at full speed until the timeout ended it with ETIMEDOUT.
    await within(30_000, 'the wait', expect(event.wait({ timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'EINVAL' }));
    expect(() => event.tryWait()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => event.set()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    event.reset();
    event.set();
    expect(event.tryWait()).toBe(true);
    state.close();
  });
});

describe('timeouts past setTimeout limit (2^31 - 1 ms)', () => {
  for (const timeoutMs of [2 ** 31, 1e10, 1e300]) {
    it(`timeoutMs ${timeoutMs} is waited, not ended at once (mutex in line, event, semaphore, waitAny)`, async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const mutex = await track(createMutex(fresh('m')));
        const event = await track(createEvent(fresh('e')));
        const other = await track(createEvent(fresh('e')));
        const sem = await track(createSemaphore(fresh('s')));
        const held = await mutex.acquire();
        const settled: string[] = [];
        const note = <T>(what: string, p: Promise<T>): Promise<T> =>
          p.then(
            (v) => (settled.push(what), v),
            (e: unknown) => {
              settled.push(`${what}: ${String(e)}`);
              throw e;
            },
          );
        const waits = [
          note('mutex', mutex.acquire({ timeoutMs })),
          note('event', event.wait({ timeoutMs })),
          note('semaphore', sem.acquire({ timeoutMs })),
          note('waitAny', waitAny([other], { timeoutMs })),
        ];
        // Before the fix each of these ended after about 1 ms with ETIMEDOUT.
        await pause(100);
        expect(settled).toEqual([]);
        held.release();
        event.set();
        sem.release();
        other.set();
        const [guard] = await within(30_000, 'the four waits', Promise.all(waits));
        (guard as { release(): void }).release();
        expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });
  }
});

describe('waitAny and close', () => {
  it('an event closed while waitAny waits on it: ECLOSED, and the other events stay usable', async () => {
    const e1 = await createEvent(fresh('e'));
    const e2 = await track(createEvent(fresh('e')));
    const pending = waitAny([e1, e2], { timeoutMs: 30_000 });
    await pause(50); // let it fall asleep in the kernel (a close before that is ECLOSED too)
    e1.close();
    await within(30_000, 'waitAny', expect(pending).rejects.toMatchObject({ code: 'ECLOSED' }));
    e2.set();
    expect(await within(30_000, 'waitAny on the other', waitAny([e2]))).toBe(0);
  });
});

describe('Semaphore.release', () => {
  it('is all or nothing: release(10) 4 below the maximum releases nothing (EINVAL)', async () => {
    const top = 2 ** 31 - 1;
    const sem = await track(createSemaphore(fresh('s'), { initial: top - 4 }));
    expect(() => sem.release(10)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(sem.release(4)).toBe(top - 4);
    expect(() => sem.release(1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it.runIf(linux)('on a bare sem_open semaphore (no ipckit record, maximum unknown) too', async () => {
    const { O_CREAT, O_EXCL, isNull, libc } = await import('@ipckit/sys/posix');
    const name = fresh('bare');
    const made = libc().sem_open(`/${name}`, O_CREAT | O_EXCL, 'uint32_t', 0o600, 'uint32_t', 2 ** 31 - 1 - 4);
    expect(isNull(made)).toBe(false);
    try {
      const sem = await track(openSemaphore(name));
      expect(sem.max).toBeUndefined();
      // Before: 4 posts went in, the fifth failed with EOVERFLOW (EIO).
      expect(() => sem.release(10)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      expect(sem.release(4)).toBe(2 ** 31 - 1 - 4);
    } finally {
      libc().sem_close(made);
      await unlinkSyncObject(name);
    }
  });

  it.runIf(linux)('release(2^24) is one step: no sem_post per unit, and every waiter is woken', async () => {
    const { libc } = await import('@ipckit/sys/posix');
    const c = libc();
    const post = c.sem_post;
    let posts = 0;
    c.sem_post = (...args: Parameters<typeof post>) => {
      posts++;
      return post(...args);
    };
    try {
      const sem = await track(createSemaphore(fresh('s')));
      const waits = [sem.acquire({ timeoutMs: 30_000 }), sem.acquire({ timeoutMs: 30_000 }), sem.acquire({ timeoutMs: 30_000 })];
      expect(sem.release(2 ** 24)).toBe(0);
      await within(30_000, 'three waiters', Promise.all(waits));
      // Before: 2^24 sem_post calls, about a second of a blocked event loop.
      expect(posts).toBe(0);
      // The line's thread may hold one unit more, taken in sem_clockwait for a waiter that
      // release() had already served; it gives it back on the event loop. Wait for that event
      // (a probe release, undone at once, until the count is whole), with a generous watchdog.
      const watchdog = Date.now() + 30_000;
      let before = sem.release(1);
      while (before !== 2 ** 24 - 3 && Date.now() < watchdog) {
        expect(sem.tryAcquire()).toBeDefined();
        await new Promise((resolve) => setTimeout(resolve, 10));
        before = sem.release(1);
      }
      expect(before).toBe(2 ** 24 - 3);
    } finally {
      c.sem_post = post;
    }
  });
});

describe.runIf(linux)('a name squatted by a foreign ownership record (issue 17 §3)', () => {
  it('create and open-or-create both say EADDRINUSE, for each kind', async () => {
    for (const [kind, create, openOrCreate] of [
      ['mutex', createMutex, openOrCreateMutex],
      ['event', createEvent, openOrCreateEvent],
      ['semaphore', createSemaphore, openOrCreateSemaphore],
    ] as const) {
      const name = fresh('squat');
      // A record no ipckit process wrote, with no region beside it.
      writeFileSync(`/dev/shm/${name}.ipckit-owner`, Buffer.alloc(24, 7), { mode: 0o600 });
      try {
        await expect(create(name), kind).rejects.toMatchObject({ code: 'EADDRINUSE' });
        // Before: ENOENT ("no shared memory region named ..."), as if the name were free.
        await expect(openOrCreate(name), kind).rejects.toMatchObject({ code: 'EADDRINUSE' });
      } finally {
        rmSync(`/dev/shm/${name}.ipckit-owner`, { force: true });
      }
    }
  });
});
