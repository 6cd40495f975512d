// Windows behaviour of mailslots, under node:test so that Windows Node runs it as it is: the Windows
// lane (tools/windows/lane.mjs) runs it with node.exe in Wine; on Windows,
// `node --test "packages/mailslot/test/win32/*.test.mjs"`. Peers are separate node.exe processes (./peer.mjs)
// and C programs using only CreateMailslotA / CreateFileA + WriteFile / ReadFile (../native/*.c,
// cross-compiled with mingw: ./native.json). Every name comes from uniqueName, every test has a
// watchdog (`timeout`). Where Wine's mailslots differ from Windows' (tools/windows/README.md,
// "What Wine does not prove"), the test asserts Windows' behaviour on Windows and Wine's under Wine.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { connect, uniqueName } from '@ipckit/core';
import { PeerProcess, SequenceChecker, fnv1a, patternMessage, sameBytes, sequenceMessage, within } from '@ipckit/core/testing';
import { DEFAULT_MAX_MESSAGE_BYTES, connectMailslot, listenMailslot, mailslotPath } from '@ipckit/mailslot';
import { errorOf, ms, nativeProgram, underWine } from '../../../../tools/windows/test-helpers.mjs';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

const open = [];
const procs = [];
const track = (item) => (open.push(item), item);
const peer = (...args) => {
  const p = PeerProcess.node(new URL('peer.mjs', import.meta.url), args);
  procs.push(p);
  return p;
};
const name = () => uniqueName('msw');
const T = (n) => ({ timeout: ms(n) });
const sleep = (n) => new Promise((resolve) => setTimeout(resolve, n));
const text = (s) => new TextEncoder().encode(s);

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  for (const item of open.splice(0).reverse()) await within(ms(5_000), 'cleanup', Promise.resolve(item.close())).catch(() => undefined);
});

/** Polls until `condition` holds (the test's timeout is the watchdog). */
async function until(condition) {
  while (!condition()) await sleep(5);
}

/** The listener's one channel, as an iterator. */
async function incoming(listener) {
  const first = await listener[Symbol.asyncIterator]().next();
  assert.equal(first.done, false, 'the listener yields its channel');
  return first.value[Symbol.asyncIterator]();
}

async function next(iterator) {
  const r = await iterator.next();
  assert.equal(r.done, false, 'the channel ended early');
  return r.value;
}

describe('GetMailslotInfo / SetMailslotInfo through info() and setReadTimeout()', () => {
  test('max size, read timeout, next size and count waiting, before and while messages queue in the slot', T(60_000), async () => {
    const n = name();
    const listener = track(await listenMailslot(n, { maxMessageBytes: 5000, readTimeoutMs: 40 }));
    assert.equal(listener.path, `\\\\.\\mailslot\\${n}`);
    assert.equal(listener.path, await mailslotPath(n));
    assert.deepEqual(listener.info(), {
      maxMessageBytes: 5000,
      nextMessageBytes: undefined,
      messagesWaiting: 0,
      buffered: 0,
      discarded: 0,
      readTimeoutMs: 40, // from GetMailslotInfo: what CreateMailslotW was given
    });
    // 69 messages of 1..69 bytes, nobody consuming: the reader takes 64 into the process, then
    // stops reading, so the last 5 stay in the slot, where only GetMailslotInfo sees them.
    const writer = track(await connectMailslot(n));
    for (let size = 1; size <= 69; size++) await writer.send(patternMessage(size, size));
    await until(() => listener.info().buffered === 64);
    await sleep(200);
    const info = listener.info();
    assert.equal(info.buffered, 64, 'the reader stops at 64 buffered');
    assert.equal(info.nextMessageBytes, 1);
    // Windows counts the 5 in the slot exactly; Wine's GetMailslotInfo says 1 for "some".
    assert.equal(info.messagesWaiting, 64 + (underWine ? 1 : 5));
    // Taking 10 leaves 54 buffered, over the low-water mark of 32: the reader stays paused, so
    // the slot still holds its 5 and the answer is stable.
    const messages = await incoming(listener);
    for (let size = 1; size <= 10; size++) assert.ok(sameBytes(await next(messages), patternMessage(size, size)), `message ${size}`);
    await sleep(200);
    assert.deepEqual(listener.info(), {
      maxMessageBytes: 5000,
      nextMessageBytes: 11,
      messagesWaiting: 54 + (underWine ? 1 : 5),
      buffered: 54,
      discarded: 0,
      readTimeoutMs: 40,
    });
    // (Not asserted while the reader runs: a message its thread has just taken from the slot is in
    // neither count until it reaches the process, so the figures can be one message behind.)
    for (let size = 11; size <= 69; size++) assert.ok(sameBytes(await next(messages), patternMessage(size, size)), `message ${size}`);
    await sleep(200);
    assert.deepEqual(listener.info(), { maxMessageBytes: 5000, nextMessageBytes: undefined, messagesWaiting: 0, buffered: 0, discarded: 0, readTimeoutMs: 40 });
  });

  test("setReadTimeout changes the slot's read timeout (SetMailslotInfo) and the slot keeps working", T(30_000), async () => {
    const n = name();
    const listener = track(await listenMailslot(n));
    assert.equal(listener.info().readTimeoutMs, 100, 'the default read timeout');
    listener.setReadTimeout(250);
    assert.equal(listener.info().readTimeoutMs, 250);
    listener.setReadTimeout(1);
    assert.equal(listener.info().readTimeoutMs, 1);
    for (const bad of [0, -1, 60_001, 1.5]) assert.equal((await errorOf(() => listener.setReadTimeout(bad)))?.code, 'EINVAL', String(bad));
    const writer = track(await connectMailslot(n));
    await writer.send(text('after'));
    assert.equal(new TextDecoder().decode(await next(await incoming(listener))), 'after');
    await listener.close();
    assert.equal((await errorOf(() => listener.setReadTimeout(100)))?.code, 'ECLOSED');
  });
});

describe('names: one server per name, no server no writer', () => {
  test('a second server gets EADDRINUSE, in this process and when another node.exe serves the name', T(60_000), async () => {
    const n = name();
    const first = track(await listenMailslot(n));
    const twice = await errorOf(() => listenMailslot(n));
    assert.equal(twice?.code, 'EADDRINUSE');
    assert.equal(twice?.syscall, 'CreateMailslotW');
    await first.close();
    track(await listenMailslot(n)); // the name is free again at once

    const m = name();
    const holder = peer('hold', m);
    assert.equal((await holder.waitForEvent('ready')).path, `\\\\.\\mailslot\\${m}`);
    assert.equal((await errorOf(() => listenMailslot(m)))?.code, 'EADDRINUSE');
    // A writer from here reaches the other process's slot. (Closed before the server goes: under
    // Wine an open writer keeps a slot's name alive, see tools/windows/README.md.)
    const writer = await connectMailslot(m);
    await writer.send(text('x'));
    await writer.close();
    // The server process is killed: Windows closes its handle and the name is free.
    await holder.kill();
    track(await listenMailslot(m));
  });

  test('a writer where nobody serves gets ENOENT (ERROR_FILE_NOT_FOUND from CreateFileW), also once the server closed', T(30_000), async () => {
    const n = name();
    const none = await errorOf(() => connectMailslot(n));
    assert.equal(none?.code, 'ENOENT');
    assert.equal(none?.errno, 2);
    assert.equal(none?.syscall, 'CreateFileW');
    const listener = await listenMailslot(n);
    const writer = await connectMailslot(n);
    await writer.send(text('1'));
    // The writer first: under Wine an open writer keeps a slot alive after its server closed.
    await writer.close();
    await listener.close();
    assert.equal((await errorOf(() => connectMailslot(n)))?.code, 'ENOENT');
  });
});

describe('message size', () => {
  test(
    "over the slot's maximum: EMSGSIZE (Windows refuses the WriteFile; under Wine the reader discards it), and the slot keeps working",
    T(30_000),
    async () => {
      const n = name();
      const listener = track(await listenMailslot(n, { maxMessageBytes: 1000 }));
      // A writer that knows the maximum refuses before any WriteFile.
      const careful = track(await connectMailslot(n, { maxMessageBytes: 1000 }));
      assert.equal((await errorOf(() => careful.send(new Uint8Array(1001))))?.code, 'EMSGSIZE');
      // One that allows more leaves it to the slot (CreateMailslotW's nMaxMessageSize).
      const loose = track(await connectMailslot(n, { maxMessageBytes: 4000 }));
      const refused = await errorOf(() => loose.send(patternMessage(1001, 1)));
      if (underWine) {
        // Wine does not enforce nMaxMessageSize: the message is queued, and ipckit's reader (one
        // byte of spare buffer) sees it is too big, drops it and counts it.
        assert.equal(refused, null);
        await until(() => listener.info().discarded === 1);
      } else {
        assert.equal(refused?.code, 'EMSGSIZE');
        assert.equal(refused?.errno, 87); // ERROR_INVALID_PARAMETER
        assert.equal(refused?.syscall, 'WriteFile');
      }
      await careful.send(patternMessage(1000, 2));
      await loose.send(new Uint8Array(0));
      await loose.send(patternMessage(999, 3));
      const messages = await incoming(listener);
      assert.ok(sameBytes(await next(messages), patternMessage(1000, 2)));
      assert.equal((await next(messages)).length, 0);
      assert.ok(sameBytes(await next(messages), patternMessage(999, 3)));
      assert.equal(listener.info().discarded, underWine ? 1 : 0);
      assert.equal(listener.info().maxMessageBytes, 1000);
    },
  );

  test('the default maximum (128 KiB) arrives whole', T(30_000), async () => {
    const n = name();
    const listener = track(await listenMailslot(n));
    const writer = track(await connectMailslot(n));
    await writer.send(patternMessage(DEFAULT_MAX_MESSAGE_BYTES, 9));
    assert.ok(sameBytes(await next(await incoming(listener)), patternMessage(DEFAULT_MAX_MESSAGE_BYTES, 9)));
  });
});

describe('many writers', () => {
  test("8 writer processes x 10,000 messages: none lost or duplicated, each writer's order kept", T(240_000), async () => {
    const n = name();
    const writers = 8;
    const count = 10_000;
    const listener = track(await listenMailslot(n));
    const running = Array.from({ length: writers }, (_, i) => peer('send-sequence', n, String(i + 1), String(count)));
    const checker = new SequenceChecker();
    const messages = await incoming(listener);
    // SequenceChecker throws on the first message lost, duplicated, reordered or corrupt.
    while (checker.received < writers * count) checker.accept(await next(messages));
    for (let i = 1; i <= writers; i++) assert.equal(checker.countOf(i), count, `writer ${i}`);
    for (const p of running) {
      assert.equal((await p.waitForEvent('ready')).event, 'ready');
      assert.equal((await p.waitForEvent('done')).sent, count);
      assert.equal(await p.exit(), 0);
    }
    await sleep(100);
    assert.equal(listener.info().nextMessageBytes, undefined, 'nothing more arrived');
    assert.equal(listener.info().messagesWaiting, 0);
  });
});

describe('interop with native programs (CreateFileA + WriteFile, CreateMailslotA + ReadFile)', () => {
  test('a native writer to \\\\.\\mailslot\\name reaches a Node server', T(60_000), async () => {
    const exe = nativeProgram('mailslot_writer', import.meta.url);
    const n = name();
    const listener = track(await listenMailslot(n, { maxMessageBytes: 100_000 }));
    const r = await PeerProcess.run(exe, [listener.path, 'hello', 'world', '+0', '+100000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'sent 4');
    const messages = await incoming(listener);
    assert.equal(new TextDecoder().decode(await next(messages)), 'hello');
    assert.equal(new TextDecoder().decode(await next(messages)), 'world');
    assert.equal((await next(messages)).length, 0);
    const big = await next(messages);
    assert.equal(big.length, 100_000);
    assert.ok(big.every((byte, i) => byte === ((i * 7) & 255)));
  });

  test('a Node writer (connect("mailslot://name")) reaches a native reader', T(60_000), async () => {
    const exe = nativeProgram('mailslot_reader', import.meta.url);
    const n = name();
    const reader = new PeerProcess(exe, [await mailslotPath(n), '3'], { label: 'mailslot_reader' });
    procs.push(reader);
    assert.equal(await reader.nextLine(ms(30_000)), 'ready');
    assert.equal((await errorOf(() => listenMailslot(n)))?.code, 'EADDRINUSE', 'the native reader holds the name');
    const writer = await connect(`mailslot://${n}`);
    const third = sequenceMessage(1, 60);
    await writer.send(text('from-node'));
    await writer.send(new Uint8Array(0));
    await writer.send(third);
    assert.equal(await reader.nextLine(), `9 ${fnv1a(text('from-node')).toString(16).padStart(8, '0')} from-node`);
    assert.equal(await reader.nextLine(), '0 811c9dc5');
    assert.equal(await reader.nextLine(), `72 ${fnv1a(third).toString(16).padStart(8, '0')} -`);
    assert.equal(await reader.exit(), 0);
    await writer.close(); // under Wine an open writer would keep the slot's name alive
    // The reader has closed its slot: the name is gone with it.
    assert.equal((await errorOf(() => connectMailslot(n)))?.code, 'ENOENT');
  });
});
