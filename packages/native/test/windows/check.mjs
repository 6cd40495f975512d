// The Windows check of @ipckit/native, for Windows Node (under Wine on Linux:
// `npm run check:win32`, see scripts/check-win32.mjs). Two node.exe processes,
// one waits on the named event and the other wakes it (both ways); in-process
// results, close(), waitSync in a worker, and a process with idle waiters exits.
// It uses dist/ (run tsc first) and plain ArrayBuffers: on Windows the word is
// only read by the waiter, the wake-up travels through the named event.
// Prints one line per check and ALL OK / N FAILED last; exit code 0 when all pass.
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';

const DIST = new URL('../../dist/index.js', import.meta.url).href;
const native = await import(DIST);
const { openWaiter, primitive, loadedFrom, detach, isDetached } = native;
const [role, name] = process.argv.slice(2);
const log = (...a) => console.log(`[${role ?? 'main'} ${process.pid}]`, ...a);

if (role === 'waker') {
  const w = openWaiter(new ArrayBuffer(8), 0, name);
  await new Promise((r) => setTimeout(r, 300)); // let the parent go to sleep first
  w.wake();
  log('woke', name);
  w.close();
} else if (role === 'waiter') {
  const w = openWaiter(new ArrayBuffer(8), 0, name);
  const t = Date.now();
  const r = await w.wait(0, 20000);
  log('waited', r, Date.now() - t, 'ms');
  w.close();
  process.exitCode = r === 'woken' ? 0 : 3;
} else if (role === 'idle') {
  const a = openWaiter(new ArrayBuffer(8), 0, name);
  log('first', await a.wait(0, 1));
  const b = openWaiter(new ArrayBuffer(8), 0, name + '-b').unref();
  void b.wait(0);
  const c = openWaiter(new ArrayBuffer(8), 0, name + '-c');
  const p = c.wait(0);
  c.close();
  log('closed', await p);
} else {
  let failures = 0;
  const check = (what, got, want) => {
    const ok = JSON.stringify(got) === JSON.stringify(want);
    if (!ok) failures++;
    log(ok ? 'ok  ' : 'FAIL', what, JSON.stringify(got), ok ? '' : `want ${JSON.stringify(want)}`);
  };
  const runChild = (r, n) =>
    new Promise((resolve) => {
      const c = spawn(process.execPath, [process.argv[1], r, n], { stdio: 'inherit' });
      const watchdog = setTimeout(() => c.kill(), 30_000);
      c.on('exit', (code) => {
        clearTimeout(watchdog);
        resolve(code);
      });
    });
  check('primitive', primitive(), 'event');
  const ab = new ArrayBuffer(16);
  const i32 = new Int32Array(ab);
  const name0 = `wine-${process.pid}`;
  const w = openWaiter(ab, 4, name0);
  check('loaded from prebuild', /prebuilds[\\/]win32-x64/.test(loadedFrom()), true);
  Atomics.store(i32, 1, 5);
  check('not-equal', await w.wait(4, 1000), 'not-equal');
  check('waitSync not-equal', w.waitSync(4, 1000), 'not-equal');
  check('timed-out', await w.wait(5, 50), 'timed-out');
  check('waitSync timed-out', w.waitSync(5, 20), 'timed-out');
  // same-process wake, remembered by the auto-reset event
  w.wake();
  check('remembered wake', w.waitSync(5, 1000), 'woken');
  check('consumed', w.waitSync(5, 0), 'timed-out');
  try {
    openWaiter(ab, 2, 'x');
    check('EINVAL', 'no throw', 'EINVAL');
  } catch (e) {
    check('EINVAL', e.code, 'EINVAL');
  }
  // cross-process: child wakes, we wait
  const t = Date.now();
  const pending = w.wait(5, 20000);
  const childCode = runChild('waker', name0);
  check('woken by another process', await pending, 'woken');
  log('wait took', Date.now() - t, 'ms');
  check('waker exit', await childCode, 0);
  // cross-process: child waits, we wake (keep waking until it exits)
  const name1 = `wine-${process.pid}-r`;
  const w1 = openWaiter(new ArrayBuffer(8), 0, name1);
  const waiterExit = runChild('waiter', name1);
  await new Promise((r) => setTimeout(r, 500));
  w1.wake();
  check('child waiter woken', await waiterExit, 0);
  // close ends a pending wait
  const p = w.wait(5);
  w.close();
  check('closed', await p, 'closed');
  // worker thread waitSync
  const name2 = `wine-${process.pid}-w`;
  const w2 = openWaiter(new ArrayBuffer(8), 0, name2);
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     import(workerData.url).then(({ openWaiter }) => {
       const w = openWaiter(new ArrayBuffer(8), 0, workerData.name);
       parentPort.postMessage(w.waitSync(0, 20000));
       w.close();
     });`,
    { eval: true, workerData: { url: DIST, name: name2 } },
  );
  const fromWorker = new Promise((r) => worker.once('message', r));
  setTimeout(() => w2.wake(), 500);
  check('worker waitSync', await fromWorker, 'woken');
  await worker.terminate();
  w2.close();
  // detach: a koffi.view over a MapViewOfFile view is detachable under Windows Node,
  // so @ipckit/shared-memory can unmap closed views for real
  {
    const { createRequire } = await import('node:module');
    const koffi = createRequire(import.meta.url)('koffi');
    const k32 = koffi.load('kernel32.dll');
    const CreateFileMappingW = k32.func(
      'void *__stdcall CreateFileMappingW(intptr_t file, void *sa, uint32_t protect, uint32_t hi, uint32_t lo, const char16_t *name)',
    );
    const MapViewOfFile = k32.func('void *__stdcall MapViewOfFile(void *h, uint32_t access, uint32_t hi, uint32_t lo, size_t n)');
    const UnmapViewOfFile = k32.func('int __stdcall UnmapViewOfFile(void *p)');
    const CloseHandle = k32.func('int __stdcall CloseHandle(void *h)');
    const h = CreateFileMappingW(-1, null, 0x04, 0, 65536, null);
    const p = MapViewOfFile(h, 0x0002, 0, 0, 65536);
    const view = koffi.view(p, 65536);
    const bytes = new Uint8Array(view);
    bytes[3] = 7;
    check('detach a koffi.view of a mapping', detach(view), true);
    check('detached length', [view.byteLength, bytes.length, isDetached(view)], [0, 0, true]);
    UnmapViewOfFile(p);
    CloseHandle(h);
    check('read after unmap', bytes[3] ?? 'undefined', 'undefined');
    const wbuf = new ArrayBuffer(8);
    const wd = openWaiter(wbuf, 0, `wine-${process.pid}-d`);
    detach(wbuf);
    try {
      wd.load();
      check('waiter on a detached buffer', 'no throw', 'ECLOSED');
    } catch (e) {
      check('waiter on a detached buffer', e.code, 'ECLOSED');
    }
    wd.close();
  }
  // a process with an idle, an unref()d pending and a closed waiter exits
  const t2 = Date.now();
  check('idle child exits', await runChild('idle', `wine-${process.pid}-i`), 0);
  log('idle child took', Date.now() - t2, 'ms');
  log(failures === 0 ? 'ALL OK' : `${failures} FAILED`);
  process.exitCode = failures === 0 ? 0 : 1;
}
