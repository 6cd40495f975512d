/**
 * The peer process of the conformance suite. Run as
 * `node peer.js <transport module URL> <role> <name> [args...]`; it reports
 * on stdout with one JSON line per event (`ready`, `done`, `error`, ...).
 */
import { respond, type RequestContext } from '../request.js';
import { serve } from '../serve.js';
import type { Channel, Transport } from '../transport.js';
import { STOP_MARKER, patternMessage, readBulkMessage, sequenceMessage } from './messages.js';
import { report, runPeer } from './report.js';

/** Serves each channel by sending every message straight back. */
async function echo(channel: Channel): Promise<void> {
  try {
    for await (const message of channel) await channel.send(message);
  } catch {
    // The parent may kill or drop the connection at any time; that is its test.
  } finally {
    await channel.close();
  }
}

/** The first line written to our stdin. */
function stdinLine(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    const onData = (chunk: string): void => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      process.stdin.off('data', onData);
      process.stdin.pause();
      resolve(text.slice(0, newline).trim());
    };
    process.stdin.on('data', onData);
  });
}

/** A request of the `respond` role: answered after `delayMs` with `n * 2`; `never` is never answered. */
interface TestRequest {
  n: number;
  delayMs?: number;
  never?: boolean;
  fail?: boolean;
}

async function answer(request: TestRequest, { signal }: RequestContext): Promise<{ n: number; doubled: number }> {
  if (request.never) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  } else if (request.delayMs) {
    await new Promise((resolve) => setTimeout(resolve, request.delayMs));
  }
  if (request.fail) throw new Error('asked to fail');
  return { n: request.n, doubled: request.n * 2 };
}

async function main(): Promise<void> {
  const [moduleUrl, role, name, ...args] = process.argv.slice(2);
  if (moduleUrl === undefined || role === undefined || name === undefined) {
    throw new Error('usage: peer.js <module> <role> <name> [args]');
  }
  const { transport } = (await import(moduleUrl)) as { transport: Transport };

  switch (role) {
    case 'echo-server': {
      // The stdin line `crash` ends the process at once, closing nothing.
      void stdinLine().then(() => process.exit(70));
      const listener = await transport.listen(name);
      await report('ready', { path: listener.path });
      for await (const channel of listener) void echo(channel);
      return;
    }
    case 'hold': {
      // Serves the name and drains whatever arrives, until killed.
      const listener = await transport.listen(name);
      await report('ready', { path: listener.path });
      for await (const channel of listener) {
        void (async () => {
          for await (const _ of channel) {
            // Drained: only the end of the iteration matters.
          }
        })().catch(() => undefined);
      }
      return;
    }
    case 'stall': {
      // Serves the name, takes the first channel, reads nothing until a line
      // comes on stdin; then counts bulk messages of `size` bytes until the
      // channel ends (or a stop marker comes) and reports how many came, in order.
      const size = Number(args[0] ?? 1024);
      const listener = await transport.listen(name);
      await report('ready', { path: listener.path });
      const first = await listener[Symbol.asyncIterator]().next();
      if (first.done) throw new Error('the listener ended before a channel came');
      const channel = first.value;
      await report('accepted');
      await stdinLine();
      let count = 0;
      for await (const message of channel) {
        if (message.length === 1 && message[0] === STOP_MARKER) break;
        const seq = readBulkMessage(message, size);
        if (seq !== count) throw new Error(`expected bulk message ${count}, got ${seq}`);
        count++;
      }
      await report('drained', { count });
      await channel.close();
      await listener.close();
      return;
    }
    case 'flood': {
      // Sends sequence messages of writer `args[1]` as fast as it can, until killed or told to crash:
      // as a client (`connect`) or to the first client of a listener (`listen`).
      const mode = args[0] ?? 'connect';
      const writer = Number(args[1] ?? 5);
      // A crash from inside: the stdin line `crash` ends the process at once, mid-stream, closing nothing.
      void stdinLine().then(() => process.exit(70));
      let channel: Channel;
      if (mode === 'listen') {
        const listener = await transport.listen(name);
        await report('ready', { path: listener.path });
        const first = await listener[Symbol.asyncIterator]().next();
        if (first.done) throw new Error('the listener ended before a channel came');
        channel = first.value;
      } else {
        channel = await transport.connect(name);
        await report('ready');
      }
      for (let seq = 0; ; seq++) await channel.send(sequenceMessage(writer, seq));
    }
    case 'connect-idle': {
      // Connects and does nothing until killed.
      await transport.connect(name);
      await report('ready');
      await new Promise(() => undefined);
      return;
    }
    case 'respond': {
      // Serves request/reply (core's serve + respond) with answer() above.
      const listener = await transport.listen(name);
      await report('ready', { path: listener.path });
      await serve(listener, (channel) => respond(channel, answer));
      return;
    }
    case 'send-sequence': {
      // `count` sequence messages of `writer`; with `pauseMs`, a pause that long after every 100.
      const writer = Number(args[0] ?? 0);
      const count = Number(args[1] ?? 10_000);
      const pauseMs = Number(args[2] ?? 0);
      const channel = await transport.connect(name);
      await report('ready');
      for (let seq = 0; seq < count; seq++) {
        await channel.send(sequenceMessage(writer, seq));
        if (pauseMs > 0 && seq % 100 === 99) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
      await channel.close();
      await report('done', { sent: count });
      return;
    }
    case 'send-sizes': {
      const sizes = (args[0] ?? '').split(',').filter(Boolean).map(Number);
      const channel = await transport.connect(name);
      await report('ready');
      for (const [i, size] of sizes.entries()) await channel.send(patternMessage(size, i));
      await channel.close();
      await report('done', { sent: sizes.length });
      return;
    }
    case 'send-and-close': {
      const channel = await transport.connect(name);
      await channel.send(new TextEncoder().encode('bye'));
      await channel.close();
      await report('done');
      return;
    }
    default:
      throw new Error(`unknown peer role ${role}`);
  }
}

void runPeer(main);
