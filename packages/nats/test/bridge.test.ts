/**
 * Two bridges and one nats-server on loopback stand for two machines:
 *
 *   client --pipe://A--> bridge A --nats://.../svc--> bridge B --pipe://B--> echo server
 *
 * The client sends checksummed messages of random sizes and checks every
 * echo. Bridge B is killed (SIGKILL) and started again in the middle: the
 * client counts what was in flight when its channel ended, reconnects and
 * sends those again; at the end every message came back, intact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IpcError, connect, subscribe, uniqueName, type Channel } from '@ipckit/core';
import { PeerProcess, fnv1a, sameBytes } from '@ipckit/core/testing';
import { bridge, parseBridgeArgs, runBridgeCommand } from '@ipckit/nats';
import { startNatsServer } from './server.js';

const server = await startNatsServer();
afterAll(() => server.stop());
const cwd = new URL('..', import.meta.url).pathname;

/** A bridge process: `ipckit bridge FROM TO` through runBridgeCommand. */
function bridgeProcess(from: string, to: string): PeerProcess {
  return PeerProcess.module(`import { runBridgeCommand } from '@ipckit/nats';\nprocess.exitCode = await runBridgeCommand(process.argv.slice(1));`, [from, to], {
    cwd,
    label: `bridge ${from} -> ${to}`,
  });
}

function echoServer(address: string): PeerProcess {
  return PeerProcess.module(
    `import { listen, serve } from '@ipckit/core';
     import { report, runPeer } from '@ipckit/core/testing';
     void runPeer(async () => {
       const listener = await listen(process.argv[1]);
       await report('ready');
       await serve(listener, async (channel) => { for await (const m of channel) await channel.send(m); });
     });`,
    [address],
    { cwd, label: 'echo server' },
  );
}

const ready = (line: string): boolean => line.includes('"type":"ready"');

/** A deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Message `seq`: [u32 seq][u32 FNV-1a of the rest][random bytes of a random size, 0 to 48 KiB]. */
function checkedMessage(seq: number, next: () => number): Uint8Array {
  const size = Math.floor(next() * 48 * 1024);
  const message = new Uint8Array(8 + size);
  for (let i = 8; i < message.length; i++) message[i] = Math.floor(next() * 256);
  const view = new DataView(message.buffer);
  view.setUint32(0, seq, true);
  view.setUint32(4, fnv1a(message.subarray(8)), true);
  return message;
}

function readChecked(message: Uint8Array): number {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (message.length < 8) throw new Error(`a ${message.length}-byte echo`);
  const seq = view.getUint32(0, true);
  if (view.getUint32(4, true) !== fnv1a(message.subarray(8))) throw new Error(`echo of message ${seq} fails its checksum`);
  return seq;
}

describe('bridge', () => {
  it('two bridge processes carry checksummed messages of random sizes; one restarted mid-stream, nothing is lost', async () => {
    const id = uniqueName('br');
    const service = `nats://${server.host}:${server.port}/${id}`;
    const sideA = `pipe://${id}-a`;
    const sideB = `pipe://${id}-b`;
    const next = random(0x1badb002);
    const count = 600;
    const messages = Array.from({ length: count }, (_, seq) => checkedMessage(seq, next));
    const echo = echoServer(sideB);
    let bridgeB = bridgeProcess(service, sideB);
    const bridgeA = bridgeProcess(sideA, service);
    try {
      await echo.waitForEvent('ready');
      await bridgeB.waitForLine(ready);
      await bridgeA.waitForLine(ready);
      const acked = new Set<number>();
      let breaks = 0;
      let inFlightAtBreaks = 0;
      let duplicates = 0;
      let restart: Promise<void> | undefined;
      const window = 32;
      while (acked.size < count) {
        let channel: Channel;
        try {
          channel = await connect(sideA, { waitForListener: true, timeoutMs: 20_000 });
        } catch (error) {
          if (error instanceof IpcError && error.code === 'ENOENT') continue;
          throw error;
        }
        const outstanding = new Set<number>();
        let slot: (() => void) | undefined;
        const state = { ended: false };
        const over = (): boolean => state.ended;
        const sending = (async () => {
          for (let seq = 0; seq < count && !over(); seq++) {
            if (acked.has(seq)) continue;
            while (outstanding.size >= window && !over()) await new Promise<void>((resolve) => (slot = resolve));
            if (over()) return;
            outstanding.add(seq);
            try {
              await channel.send(messages[seq] as Uint8Array);
            } catch {
              return; // The channel ended: what is outstanding is counted below and sent again.
            }
          }
        })();
        for await (const echoMessage of channel) {
          const seq = readChecked(echoMessage);
          expect(sameBytes(echoMessage, messages[seq] as Uint8Array), `echo of message ${seq}`).toBe(true);
          if (acked.has(seq)) duplicates++;
          acked.add(seq);
          outstanding.delete(seq);
          slot?.();
          if (acked.size === count) break;
          if (acked.size >= count / 3 && restart === undefined) {
            // Bridge B, "the other machine", crashes and comes back while messages flow.
            restart = (async () => {
              await bridgeB.kill();
              bridgeB = bridgeProcess(service, sideB);
              await bridgeB.waitForLine(ready);
            })();
          }
        }
        state.ended = true;
        slot?.();
        await channel.close({ timeoutMs: 0 });
        await sending;
        if (acked.size < count) {
          breaks++;
          inFlightAtBreaks += outstanding.size;
          // The relay ends before bridge B is back: wait for it rather than spin.
          await restart;
        }
      }
      await restart;
      console.log(`bridge: ${count} messages, ${breaks} break(s), ${inFlightAtBreaks} in flight at the breaks (sent again), ${duplicates} echoed twice`);
      expect(acked.size).toBe(count);
      expect(breaks).toBeGreaterThanOrEqual(1);
      // A message comes back twice only when it was in flight at a break, reached the echo server, and was sent again.
      expect(duplicates).toBeLessThanOrEqual(inFlightAtBreaks);
      // Bridge A stops cleanly and reports what it relayed and what it had to drop (counted, never silent).
      bridgeA.child.kill('SIGTERM');
      const stopped = JSON.parse(await bridgeA.waitForLine((line) => line.includes('"type":"stopped"'))) as Record<string, number>;
      console.log(`bridge A at the end: ${JSON.stringify(stopped)}`);
      expect(stopped.forward).toBeGreaterThanOrEqual(count);
      expect(stopped.back).toBeGreaterThanOrEqual(count - inFlightAtBreaks);
    } finally {
      await bridgeA.kill();
      await bridgeB.kill();
      await echo.kill();
    }
  }, 120_000);

  it('a client whose relay cannot reach TO is refused: its channel ends at once, counted', async () => {
    const id = uniqueName('br');
    const events: string[] = [];
    const running = await bridge(`pipe://${id}`, `nats://${server.host}:${server.port}/${id}-nobody`, { onEvent: (event) => events.push(event.type) });
    try {
      const channel = await connect(`pipe://${id}`);
      expect(await channel.receive({ timeoutMs: 10_000 })).toBeUndefined();
      await channel.close();
      expect(running.stats.refused).toBe(1);
      expect(events).toEqual(['refused']);
    } finally {
      await running.close();
    }
  });

  it('a message too large for the other side is dropped and counted; the relay goes on', async () => {
    const id = uniqueName('br');
    const service = `nats://${server.host}:${server.port}/${id}`;
    const echo = echoServer(service);
    const dropped: number[] = [];
    try {
      await echo.waitForEvent('ready');
      const running = await bridge(`pipe://${id}`, service, {
        onEvent: (event) => {
          if (event.type === 'dropped') dropped.push(event.bytes);
        },
      });
      try {
        const channel = await connect(`pipe://${id}`);
        await channel.send(new Uint8Array(2 * 1024 * 1024)); // pipe:// takes 2 MiB; nats:// at most 1 MiB
        await channel.send(new Uint8Array([7]));
        expect([...((await channel.receive({ timeoutMs: 10_000 })) ?? [])]).toEqual([7]);
        expect(dropped).toEqual([2 * 1024 * 1024]);
        expect(running.stats).toMatchObject({ dropped: 1, forward: 1, back: 1 });
        await channel.close();
      } finally {
        await running.close();
      }
    } finally {
      await echo.kill();
    }
  });

  it('the command takes credentials from the environment only, and refuses what it does not know', async () => {
    expect(parseBridgeArgs(['a://x', 'b://y', '--user', 'u', '--pass-env', 'P'], { P: 'secret' })).toMatchObject({ nats: { user: 'u', pass: 'secret' } });
    expect(() => parseBridgeArgs(['a://x', 'b://y', '--pass-env', 'MISSING'], {})).toThrow(/EINVAL/);
    expect(() => parseBridgeArgs(['a://x', 'b://y', '--pass', 'inline'], {})).toThrow(/unknown option --pass/);
    expect(() => parseBridgeArgs(['a://x'], {})).toThrow(/FROM and TO/);
    const lines: string[] = [];
    expect(await runBridgeCommand(['only-one'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })).toBe(2);
    expect(lines.join('\n')).toMatch(/usage: ipckit bridge/);
  });

  it('the command refused by the server says so (exit 1) without the password it read from the environment', async () => {
    const secret = `pw-${uniqueName('s')}`;
    const guarded = await startNatsServer({ args: ['--user', 'ipckit', '--pass', secret] });
    try {
      const lines: string[] = [];
      const wrong = `${secret}-wrong`;
      const code = await runBridgeCommand(
        [`nats://127.0.0.1:${guarded.port}/x`, `pipe://${uniqueName('br')}`, '--user', 'ipckit', '--pass-env', 'BRIDGE_PASS'],
        {
          out: (line) => lines.push(line),
          err: (line) => lines.push(line),
          env: { BRIDGE_PASS: wrong },
        },
      );
      expect(code).toBe(1);
      expect(lines.join('\n')).toMatch(/EACCES/);
      expect(lines.join('\n')).not.toContain(wrong);
    } finally {
      await guarded.stop();
    }
  });
});

describe('bridge for topics', () => {
  it('the command with --topic publishes TO, and stops with its counts', async () => {
    const id = uniqueName('tb');
    const lines: string[] = [];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = runBridgeCommand(['--topic', `pipe://${id}`, `nats://${server.host}:${server.port}/${id}`], {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      stopped,
    });
    const subscriber = await subscribe(`nats://${server.host}:${server.port}/${id}`, { waitForPublisher: true, timeoutMs: 20_000 });
    stop();
    expect(await running).toBe(0);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'ready', topic: true });
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ type: 'stopped', relayed: 0 });
    // The bridge's publisher closed: its subscriber ends.
    expect(await subscriber.receive({ timeoutMs: 10_000 })).toBeUndefined();
    expect(await runBridgeCommand(['--topic', '--shared', 'pipe://a', 'pipe://b'], { out: () => undefined, err: () => undefined })).toBe(2);
  });

  it('a publisher on pipe:// reaches a subscriber on another pipe:// through two topic bridge processes and nats://', async () => {
    const id = uniqueName('tb');
    const topic = `nats://${server.host}:${server.port}/${id}`;
    const sideA = `pipe://${id}-a`;
    const sideB = `pipe://${id}-b`;
    const count = 300;
    const next = random(0x5eed);
    const messages = Array.from({ length: count }, (_, seq) => checkedMessage(seq, next));
    // Block everywhere, with a block timeout far above any pause of a busy machine: nothing may be dropped.
    const relay = (from: string, to: string): PeerProcess =>
      PeerProcess.module(
        `import { bridgeTopic } from '@ipckit/nats';
         const running = await bridgeTopic(process.argv[1], process.argv[2], {
           publish: { blockTimeoutMs: 60000 },
           onEvent: (event) => console.log(JSON.stringify({ event: event.type })),
         });
         console.log(JSON.stringify({ event: 'ready' }));
         process.stdin.on('data', async () => { await running.close(); console.log(JSON.stringify({ event: 'stopped', ...running.stats })); process.exit(0); });`,
        [from, to],
        { cwd, label: `topic bridge ${from} -> ${to}` },
      );
    const publisher = PeerProcess.module(
      `import { publish } from '@ipckit/core';
       import { readFileSync } from 'node:fs';
       const topic = await publish(process.argv[1], { blockTimeoutMs: 60000 });
       console.log(JSON.stringify({ event: 'ready' }));
       await topic.waitForSubscribers(1);
       await new Promise((resolve) => process.stdin.once('data', resolve));
       const all = JSON.parse(readFileSync(process.argv[2], 'utf8'));
       for (const hex of all) await topic.send(Buffer.from(hex, 'hex'));
       console.log(JSON.stringify({ event: 'done' }));
       await new Promise((resolve) => process.stdin.once('data', resolve));
       await topic.close();`,
      [sideA, join(mkdtempSync(join(tmpdir(), 'ipckit-tb-')), 'messages.json')],
      { cwd, label: 'topic publisher' },
    );
    const file = publisher.child.spawnargs.at(-1) as string;
    writeFileSync(file, JSON.stringify(messages.map((m) => Buffer.from(m).toString('hex'))));
    const bridgeA = relay(sideA, topic);
    const bridgeB = relay(topic, sideB);
    try {
      await publisher.waitForEvent('ready');
      await bridgeB.waitForEvent('ready');
      await bridgeA.waitForEvent('ready');
      await bridgeA.waitForEvent('subscribed');
      await bridgeB.waitForEvent('subscribed');
      const subscriber = await subscribe(sideB, { waitForPublisher: true, timeoutMs: 20_000 });
      publisher.write('go\n');
      for (let seq = 0; seq < count; seq++) {
        const delivery = await subscriber.receive({ timeoutMs: 30_000 });
        expect(delivery, `delivery ${seq}`).toBeDefined();
        expect(readChecked(delivery?.data as Uint8Array)).toBe(seq);
        expect(sameBytes(delivery?.data as Uint8Array, messages[seq] as Uint8Array)).toBe(true);
        expect(delivery?.missed).toBe(0);
      }
      await publisher.waitForEvent('done');
      bridgeA.write('stop\n');
      const stopped = await bridgeA.waitForEvent('stopped');
      expect(stopped).toMatchObject({ relayed: count, missed: 0, dropped: 0 });
      await subscriber.close();
    } finally {
      await publisher.kill();
      await bridgeA.kill();
      await bridgeB.kill();
      rmSync(dirname(file), { recursive: true, force: true });
    }
  }, 120_000);
});
