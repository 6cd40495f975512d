// discover() on Windows (issue 19 §3), under node:test so that Windows Node runs it as it is (the
// Windows lane runs it in Wine). What discover() can see there is named pipes (every one of
// \\.\pipe\): Wine cannot list that namespace, so under Wine it sees nothing and says why; on
// Windows a listener's pipe appears and, once its process is killed, goes.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, test } from 'node:test';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, within } from '@ipckit/core/testing';
import { ms, underWine } from '../../../../tools/windows/test-helpers.mjs';
import { discover } from '../../dist/index.js';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

const BIN = fileURLToPath(new URL('../../bin/ipckit.js', import.meta.url));
const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' };
const T = (n) => ({ timeout: ms(n) });
const procs = [];

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

/** An `ipckit listen pipe://NAME` of its own, once it listens. */
async function listener(name) {
  const p = new PeerProcess(process.execPath, [BIN, 'listen', `pipe://${name}`], { label: `ipckit listen pipe://${name}`, env: ENV });
  procs.push(p);
  const deadline = Date.now() + ms(60_000);
  while (!/listening on /.test(p.stderr)) {
    if (p.ended) throw new Error(`${p.label} ended before it listened: ${p.stderr}`);
    if (Date.now() > deadline) throw new Error(`${p.label} did not listen: ${p.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return p;
}

describe('discover() on Windows', () => {
  test('bad options are EINVAL before anything starts', T(30_000), () => {
    for (const options of [{ intervalMs: 0 }, { once: 'yes' }, { names: 'x' }, { interval: 5 }]) {
      assert.throws(
        () => discover(options),
        (error) => error.code === 'EINVAL',
        JSON.stringify(options),
      );
    }
  });

  test('a snapshot sees a live listener’s named pipe (Wine: nothing, and says why)', T(180_000), async () => {
    const name = uniqueName('discw');
    await listener(name);
    const watch = discover({ once: true, names: [name] });
    const events = [];
    for await (const event of watch) events.push(event);
    assert.match(watch.notes.join('\n'), /every named pipe is listed/);
    if (underWine) {
      // FindFirstFile on \\.\pipe\ fails under Wine (as for `ls`): nothing seen, and the notes say it.
      assert.deepEqual(events, []);
      assert.match(watch.notes.join('\n'), /cannot list \\\\\.\\pipe\\/);
    } else {
      assert.deepEqual(
        events.map((e) => [e.type, e.service.kind, e.service.address, e.service.state]),
        [['appeared', 'pipe', `pipe://${name}`, 'live']],
      );
    }
  });

  test('watching: a killed listener’s pipe goes (Windows); return() ends a pending step', T(180_000), async () => {
    const name = uniqueName('discw');
    const served = await listener(name);
    const watch = discover({ names: [name], intervalMs: 100 });
    if (!underWine) {
      const first = await within(ms(60_000), 'the pipe appears', watch.next());
      assert.equal(first.value?.type, 'appeared');
      served.child.kill();
      await served.exit();
      const next = await within(ms(60_000), 'the pipe goes', watch.next());
      assert.equal(next.value?.type, 'gone');
      assert.equal(next.value?.service.address, `pipe://${name}`);
    }
    const pending = watch.next();
    await watch.return();
    assert.deepEqual(await within(ms(60_000), 'the pending step', pending), { value: undefined, done: true });
  });
});
