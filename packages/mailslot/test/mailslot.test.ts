import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, uniqueName, type Channel, type Listener } from '@ipckit/core';
import { resolveTransport } from '@ipckit/core/kit';
import { PeerProcess, PeerSet, SequenceChecker, patternMessage, sameBytes, sequenceMessage, within } from '@ipckit/core/testing';
import { DEFAULT_MAX_MESSAGE_BYTES, connectMailslot, listenMailslot, mailslotPath, maxMessageBytesLimit, transport } from '@ipckit/mailslot';
import { conformanceOptions } from '@ipckit/mailslot/testing';
import { runtimeDirectory as socketDirectory } from '@ipckit/sys';

const isPosix = process.platform !== 'win32';
const here = dirname(fileURLToPath(import.meta.url));
const open: Array<{ close(): unknown }> = [];
const peerSets: PeerSet[] = [];

function peers(): PeerSet {
  const set = new PeerSet(conformanceOptions.moduleUrl);
  peerSets.push(set);
  return set;
}

async function track<T extends { close(): unknown }>(item: T | Promise<T>): Promise<T> {
  const value = await item;
  open.push(value);
  return value;
}

afterEach(async () => {
  for (const set of peerSets.splice(0)) await set.killAll();
  for (const item of open.splice(0).reverse()) await within(60_000, 'cleanup', Promise.resolve(item.close())).catch(() => undefined);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; the test's own timeout is the watchdog. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

async function nextMessage(iterator: AsyncIterator<Uint8Array>): Promise<Uint8Array> {
  const result = await iterator.next();
  if (result.done) throw new Error('the channel ended early');
  return result.value;
}

async function receiverOf(listener: Listener): Promise<Channel> {
  const result = await listener[Symbol.asyncIterator]().next();
  if (result.done) throw new Error('the listener ended early');
  return result.value;
}

describe('mailslot', () => {
  it('is what mailslot:// resolves to, and says honestly that it is one-way', async () => {
    expect(await resolveTransport('mailslot')).toBe(transport);
    const caps = transport.capabilities;
    expect(caps).toMatchObject({ scheme: 'mailslot', duplex: false, messageBoundaries: true, manyWriters: true, crossesMachines: false });
    expect(caps.maxMessageBytes).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    expect(caps.primitive).toMatch(isPosix ? /SOCK_DGRAM/ : /mailslot/);
    const name = uniqueName('ms');
    const listener = await track(listen(`mailslot://${name}`));
    const writer = await track(connect(`mailslot://${name}`));
    await writer.send(new TextEncoder().encode('hi'));
    const receiver = await receiverOf(listener);
    expect(new TextDecoder().decode(await nextMessage(receiver[Symbol.asyncIterator]()))).toBe('hi');
    await expect(receiver.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'ENOTSUP' });
  });

  it('reports the full OS path of its name', async () => {
    const name = uniqueName('ms');
    const listener = await track(listenMailslot(name));
    expect(listener.path).toBe(await mailslotPath(name));
    expect(listener.path).toBe(isPosix ? join(socketDirectory(), 'mailslot', name) : `\\\\.\\mailslot\\${name}`);
  });

  it('8 writer processes x 10,000 messages: none lost or duplicated, each writer in order', async () => {
    const name = uniqueName('ms');
    const writers = 8;
    const count = 10_000;
    const listener = await track(listenMailslot(name));
    const set = peers();
    const running = Array.from({ length: writers }, (_, i) => set.start('send-sequence', name, String(i + 1), String(count)));
    const checker = new SequenceChecker();
    const incoming = (await receiverOf(listener))[Symbol.asyncIterator]();
    while (checker.received < writers * count) checker.accept(await nextMessage(incoming));
    for (let i = 1; i <= writers; i++) expect(checker.countOf(i)).toBe(count);
    await Promise.all(running.map((peer) => peer.finished()));
    expect(listener.info().nextMessageBytes).toBeUndefined();
  }, 180_000);

  it('a second server gets EADDRINUSE; a writer where nobody serves gets ENOENT', async () => {
    const name = uniqueName('ms');
    await expect(connectMailslot(name)).rejects.toMatchObject({ code: 'ENOENT' });
    const first = await track(listenMailslot(name));
    await expect(listenMailslot(name)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
    await expect(connectMailslot(name)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a message over the maximum fails with EMSGSIZE and the slot keeps working', async () => {
    const name = uniqueName('ms');
    const listener = await track(listenMailslot(name, { maxMessageBytes: 70_000 }));
    const writer = await track(connectMailslot(name, { maxMessageBytes: 70_000 }));
    await expect(writer.send(new Uint8Array(70_001))).rejects.toMatchObject({ code: 'EMSGSIZE' });
    await writer.send(patternMessage(70_000, 1));
    await writer.send(patternMessage(3, 2));
    const incoming = (await receiverOf(listener))[Symbol.asyncIterator]();
    expect(sameBytes(await nextMessage(incoming), patternMessage(70_000, 1))).toBe(true);
    expect(sameBytes(await nextMessage(incoming), patternMessage(3, 2))).toBe(true);
  });

  it('when the slot is full the writer waits, and nothing is dropped (a slow reader, a fast writer)', async () => {
    const name = uniqueName('ms');
    const count = 2_000;
    const listener = await track(listenMailslot(name));
    const writer = peers().start('send-sequence', name, '5', String(count));
    let writerDone = false;
    void writer.waitForEvent('done').then(
      () => (writerDone = true),
      () => undefined,
    );
    // Nobody takes messages yet: the process buffer fills to its mark, then the OS queue.
    await until(() => listener.info().buffered >= 64 && listener.info().nextMessageBytes !== undefined);
    await sleep(300);
    // The slot can hold far fewer than `count` messages, so a writer that is done now has dropped some.
    if (isPosix) expect(writerDone).toBe(false);
    const checker = new SequenceChecker();
    const incoming = (await receiverOf(listener))[Symbol.asyncIterator]();
    while (checker.received < count) {
      checker.accept(await nextMessage(incoming));
      if (checker.received % 100 === 0) await sleep(1); // a slow reader
    }
    expect(checker.countOf(5)).toBe(count);
    await writer.finished();
  }, 60_000);

  it('tells the size of the next message and how many wait, as far as the OS can', async () => {
    const name = uniqueName('ms');
    const listener = await track(listenMailslot(name));
    expect(listener.info()).toMatchObject({
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      nextMessageBytes: undefined,
      messagesWaiting: 0,
      buffered: 0,
      discarded: 0,
    });
    const writer = await track(connectMailslot(name));
    for (const size of [5, 7, 0]) await writer.send(new Uint8Array(size));
    await until(() => listener.info().buffered === 3);
    expect(listener.info()).toMatchObject({ nextMessageBytes: 5, buffered: 3, messagesWaiting: 3 });
    const incoming = (await receiverOf(listener))[Symbol.asyncIterator]();
    expect((await nextMessage(incoming)).length).toBe(5);
    expect(listener.info()).toMatchObject({ nextMessageBytes: 7, messagesWaiting: 2 });
    await nextMessage(incoming);
    expect(listener.info().nextMessageBytes).toBe(0);
    await nextMessage(incoming);
    expect(listener.info()).toMatchObject({ nextMessageBytes: undefined, messagesWaiting: 0 });
    if (isPosix) {
      expect(listener.info().readTimeoutMs).toBeUndefined();
      expect(() => listener.setReadTimeout(250)).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    } else {
      listener.setReadTimeout(250);
      expect(listener.info().readTimeoutMs).toBe(250);
    }
  });

  it('rejects bad names and options with EINVAL', async () => {
    for (const bad of ['', 'a/b', 'a\\b', '..', 'nul\0', 'x'.repeat(250)]) {
      await expect(listenMailslot(bad)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(connectMailslot(bad)).rejects.toMatchObject({ code: 'EINVAL' });
    }
    const name = uniqueName('ms');
    await expect(listenMailslot(name, { maxMessageBytes: -1 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(listenMailslot(name, { maxMessageBytes: (await maxMessageBytesLimit()) + 1 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(listenMailslot(name, { readTimeoutMs: 0 })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe.runIf(isPosix)('mailslot on POSIX (Unix datagram socket)', () => {
  it('allows messages up to the measured limit of this system, at least 200 KiB', async () => {
    const limit = await maxMessageBytesLimit();
    expect(limit).toBeGreaterThanOrEqual(212_960);
    const size = Math.min(limit, 1024 * 1024);
    const name = uniqueName('ms');
    const listener = await track(listenMailslot(name, { maxMessageBytes: size }));
    const writer = await track(connectMailslot(name, { maxMessageBytes: size }));
    await writer.send(patternMessage(size, 9));
    const incoming = (await receiverOf(listener))[Symbol.asyncIterator]();
    expect(sameBytes(await nextMessage(incoming), patternMessage(size, 9))).toBe(true);
  });

  it('discards and counts a datagram over the listener maximum from a writer with a larger one', async () => {
    const name = uniqueName('ms');
    const listener = await track(listenMailslot(name, { maxMessageBytes: 1000 }));
    const writer = await track(connectMailslot(name, { maxMessageBytes: 2000 }));
    await writer.send(new Uint8Array(1001));
    await writer.send(new Uint8Array(10));
    const incoming = (await receiverOf(listener))[Symbol.asyncIterator]();
    expect((await nextMessage(incoming)).length).toBe(10);
    expect(listener.info().discarded).toBe(1);
  });

  it('keeps its socket owner-only (0600) in the 0700 per-user directory', async () => {
    const listener = await track(listenMailslot(uniqueName('ms')));
    const file = lstatSync(listener.path);
    expect(file.isSocket()).toBe(true);
    expect(file.mode & 0o777).toBe(0o600);
    for (const dir of [socketDirectory(), dirname(listener.path)]) {
      const info = lstatSync(dir);
      expect(info.isDirectory()).toBe(true);
      expect(info.mode & 0o777).toBe(0o700);
      expect(info.uid).toBe(process.getuid?.());
    }
  });

  it('replaces the stale socket of a server that crashed, and never removes a non-socket', async () => {
    const name = uniqueName('ms');
    const holder = peers().start('hold', name);
    await holder.waitForEvent('ready');
    await expect(listenMailslot(name)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await holder.kill(); // SIGKILL: the socket file stays behind
    const path = await mailslotPath(name);
    expect(lstatSync(path).isSocket()).toBe(true);
    const listener = await track(listenMailslot(name));
    const writer = await track(connectMailslot(name));
    await writer.send(new Uint8Array([7]));
    expect([...(await nextMessage((await receiverOf(listener))[Symbol.asyncIterator]()))]).toEqual([7]);
    await listener.close();
    expect(existsSync(path)).toBe(false); // the name is gone with the server

    const other = await mailslotPath(uniqueName('ms'));
    writeFileSync(other, 'not a socket');
    try {
      await expect(listenMailslot(other.split('/').pop() as string)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(lstatSync(other).isFile()).toBe(true);
    } finally {
      rmSync(other, { force: true });
    }
  });

  it('a writer gets EPIPE once the server has closed', async () => {
    const name = uniqueName('ms');
    const listener = await listenMailslot(name);
    const writer = await track(connectMailslot(name));
    await writer.send(new Uint8Array(1));
    await listener.close();
    await expect(writer.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'EPIPE' });
  });
});

const haveCc = isPosix && spawnSync('cc', ['--version']).status === 0;

describe.runIf(haveCc)('mailslot interop with native programs (plain socket calls)', () => {
  let dir: string | undefined;
  const build = (program: string): string => {
    dir ??= mkdtempSync(join(tmpdir(), 'ipckit-ms-native-'));
    const out = join(dir, program);
    const cc = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(here, 'native', `${program}.c`)], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
    return out;
  };

  it('a native writer (socket + sendto) reaches a Node server', async () => {
    const writerExe = build('mailslot_writer');
    const name = uniqueName('ms');
    const listener = await track(listenMailslot(name, { maxMessageBytes: 100_000 }));
    const run = spawnSync(writerExe, [listener.path, 'hello', 'world', '+100000'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    const incoming = (await receiverOf(listener))[Symbol.asyncIterator]();
    expect(new TextDecoder().decode(await nextMessage(incoming))).toBe('hello');
    expect(new TextDecoder().decode(await nextMessage(incoming))).toBe('world');
    const big = await nextMessage(incoming);
    expect(big.length).toBe(100_000);
    expect(big.every((byte, i) => byte === ((i * 7) & 255))).toBe(true);
  });

  it('a Node writer reaches a native reader bound at mailslotPath(name)', async () => {
    const readerExe = build('mailslot_reader');
    const name = uniqueName('ms');
    await (await listenMailslot(uniqueName('ms'))).close(); // makes sure the directory exists
    const reader = new PeerProcess(readerExe, [await mailslotPath(name), '3'], { timeoutMs: 10_000 });
    open.push({ close: () => reader.kill() });
    expect(await reader.nextLine()).toBe('ready');
    const writer = await track(connect(`mailslot://${name}`));
    await writer.send(new TextEncoder().encode('from-node'));
    await writer.send(new Uint8Array(0));
    await writer.send(sequenceMessage(1, 60));
    expect(await reader.exit()).toBe(0);
    // One line a message: its size, its FNV-1a and the text when printable (lines come trimmed).
    expect(await reader.nextLine()).toMatch(/^9 [0-9a-f]{8} from-node$/);
    expect(await reader.nextLine()).toBe('0 811c9dc5');
    expect(await reader.nextLine()).toMatch(/^72 [0-9a-f]{8} -$/);
  });
});

describe('mailslot: review fixes', () => {
  it("closing the receiver channel ends the listener's iteration too (they are one slot)", async () => {
    const listener = await track(listenMailslot(uniqueName('ms-rx')));
    const iterator = listener[Symbol.asyncIterator]();
    const receiver = (await iterator.next()).value as Channel;
    const rest = iterator.next();
    await receiver.close();
    expect(await within(60_000, 'listener iteration', rest)).toMatchObject({ done: true });
  });

  it("a receiver that fails ends the listener's iteration too", async () => {
    const listener = await track(listenMailslot(uniqueName('ms-fail')));
    const iterator = listener[Symbol.asyncIterator]();
    await iterator.next();
    const rest = iterator.next();
    // What a read error does (SlotSink.error): the receiver fails and its slot is closed.
    (listener.receiver as unknown as { fail(e: unknown): void }).fail(new Error('read failed'));
    expect(await within(60_000, 'listener iteration', rest)).toMatchObject({ done: true });
  });

  it('listen with a signal that is not an AbortSignal rejects with EINVAL and holds nothing', async () => {
    const name = uniqueName('ms-sig');
    await expect(listenMailslot(name, { signal: {} as AbortSignal })).rejects.toMatchObject({ name: 'IpcError', code: 'EINVAL' });
    await track(listenMailslot(name));
  });

  it('a signal aborted while listen() is setting up never leaves the slot open', async () => {
    const name = uniqueName('ms-race');
    const controller = new AbortController();
    const listening = listenMailslot(name, { signal: controller.signal });
    controller.abort();
    // Either refused (ECANCELED) or handed back already closed: the name is free either way.
    await track(listening).catch((error: unknown) => expect(error).toMatchObject({ code: 'ECANCELED' }));
    await expect(connectMailslot(name)).rejects.toMatchObject({ code: 'ENOENT' });
    await track(listenMailslot(name));
  });

  it('null options are no options, not a TypeError', async () => {
    const name = uniqueName('ms-null');
    await track(transport.listen(name, null as never));
    await track(transport.connect(name, null as never));
  });
});
