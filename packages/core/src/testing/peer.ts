/**
 * The peer process of the conformance suite. Run as
 * `node peer.js <transport module URL> <role> <name> [args...]`; it reports
 * on stdout with one JSON line per event (`ready`, `done`, `error`).
 */
import type { Channel, Transport } from '../transport.js';
import { patternMessage, sequenceMessage } from './messages.js';
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

async function main(): Promise<void> {
  const [moduleUrl, role, name, ...args] = process.argv.slice(2);
  if (moduleUrl === undefined || role === undefined || name === undefined) {
    throw new Error('usage: peer.js <module> <role> <name> [args]');
  }
  const { transport } = (await import(moduleUrl)) as { transport: Transport };

  switch (role) {
    case 'echo-server': {
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
    case 'send-sequence': {
      const writer = Number(args[0] ?? 0);
      const count = Number(args[1] ?? 10_000);
      const channel = await transport.connect(name);
      await report('ready');
      for (let seq = 0; seq < count; seq++) await channel.send(sequenceMessage(writer, seq));
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
