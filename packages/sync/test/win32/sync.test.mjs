// Windows behaviour of @ipckit/sync under node:test, so that Windows Node runs it as it is: the
// Windows lane (tools/windows/lane.mjs) runs it with node.exe in Wine; on Windows,
// `node --test "packages/sync/test/win32/*.test.mjs"`. The objects are Win32 kernel objects
// (CreateMutexW, CreateSemaphoreW, CreateEventW); peers are separate node.exe processes
// (../fixtures/peer.mjs) and, in scenario.test.mjs, C programs built with mingw.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, within } from '@ipckit/core/testing';
import { createRegion } from '@ipckit/shared-memory';
import { createEvent, createMutex, createSemaphore, openEvent, openMutex, openOrCreateMutex, openSemaphore, waitAny } from '@ipckit/sync';
import { codeOf, ms } from '../../../../tools/windows/test-helpers.mjs';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

const open = [];
const procs = [];
const track = (item) => (open.push(item), item);
const peer = (...args) => {
  const p = PeerProcess.node(new URL('../fixtures/peer.mjs', import.meta.url), args, { timeoutMs: ms(60_000) });
  procs.push(p);
  return p;
};
const name = (what) => uniqueName(`syncw-${what}`);
const T = (n) => ({ timeout: ms(n) });
const sleep = (n) => new Promise((resolve) => setTimeout(resolve, n));

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  for (const item of open.splice(0).reverse()) item.close();
});

describe('Mutex (CreateMutexW)', () => {
  test('create, open, existed, EADDRINUSE, ENOENT, bad names', T(20_000), async () => {
    const n = name('m');
    assert.equal(await codeOf(() => openMutex(n)), 'ENOENT');
    const a = track(await createMutex(n));
    assert.equal(a.existed, false);
    assert.equal(a.path, n);
    assert.equal(await codeOf(() => createMutex(n)), 'EADDRINUSE');
    assert.equal(track(await openMutex(n)).existed, true);
    assert.equal(track(await openOrCreateMutex(`Local\\${n}`)).existed, true);
    for (const bad of ['', 'a\\b', 'Local\\', 'nul\0', 'x'.repeat(300)]) assert.equal(await codeOf(() => createMutex(bad)), 'EINVAL', JSON.stringify(bad));
  });

  test('exclusion between objects, hand-over, not recursive, EACCES, ETIMEDOUT, ECANCELED, ECLOSED', T(30_000), async () => {
    const n = name('m');
    const a = track(await createMutex(n));
    const b = track(await openMutex(n));
    const held = await a.acquire();
    assert.equal(b.tryAcquire(), undefined);
    assert.equal(await codeOf(() => b.acquire({ timeoutMs: 50 })), 'ETIMEDOUT');
    assert.equal(await codeOf(() => a.acquire({ timeoutMs: 50 })), 'ETIMEDOUT');
    assert.equal(await codeOf(() => a.acquireSync({ timeoutMs: 10 })), 'EINVAL');
    const controller = new AbortController();
    const aborted = b.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    assert.equal(await codeOf(() => aborted), 'ECANCELED');
    const waiting = b.acquire({ timeoutMs: ms(5_000) });
    await sleep(30);
    held.release();
    const got = await within(ms(5_000), 'hand-over', waiting);
    assert.equal(got.abandoned, false);
    assert.equal(await codeOf(() => a.release()), 'EACCES');
    got.release();
    await a.acquire();
    const pending = b.acquire();
    await sleep(20);
    b.close();
    assert.equal(await codeOf(() => pending), 'ECLOSED');
    assert.equal(await codeOf(() => b.acquire()), 'ECLOSED');
    a.close(); // releases what it holds
    const c = track(await openOrCreateMutex(n));
    (await c.acquire({ timeoutMs: ms(2_000) })).release();
  });

  test('4 node.exe processes × 2,500 increments under the mutex end exactly at 10,000', T(240_000), async () => {
    const base = name('count');
    const region = track(await createRegion(base, 64));
    const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 2);
    track(await createMutex(`${base}.lock`));
    const peers = [0, 1, 2, 3].map((i) => peer('count-mutex', base, '2500', i % 2 === 0 ? 'async' : 'sync'));
    await Promise.all(peers.map((p) => p.finished(ms(200_000))));
    assert.equal(words[0], 10_000);
  });

  test('a holder terminated (TerminateProcess) inside the critical section: the next is told "abandoned"', T(60_000), async () => {
    const base = name('dead');
    const region = track(await createRegion(base, 64));
    const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 2);
    const lock = track(await createMutex(`${base}.lock`));
    const holder = peer('hold-mutex', base);
    await holder.waitForEvent('holding');
    const counters = [peer('count-mutex', base, '200', 'async'), peer('count-mutex', base, '200', 'sync')];
    await Promise.all(counters.map((p) => p.waitForEvent('ready')));
    await holder.kill();
    const done = await Promise.all(counters.map((p) => p.finished(ms(50_000))));
    assert.equal(
      done.reduce((n, e) => n + Number(e.abandoned), 0),
      1,
    );
    assert.equal(words[0], 400);
    const after = await lock.acquire({ timeoutMs: ms(2_000) });
    assert.equal(after.abandoned, false);
    after.release();
  });
});

describe('Semaphore (CreateSemaphoreW)', () => {
  test('counts, the maximum, waits, ETIMEDOUT, ECANCELED, ECLOSED', T(30_000), async () => {
    const n = name('s');
    const a = track(await createSemaphore(n, { initial: 2, max: 3 }));
    const b = track(await openSemaphore(n));
    assert.equal(a.max, 3);
    assert.equal(b.max, undefined); // Windows does not tell an opener
    await a.acquire();
    assert.ok(b.tryAcquire());
    assert.equal(a.tryAcquire(), undefined);
    assert.equal(a.release(1), 0);
    a.release(2);
    assert.equal(await codeOf(() => a.release()), 'EINVAL');
    for (let i = 0; i < 3; i++) assert.ok(a.tryAcquire());
    assert.equal(await codeOf(() => b.acquire({ timeoutMs: 50 })), 'ETIMEDOUT');
    const waiting = b.acquire({ timeoutMs: ms(5_000) });
    setTimeout(() => a.release(), 30);
    await within(ms(5_000), 'semaphore hand-over', waiting);
    const controller = new AbortController();
    const aborted = b.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    assert.equal(await codeOf(() => aborted), 'ECANCELED');
    const pending = b.acquire();
    setTimeout(() => b.close(), 20);
    assert.equal(await codeOf(() => pending), 'ECLOSED');
    assert.equal(await codeOf(() => createSemaphore(name('s'), { initial: 4, max: 2 })), 'EINVAL');
  });

  test('4 node.exe processes × 1,000 increments under a semaphore of count 1 end exactly at 4,000', T(240_000), async () => {
    const base = name('scount');
    const region = track(await createRegion(base, 64));
    const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 2);
    track(await createSemaphore(`${base}.sem`, { initial: 1, max: 1 }));
    const peers = [0, 1, 2, 3].map(() => peer('count-semaphore', base, '1000'));
    await Promise.all(peers.map((p) => p.finished(ms(200_000))));
    assert.equal(words[0], 4_000);
  });
});

describe('Event (CreateEventW)', () => {
  test('manual reset releases everyone and stays set; auto reset releases one per set', T(30_000), async () => {
    const m = track(await createEvent(name('em'), { manualReset: true }));
    const mo = track(await openEvent(m.name));
    assert.equal(mo.manualReset, undefined); // Windows does not tell an opener
    const all = [mo.wait({ timeoutMs: ms(5_000) }), mo.wait({ timeoutMs: ms(5_000) })];
    setTimeout(() => m.set(), 30);
    await within(ms(5_000), 'manual waiters', Promise.all(all));
    assert.equal(mo.tryWait(), true);
    m.reset();
    assert.equal(mo.tryWait(), false);

    const e = track(await createEvent(name('ea')));
    e.set();
    assert.equal(e.tryWait(), true);
    assert.equal(e.tryWait(), false);
    let released = 0;
    const waits = [0, 1].map(() => e.wait({ timeoutMs: ms(5_000) }).then(() => released++));
    await sleep(50);
    e.set();
    await sleep(200);
    assert.equal(released, 1);
    e.set();
    await within(ms(5_000), 'second waiter', Promise.all(waits));
    assert.equal(await codeOf(() => e.wait({ timeoutMs: 50 })), 'ETIMEDOUT');
    const pending = e.wait();
    setTimeout(() => e.close(), 20);
    assert.equal(await codeOf(() => pending), 'ECLOSED');
  });

  test('waitAny takes the first set event; another process sets one', T(30_000), async () => {
    const [a, b] = [track(await createEvent(name('a'))), track(await createEvent(name('b')))];
    const any = waitAny([a, b], { timeoutMs: ms(20_000) });
    const setter = peer('set-event', b.name, '50');
    assert.equal(await within(ms(20_000), 'waitAny', any), 1);
    await setter.finished();
    assert.equal(b.tryWait(), false);
    a.set();
    assert.equal(await waitAny([a, b], { timeoutMs: 0 }), 0);
  });
});

describe('issue 17: waits that keep their rules', () => {
  test('300 waits on one event and 300 on one semaphore stand in one line each and are all served', T(60_000), async () => {
    const e = track(await createEvent(name('line-e'), { manualReset: true }));
    const s = track(await createSemaphore(name('line-s')));
    const waits = [
      ...Array.from({ length: 300 }, () => e.wait({ timeoutMs: ms(30_000) })),
      ...Array.from({ length: 300 }, () => s.acquire({ timeoutMs: ms(30_000) })),
    ];
    e.set();
    s.release(300);
    await within(ms(30_000), '600 waits', Promise.all(waits));
    assert.equal(s.tryAcquire(), undefined);
  });

  test('timeouts past 2^31 - 1 ms are waited, not ended at once', T(30_000), async () => {
    const e = track(await createEvent(name('long-e')));
    const other = track(await createEvent(name('long-o')));
    const s = track(await createSemaphore(name('long-s')));
    const settled = [];
    const note = (what, p) => p.finally(() => settled.push(what));
    const waits = [
      note('event', e.wait({ timeoutMs: 2 ** 31 })),
      note('semaphore', s.acquire({ timeoutMs: 1e10 })),
      note('waitAny', waitAny([other], { timeoutMs: 1e300 })),
    ];
    await sleep(100);
    assert.deepEqual(settled, []);
    e.set();
    s.release();
    other.set();
    await within(ms(20_000), 'three waits', Promise.all(waits));
  });

  test('an event closed while waitAny waits on it: ECLOSED', T(30_000), async () => {
    const e1 = await createEvent(name('any-1'));
    const e2 = track(await createEvent(name('any-2')));
    const pending = waitAny([e1, e2], { timeoutMs: ms(20_000) });
    await sleep(50);
    e1.close();
    assert.equal(await codeOf(() => pending), 'ECLOSED');
    e2.set();
    assert.equal(await within(ms(20_000), 'waitAny on the other', waitAny([e2])), 0);
  });

  test('release is all or nothing: EINVAL past the maximum adds nothing', T(20_000), async () => {
    const s = track(await createSemaphore(name('all'), { initial: 6, max: 10 }));
    assert.equal(await codeOf(() => s.release(10)), 'EINVAL');
    assert.equal(s.release(4), 6);
  });
});
