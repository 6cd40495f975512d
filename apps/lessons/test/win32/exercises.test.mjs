// The exercises' solutions under Windows Node (the Windows lane: node.exe in Wine; ex3_view.c built
// with mingw), as test/exercises.test.ts runs them on Linux.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { LessonProcess, scaled } from '../../lib/proc.mjs';
import { APP_DIR, cProgram, nodeScript } from '../../lib/programs.mjs';
import { createEvent } from '@ipckit/sync';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

let sequence = 0;
const procs = [];
const start = (label, file, args) => {
  const proc = new LessonProcess(label, file, args, { sequence: () => sequence++ });
  procs.push(proc);
  return proc;
};
const node = (script, ...args) => start(script, process.execPath, [nodeScript(script), ...args]);
const name = (what) => `ex-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const T = { timeout: scaled(120_000) };

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

describe("the exercises' solutions (Windows)", () => {
  test('1: a request and its reply through two mailslots', T, async () => {
    const n = name('slot');
    const server = node('exercises/ex1-reply', 'serve', n, '1');
    await server.expect('serving');
    const client = node('exercises/ex1-reply', 'ask', n, 'how long is this question');
    assert.equal(await client.expect('answer:'), 'answer: you asked "how long is this question"; the answer is 25 characters long');
    await client.done();
    await server.done();
  });

  test("2: a frame written by hand reaches the lesson's pipe server, and its reply comes back", T, async () => {
    const n = name('pipe');
    const server = node('02-pipes/server', n);
    await server.expect('listening on');
    const client = node('exercises/ex2-frame', n, 'by hand');
    assert.equal(await client.expect('the reply frame'), 'the reply frame: 4 + 7 bytes, "BY HAND"');
    await client.done();
    assert.equal(await server.expect('got'), 'got 7 bytes: "by hand"');
    server.send('close');
    await server.done();
  });

  test('3: a view at offset 70,000 mapped by hand in C (MapViewOfFile at a multiple of 64 KiB)', T, async () => {
    const n = name('map');
    const writer = node('03-mapping/writer', n);
    await writer.expect('wrote "far from the start"');
    const view = start('ex3_view', cProgram('ex3_view'), [n, '70000', '32']);
    assert.equal(await view.expect('mapped from'), 'mapped from 65536 (a multiple of 65536), skipped 4464 bytes: "far from the start"');
    await view.done();
    writer.send('close');
    await writer.done();
  });

  test('4: a seqlock: readers retry instead of locking, and no copy is torn', T, async () => {
    const n = name('seq');
    const writer = node('exercises/ex4-seqlock', 'write', n);
    await writer.expect('writing');
    const reader = node('exercises/ex4-seqlock', 'read', n, '100000');
    assert.match(await reader.expect('copies'), /^read 100000 copies: 0 torn, after \d+ retries$/);
    await reader.done(0, scaled(60_000));
    writer.send('stop');
    await writer.done();
  });

  test('5: the ratios computed from the saved bench run', T, async () => {
    const ratios = node('exercises/ex5-ratios', join(APP_DIR, 'bench', 'run.json'));
    await ratios.done();
    assert.ok(ratios.lines.length > 0);
    for (const line of ratios.lines) assert.match(line.text, /B: pipe .* = ×\S+$/);
  });

  test('6: a slow subscriber under drop-oldest accounts for every message (shm://)', T, async () => {
    const n = name('topic');
    const go = await createEvent(`${n}-go`, { manualReset: true });
    try {
      const publisher = node('06-topics/publisher', `shm://${n}`, 'drop-oldest', '4');
      await publisher.expect('publishing');
      const sub = node('exercises/ex6-account', `shm://${n}`, `${n}-go`);
      await sub.expect('subscribed');
      publisher.send('wait 1');
      await publisher.expect('counted in');
      publisher.send('send 10');
      await publisher.expect('sent');
      go.set();
      publisher.send('close');
      await publisher.done();
      assert.equal(await sub.expect('received'), 'received 4 and missed 6 of 10 messages');
      await sub.done();
    } finally {
      go.close();
    }
  });
});
