// docs/topics-shm.md on Windows, under node:test so that Windows Node runs it as it is (the Windows
// lane: node.exe in Wine; on Windows, `node --test "packages/shared-memory/test/win32/*.test.mjs"`).
// The C subscriber written from that page alone (../fixtures/topic-subscriber.c, cross-compiled with
// mingw: ./native.json) joins a Node publisher in this process through the Windows objects the page
// names (file mappings, the Local\ipckit-T.pub and per-slot events) and prints one line per message,
// "seq length missed sum", then "end N". Every name comes from uniqueName, every test has a watchdog.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';
import { publishTopic } from '@ipckit/shared-memory';
import { ms, nativeProgram } from '../../../../tools/windows/test-helpers.mjs';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

const T = (n) => ({ timeout: ms(n) });
const publishers = [];
const procs = [];

/** Message `i` of `size` bytes, different in every byte and from message to message. */
const message = (i, size) => {
  const m = new Uint8Array(size);
  for (let j = 0; j < size; j++) m[j] = (i * 13 + j * 5) & 0xff;
  return m;
};
/** What the C subscriber prints as `sum`: the bytes added up mod 2^32. */
const sum = (m) => m.reduce((total, byte) => (total + byte) >>> 0, 0);
/** The line the C subscriber prints for message `seq` (`missed` = how many it was told it lost before it). */
const line = (seq, m, missed = 0) => `${seq} ${m.length} ${missed} ${sum(m)}`;

const publish = async (name, options) => {
  const p = await publishTopic(name, options);
  publishers.push(p);
  return p;
};
const subscriber = (...args) => {
  const p = new PeerProcess(nativeProgram('topic-subscriber', import.meta.url), args, { label: 'C topic-subscriber' });
  procs.push(p);
  return p;
};

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.close()));
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

describe('a C subscriber written from docs/topics-shm.md reads a Node publisher on Windows', () => {
  test('history first, then every message in order (empty, small, 100 KB, 300 KB), then the end when the publisher closes', T(120_000), async () => {
    const name = uniqueName('shmtopicc');
    // block (the default) with capacity 8: the publisher waits for the C subscriber, so its bell
    // (Local\ipckit-T.pub) must work, and so must the subscriber's (its slot's event).
    const publisher = await publish(name, { capacity: 8, history: 3 });
    const before = [10, 20, 4096, 0, 77].map((size, i) => message(i, size));
    for (const m of before) await publisher.send(m);
    const sizes = [0, 1, 64, 4096, 100_000, 3, 300_000, 7, ...Array.from({ length: 200 }, (_, i) => (i * 97) % 5000)];
    const after = sizes.map((size, i) => message(before.length + i, size));
    const c = subscriber(name, String(before.length + after.length + 10));
    await publisher.waitForSubscribers(1, { timeoutMs: ms(30_000) });
    for (const m of after) await publisher.send(m);
    await publisher.close();
    // history: 3 = the last three sent before it joined (seq 2, 3, 4), then everything after.
    const all = [...before, ...after];
    for (let seq = before.length - 3; seq < all.length; seq++) assert.equal(await c.nextLine(ms(20_000)), line(seq, all[seq]));
    assert.equal(await c.nextLine(ms(20_000)), `end ${all.length - (before.length - 3)}`);
    assert.equal(await c.exit(ms(20_000)), 0, c.stderr);
  });

  test('drop-oldest: a C subscriber that falls behind is told how many it missed, then reads the last `capacity` messages', T(120_000), async () => {
    const name = uniqueName('shmtopicc');
    const capacity = 8;
    const publisher = await publish(name, { capacity, policy: 'drop-oldest' });
    // "pause": admitted and mapped, it reads nothing until it gets a line on stdin.
    const c = subscriber(name, '1000', 'pause');
    assert.equal(await c.nextLine(ms(30_000)), 'joined');
    const sent = Array.from({ length: 100 }, (_, i) => message(i, (i * 37) % 3000));
    for (const m of sent) await publisher.send(m);
    await publisher.close();
    c.write('go\n');
    const first = sent.length - capacity;
    assert.equal(await c.nextLine(ms(20_000)), line(first, sent[first], first), 'the first delivery says what was lost before it');
    for (let seq = first + 1; seq < sent.length; seq++) assert.equal(await c.nextLine(ms(20_000)), line(seq, sent[seq]));
    assert.equal(await c.nextLine(ms(20_000)), `end ${capacity}`);
    assert.equal(await c.exit(ms(20_000)), 0, c.stderr);
  });

  test('a topic nobody publishes: the C subscriber finds no file mapping (ERROR_FILE_NOT_FOUND) and exits 1', T(60_000), async () => {
    const r = await PeerProcess.run(nativeProgram('topic-subscriber', import.meta.url), [uniqueName('shmtopicc'), '1']);
    assert.equal(r.stdout, 'error open 2');
    assert.equal(r.code, 1);
  });
});
