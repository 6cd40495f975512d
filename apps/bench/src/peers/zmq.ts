/**
 * Peers for the `zeromq` package, the messaging library a Node user would
 * pick instead of ipckit: ping-pong over a REQ/REP pair (the REP socket binds
 * and echoes, the REQ socket connects and sends), streaming and fan-in over
 * PUSH → PULL (the PULL socket binds, every writer's PUSH socket connects).
 * `await send()` is the backpressure: it waits while the high-water mark is
 * reached. Measured with the same loops as every other family.
 *
 * The package is loaded at run time (its targets are "not available" where
 * it does not load). The name to bind on is a whole zeromq endpoint
 * (targets.ts: `ipc://<tmp>/<name>.zmq`, `tcp://127.0.0.1:*`); the server
 * reports the one it got (the port libzmq picked) as the name to connect to.
 */
import { rmSync } from 'node:fs';
import type * as Zmq from 'zeromq';
import type { ControlClient } from '../control.js';
import { Counter, bytePayload, encodeSamples, pingLoop, sendLoop, snapshot } from './common.js';
import type { PeerSpec } from './spec.js';

/** Typed `string`: loaded at run time (see targets.ts). */
const ZEROMQ: string = 'zeromq';

interface Closable {
  close(): void;
}

export async function zmqPeer(spec: PeerSpec, control: ControlClient): Promise<{ close(): Promise<void> }> {
  const zmq = (await import(ZEROMQ)) as typeof Zmq;
  const sockets: Closable[] = [];
  /** ipc:// socket files this peer bound: libzmq removes them from its I/O thread, which may not run again before exit. */
  const files: string[] = [];
  const bound = (endpoint: string): void => {
    if (endpoint.startsWith('ipc://')) files.push(endpoint.slice('ipc://'.length));
  };
  const track = <T extends Closable>(socket: T): T => {
    sockets.push(socket);
    return socket;
  };
  const failed = (error: unknown): void => void control.emit('failed', { message: String(error) });

  switch (spec.role) {
    case 'echo': {
      control.on('listen', async (args) => {
        const socket = track(new zmq.Reply());
        await socket.bind(String(args['name']));
        bound(String(args['name']));
        void (async () => {
          for await (const [message] of socket) await socket.send(message ?? null);
        })().catch(failed);
        return { connectName: socket.lastEndpoint ?? String(args['name']) };
      });
      break;
    }
    case 'pinger': {
      let socket: Zmq.Request | undefined;
      control.on('connect', (args) => {
        socket = track(new zmq.Request());
        socket.connect(String(args['name']));
        return {};
      });
      control.on('pp', async (args) => {
        const s = socket;
        if (!s) throw new Error('pp before connect');
        const payload = bytePayload(Number(args['size']));
        const roundTrip = async (): Promise<void> => {
          await s.send(payload);
          await s.receive();
        };
        const result = await pingLoop(roundTrip, { count: Number(args['count']), budgetMs: Number(args['budgetMs'] ?? 0), record: args['record'] === true });
        return { count: result.count, elapsedNs: result.elapsedNs, cpu: result.cpu, ...(result.samples ? { samples: encodeSamples(result.samples) } : {}) };
      });
      break;
    }
    case 'reader': {
      const counter = new Counter(control);
      control.on('listen', async (args) => {
        const socket = track(new zmq.Pull());
        await socket.bind(String(args['name']));
        bound(String(args['name']));
        void (async () => {
          for await (const [message] of socket) counter.add(message?.byteLength ?? 0);
        })().catch(failed);
        return { connectName: socket.lastEndpoint ?? String(args['name']) };
      });
      control.on('arm', (args) => {
        counter.arm(Number(args['until']));
        return snapshot();
      });
      break;
    }
    case 'writer': {
      let socket: Zmq.Push | undefined;
      control.on('connect', (args) => {
        socket = track(new zmq.Push());
        socket.connect(String(args['name']));
        return {};
      });
      control.on('send', (args) => {
        const s = socket;
        if (!s) throw new Error('send before connect');
        const payload = bytePayload(Number(args['size']));
        return sendLoop(() => s.send(payload), Number(args['count']));
      });
      break;
    }
    default:
      throw new Error(`the zeromq peers have no ${spec.role} role`);
  }
  return {
    async close() {
      for (const socket of sockets.reverse()) socket.close();
      for (const file of files) rmSync(file, { force: true });
    },
  };
}
