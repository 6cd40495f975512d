// `ipckit record` and `ipckit replay`: real publisher processes, the command as a child process,
// and the MCAP file read back with @mcap/core's own reader.
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapWriter } from '@mcap/core';
import { subscribe, type Subscriber } from '@ipckit/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli, uniqueName } from './helpers.js';
import { reap, startCli, startPublisher, type Child } from './topics-fixture.js';

const children: Child[] = [];
afterEach(() => reap(children));
const dir = mkdtempSync(join(tmpdir(), 'ipckit-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fileName = (): string => join(dir, `r${++files}.mcap`);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every channel and message of an MCAP file, through @mcap/core's indexed reader (it checks the footer and summary). */
async function readMcap(path: string): Promise<{
  channels: { id: number; topic: string; schemaId: number; messageEncoding: string }[];
  messages: { channelId: number; sequence: number; logTime: bigint; data: Buffer }[];
}> {
  const file = await open(path, 'r');
  try {
    const size = BigInt((await file.stat()).size);
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: () => Promise.resolve(size),
        read: async (offset, length) => {
          const buffer = new Uint8Array(Number(length));
          await file.read(buffer, 0, buffer.byteLength, Number(offset));
          return buffer;
        },
      },
    });
    const channels = [...reader.channelsById.values()].map(({ id, topic, schemaId, messageEncoding }) => ({ id, topic, schemaId, messageEncoding }));
    const messages = [];
    for await (const m of reader.readMessages()) messages.push({ channelId: m.channelId, sequence: m.sequence, logTime: m.logTime, data: Buffer.from(m.data) });
    return { channels, messages };
  } finally {
    await file.close();
  }
}

/** An MCAP file made by @mcap/core itself: `messages` [topic, logTime ns, bytes], in file order. */
async function writeMcap(path: string, messages: readonly [string, bigint, Uint8Array][]): Promise<void> {
  const chunks: Uint8Array[] = [];
  let position = 0n;
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: (buffer) => {
        chunks.push(buffer.slice());
        position += BigInt(buffer.byteLength);
        return Promise.resolve();
      },
    },
  });
  await writer.start({ profile: '', library: 'test' });
  const ids = new Map<string, number>();
  for (const [topic] of messages) {
    if (!ids.has(topic)) ids.set(topic, await writer.registerChannel({ topic, schemaId: 0, messageEncoding: '', metadata: new Map() }));
  }
  let sequence = 0;
  for (const [topic, logTime, data] of messages) {
    await writer.addMessage({ channelId: ids.get(topic) ?? 0, sequence: sequence++, logTime, publishTime: logTime, data });
  }
  await writer.end();
  writeFileSync(path, Buffer.concat(chunks));
}

/** Receives `count` deliveries of `subscriber`, their bytes as text. */
async function take(subscriber: Subscriber, count: number): Promise<string[]> {
  const got: string[] = [];
  for await (const { data } of subscriber) {
    got.push(Buffer.from(data).toString('latin1'));
    if (got.length === count) break;
  }
  return got;
}

describe('ipckit record', () => {
  it('records two topics (pipe:// and tcp://) into one MCAP file: a channel each, the bytes exactly, times increasing', async () => {
    const pipe = `pipe://${uniqueName('rec')}`;
    const pipeMessages = [bytes('p0'), Uint8Array.of(0, 1, 2, 255), new Uint8Array(40_000).fill(9)];
    const tcpMessages = [bytes('t0'), bytes('t1')];
    const a = await startPublisher(pipe, 1, pipeMessages);
    const b = await startPublisher('tcp://127.0.0.1:0', 1, tcpMessages);
    children.push(a, b);
    const tcp = `tcp://${b.name}`;
    const output = fileName();
    // Both publishers close after sending: the recording ends when every topic has ended.
    const record = await runCli(['record', pipe, tcp, '-o', output]);
    expect(record.code, record.stderr).toBe(0);
    expect(record.stderr).toContain(`recorded 5 messages on 2 topics to ${output}`);
    const { channels, messages } = await readMcap(output);
    expect(channels.map((c) => c.topic).sort()).toEqual([pipe, tcp].sort());
    for (const c of channels) expect(c).toMatchObject({ schemaId: 0, messageEncoding: '' });
    const idOf = (topic: string): number => channels.find((c) => c.topic === topic)?.id ?? -1;
    const on = (topic: string) => messages.filter((m) => m.channelId === idOf(topic));
    expect(on(pipe).map((m) => m.data)).toEqual(pipeMessages.map((m) => Buffer.from(m)));
    expect(on(pipe).map((m) => m.sequence)).toEqual([0, 1, 2]);
    expect(on(tcp).map((m) => m.data)).toEqual(tcpMessages.map((m) => Buffer.from(m)));
    // Log time is the receive time: never decreasing, and in this century (ns since the epoch).
    const times = messages.map((m) => m.logTime);
    for (let i = 1; i < times.length; i++) expect(times[i]! >= times[i - 1]!).toBe(true);
    expect(times[0]! > 1_600_000_000n * 1_000_000_000n).toBe(true);
  });

  it('--count stops after N messages with a complete file', async () => {
    const address = `pipe://${uniqueName('rec-count')}`;
    const publisher = await startPublisher(address, 1, [bytes('a'), bytes('b'), bytes('c')], { hold: true });
    children.push(publisher);
    const output = fileName();
    const record = await runCli(['record', address, '-o', output, '--count', '2']);
    expect(record.code, record.stderr).toBe(0);
    const { messages } = await readMcap(output);
    expect(messages.map((m) => m.data.toString())).toEqual(['a', 'b']);
  });

  it('Ctrl-C (SIGINT) ends it with a valid file (footer written), exit 0', async () => {
    const address = `pipe://${uniqueName('rec-int')}`;
    const publisher = await startPublisher(address, 1, [bytes('x'), bytes('y')], { hold: true });
    children.push(publisher);
    const output = fileName();
    const record = startCli(['record', address, '-o', output]);
    children.push(record);
    await publisher.line(/"sent"/);
    await expect.poll(() => record.stderr(), { timeout: 30_000 }).toMatch(/recording/);
    record.child.kill('SIGINT');
    expect(await record.exit).toBe(0);
    const { channels, messages } = await readMcap(output);
    expect(channels.map((c) => c.topic)).toEqual([address]);
    // What reached it before Ctrl-C, in order: a prefix of what was sent.
    expect(['x', 'y'].slice(0, messages.length)).toEqual(messages.map((m) => m.data.toString()));
  });

  it('bad input: mailslot:// is ENOTSUP and leaves no file; an existing file is refused unless --force', async () => {
    const output = fileName();
    const mailslot = await runCli(['record', `mailslot://${uniqueName('ms')}`, '-o', output]);
    expect(mailslot.code).toBe(1);
    expect(mailslot.stderr).toMatch(/^ipckit: ENOTSUP: /m);
    expect(existsSync(output)).toBe(false);

    // The refused run subscribes before it tries the file: a publisher that stays for it, another for the forced run.
    const held = await startPublisher(`pipe://${uniqueName('rec-held')}`, 1, [], { hold: true });
    const address = `pipe://${uniqueName('rec-exists')}`;
    const publisher = await startPublisher(address, 1, [bytes('kept')]);
    children.push(held, publisher);
    writeFileSync(output, 'precious');
    const refused = await runCli(['record', `pipe://${held.name}`, '-o', output]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ipckit: \w+: cannot create .*it exists \(--force replaces it\)/m);
    expect(readFileSync(output, 'utf8')).toBe('precious');
    const forced = await runCli(['record', address, '-o', output, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await readMcap(output)).messages.map((m) => m.data.toString())).toEqual(['kept']);
  });
});

describe('ipckit replay', () => {
  it('publishes each recorded message on its recorded address, in order, once the subscribers are there', async () => {
    const a = `pipe://${uniqueName('play-a')}`;
    const b = `pipe://${uniqueName('play-b')}`;
    const path = fileName();
    const t = 1_700_000_000_000_000_000n;
    await writeMcap(path, [
      [a, t, bytes('a0')],
      [b, t + 1_000n, bytes('b0')],
      [a, t + 2_000n, Uint8Array.of(0, 255)],
      [b, t + 3_000n, bytes('b1')],
    ]);
    const replay = startCli(['replay', path, '--wait-subscribers', '1']);
    children.push(replay);
    const [sa, sb] = await Promise.all([
      subscribe(a, { waitForPublisher: true, timeoutMs: 30_000 }),
      subscribe(b, { waitForPublisher: true, timeoutMs: 30_000 }),
    ]);
    try {
      expect(await Promise.all([take(sa, 2), take(sb, 2)])).toEqual([
        ['a0', '\u0000\u00ff'],
        ['b0', 'b1'],
      ]);
    } finally {
      await Promise.all([sa.close(), sb.close()]);
    }
    expect(await replay.exit).toBe(0);
    expect(replay.stderr()).toContain('replayed 4 messages');
  });

  it('--to puts every message on one address, in log-time order; --rate scales the waits (never faster than recorded / rate)', async () => {
    const to = `pipe://${uniqueName('play-to')}`;
    const path = fileName();
    const t = 1_700_000_000_000_000_000n;
    // File order is not time order: replay goes by log time. 800 ms between first and last, at --rate 2: 400 ms at least.
    await writeMcap(path, [
      ['pipe://one', t + 800_000_000n, bytes('last')],
      ['pipe://two', t, bytes('first')],
      ['pipe://one', t + 400_000_000n, bytes('middle')],
    ]);
    const started = performance.now();
    const replay = startCli(['replay', path, '--to', to, '--rate', '2', '--wait-subscribers', '1']);
    children.push(replay);
    const subscriber = await subscribe(to, { waitForPublisher: true, timeoutMs: 30_000 });
    try {
      expect(await take(subscriber, 3)).toEqual(['first', 'middle', 'last']);
    } finally {
      await subscriber.close();
    }
    expect(await replay.exit).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('a recording made by ipckit record replays', async () => {
    const address = `pipe://${uniqueName('round')}`;
    const publisher = await startPublisher(address, 1, [bytes('one'), bytes('two')]);
    children.push(publisher);
    const path = fileName();
    expect((await runCli(['record', address, '-o', path])).code).toBe(0);
    expect(await publisher.exit).toBe(0);
    const replay = startCli(['replay', path, '--wait-subscribers', '1']);
    children.push(replay);
    const subscriber = await subscribe(address, { waitForPublisher: true, timeoutMs: 30_000 });
    try {
      expect(await take(subscriber, 2)).toEqual(['one', 'two']);
    } finally {
      await subscriber.close();
    }
    expect(await replay.exit).toBe(0);
  });

  it('bad input: a missing file is ENOENT (exit 3), a corrupt or cut-short file EBADMSG (exit 1), a bad --to EINVAL (exit 2)', async () => {
    const missing = await runCli(['replay', join(dir, 'nothing-here.mcap')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^ipckit: ENOENT: cannot open .*nothing-here\.mcap$/m);

    const garbage = fileName();
    writeFileSync(garbage, 'this is not an MCAP file at all');
    const corrupt = await runCli(['replay', garbage]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/^ipckit: EBADMSG: .* is not a complete MCAP file/m);

    const whole = fileName();
    await writeMcap(whole, [['pipe://cut', 1n, bytes('x')]]);
    const cut = fileName();
    const content = readFileSync(whole);
    writeFileSync(cut, content.subarray(0, content.length - 20));
    const cutShort = await runCli(['replay', cut]);
    expect(cutShort.code).toBe(1);
    expect(cutShort.stderr).toMatch(/^ipckit: EBADMSG: /m);

    const badTo = await runCli(['replay', whole, '--to', 'nope']);
    expect(badTo.code).toBe(2);
    expect(badTo.stderr).toMatch(/^ipckit: EINVAL: /m);
    const badRate = await runCli(['replay', whole, '--rate', '0']);
    expect(badRate.code).toBe(2);
  });
});
