/**
 * The baseline most Node programs already have: the IPC channel of
 * `child_process.fork` (`process.send` / the `message` event), with `json`
 * or `advanced` (structured clone) serialization. The channel only exists
 * between a parent and its child, so the server peer (echo or reader) forks
 * its client peers itself; the orchestrator talks to them over the side
 * channel like any other peer.
 *
 * Payloads: with `advanced` a Uint8Array (structured clone keeps it binary);
 * with `json` a string of the same length in ASCII, the cheapest thing JSON
 * carries (binary would need base64 or an array of numbers).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ControlClient } from '../control.js';
import { Counter, bytePayload, encodeSamples, pingLoop, sendLoop, snapshot } from './common.js';
import { encodeSpec, type PeerSpec } from './spec.js';

type Payload = string | Uint8Array;

const PEER_SCRIPT = fileURLToPath(new URL('../peer.js', import.meta.url));

function payload(spec: PeerSpec, size: number): Payload {
  const bytes = bytePayload(size);
  return spec.serialization === 'json' ? Buffer.from(bytes).toString('latin1') : bytes;
}

function sizeOf(message: unknown): number {
  if (typeof message === 'string') return message.length;
  if (message instanceof Uint8Array) return message.byteLength;
  return 0;
}

function sendFromChild(message: Payload): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('this peer has no IPC channel (not forked)'));
      return;
    }
    process.send(message, undefined, {}, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

export function cpPeer(spec: PeerSpec, control: ControlClient, port: number): { close(): Promise<void> } {
  const children: ChildProcess[] = [];

  function forkClients(specs: PeerSpec[], onMessage: (child: ChildProcess, message: unknown) => void): void {
    for (const childSpec of specs) {
      const child = fork(PEER_SCRIPT, [String(port), encodeSpec(childSpec)], {
        serialization: spec.serialization ?? 'json',
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      child.on('message', (message) => onMessage(child, message));
      child.on('error', () => undefined);
      children.push(child);
    }
  }

  switch (spec.role) {
    case 'echo': {
      control.on('listen', (args) => {
        forkClients(args['clients'] as PeerSpec[], (child, message) => {
          child.send(message as Payload);
        });
        return { connectName: 'parent' };
      });
      break;
    }
    case 'reader': {
      const counter = new Counter(control);
      control.on('listen', (args) => {
        forkClients(args['clients'] as PeerSpec[], (_child, message) => counter.add(sizeOf(message)));
        return { connectName: 'parent' };
      });
      control.on('arm', (args) => {
        counter.arm(Number(args['until']));
        return snapshot();
      });
      break;
    }
    case 'pinger': {
      let wake: ((message: unknown) => void) | undefined;
      process.on('message', (message) => {
        const w = wake;
        wake = undefined;
        w?.(message);
      });
      control.on('connect', () => ({}));
      control.on('pp', async (args) => {
        const message = payload(spec, Number(args['size']));
        const roundTrip = (): Promise<void> =>
          new Promise<void>((resolve, reject) => {
            wake = () => resolve();
            process.send!(message, undefined, {}, (error: Error | null) => error && reject(error));
          });
        const result = await pingLoop(roundTrip, { count: Number(args['count']), budgetMs: Number(args['budgetMs'] ?? 0), record: args['record'] === true });
        return { count: result.count, elapsedNs: result.elapsedNs, cpu: result.cpu, ...(result.samples ? { samples: encodeSamples(result.samples) } : {}) };
      });
      break;
    }
    case 'writer': {
      control.on('connect', () => ({}));
      control.on('send', (args) => {
        const message = payload(spec, Number(args['size']));
        return sendLoop(() => sendFromChild(message), Number(args['count']));
      });
      break;
    }
  }
  return {
    async close() {
      for (const child of children) child.kill();
      if (process.channel) process.disconnect();
    },
  };
}
