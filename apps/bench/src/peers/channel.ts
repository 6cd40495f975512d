/**
 * Peers for every transport behind the common interface (`pipe://`, `tcp://`,
 * `shm://`, `mailslot://`, and whatever is registered later): only
 * `listen`/`connect`, `Channel.send` (awaited: the backpressure) and async
 * iteration are used, so what is measured is what a user of ipckit gets.
 *
 * One-way transports (capabilities.duplex false) get a round trip from two
 * addresses: the pinger listens on `<name>-reply` and the echo connects to it.
 */
import { connect, listen, type Channel, type Listener } from '@ipckit/core';
import type { ControlClient } from '../control.js';
import { Counter, bytePayload, now, pingLoop, sendLoop, since, snapshot, encodeSamples } from './common.js';
import type { PeerSpec } from './spec.js';

function address(spec: PeerSpec, name: string): string {
  return `${spec.scheme}://${name}`;
}

async function firstChannel(listener: Listener): Promise<Channel> {
  const next = await listener[Symbol.asyncIterator]().next();
  if (next.done) throw new Error('the listener closed before a channel arrived');
  return next.value;
}

/** Connects at once, in batches of this many (a rendezvous with a slot table takes a few at a time anyway). */
const CONNECT_BATCH = 32;

/** An error as its code and message (IpcError: "ETIMEDOUT every slot ..."). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code} ` : ''}${error.message}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The many-channels client: one process holding N channels to one echo
 * server, every channel doing round trips at once. `mc-open` connects
 * channels until it holds `count` (a connect that fails fails the command
 * with the transport's error: that count is over what the transport takes);
 * `mc-run` runs every channel's round trip loop, lets it warm up, then
 * counts the round trips of all channels in each trial's window, and those
 * of the channel that made the fewest (no channel may be starved).
 */
function manyChannels(spec: PeerSpec, control: ControlClient, closers: Array<() => Promise<void>>): void {
  const options = { maxMessageBytes: Math.max(spec.maxSize, 1024) };
  const held: Array<{ channel: Channel; replies: AsyncIterator<Uint8Array> }> = [];
  control.on('mc-open', async (args) => {
    const name = String(args['name']);
    const want = Number(args['count']);
    while (held.length < want) {
      const opened = await Promise.allSettled(Array.from({ length: Math.min(CONNECT_BATCH, want - held.length) }, () => connect(address(spec, name), options)));
      let failure: string | undefined;
      for (const result of opened) {
        if (result.status === 'rejected') {
          failure ??= describe(result.reason);
          continue;
        }
        const channel = result.value;
        held.push({ channel, replies: channel[Symbol.asyncIterator]() });
        closers.push(() => channel.close());
      }
      if (failure !== undefined) throw new Error(`channel ${held.length + 1} of ${want} did not connect: ${failure}`);
    }
    return { channels: held.length };
  });
  control.on('mc-run', async (args) => {
    const count = Number(args['count']);
    const payload = bytePayload(Number(args['size']));
    const trials = Number(args['trials']);
    let running = true;
    let done = 0;
    /** Each channel's own round trips, for the slowest channel's share of a window. */
    const each = new Array<number>(Math.min(count, held.length)).fill(0);
    const c0 = snapshot();
    const loops = held.slice(0, count).map(async ({ channel, replies }, i) => {
      while (running) {
        await channel.send(payload);
        const next = await replies.next();
        if (next.done) throw new Error('a channel closed during the round trips');
        done++;
        each[i]!++;
      }
    });
    // A failing loop stops them all (and fails the command below).
    const all = Promise.all(loops).finally(() => {
      running = false;
    });
    all.catch(() => undefined);
    const windows: Array<{ roundTrips: number; elapsedNs: number; slowest: number }> = [];
    try {
      const start = done;
      await Promise.race([sleep(Number(args['warmMs'])), all]);
      // A loop that fails rejects `all`, which ends the race and the command at once.
      for (let t = 0; t < trials; t++) {
        const d0 = done;
        const e0 = [...each];
        const t0 = now();
        await Promise.race([sleep(Number(args['windowMs'])), all]);
        const slowest = each.reduce((min, n, i) => Math.min(min, n - e0[i]!), Number.POSITIVE_INFINITY);
        windows.push({ roundTrips: done - d0, elapsedNs: Number(now() - t0), slowest: Number.isFinite(slowest) ? slowest : 0 });
      }
      running = false;
      await all;
      return { windows, roundTrips: done - start, cpu: since(c0) };
    } finally {
      running = false;
    }
  });
}

export function channelPeer(spec: PeerSpec, control: ControlClient): { close(): Promise<void> } {
  const closers: Array<() => Promise<void>> = [];
  const options = { maxMessageBytes: Math.max(spec.maxSize, 1024) };
  /** Answers `listen`: serves the name and hands every message of every channel to `onMessage`. */
  const serve = (onMessage: (message: Uint8Array, channel: Channel) => unknown): void => {
    control.on('listen', async (args) => {
      const listener = await listen(address(spec, String(args['name'])), options);
      closers.push(() => listener.close());
      void (async () => {
        for await (const channel of listener) {
          closers.push(() => channel.close());
          void (async () => {
            for await (const message of channel) await onMessage(message, channel);
          })().catch((error: unknown) => void control.emit('failed', { message: String(error) }));
        }
      })().catch(() => undefined);
      return { connectName: listener.name };
    });
  };

  switch (spec.role) {
    case 'echo': {
      let reply: Channel | undefined;
      serve((message, channel) => (reply ?? channel).send(message));
      control.on('connect-reply', async (args) => {
        reply = await connect(address(spec, String(args['name'])), options);
        closers.push(() => reply!.close());
        return {};
      });
      break;
    }
    case 'pinger': {
      let send: Channel | undefined;
      let receive: AsyncIterator<Uint8Array> | undefined;
      let incoming: Promise<Channel> | undefined;
      control.on('connect', async (args) => {
        const name = String(args['name']);
        if (args['duplex'] === false) {
          const replyListener = await listen(address(spec, `${name}-reply`), options);
          closers.push(() => replyListener.close());
          // The echo connects to the reply name after this returns; the first
          // receive waits for that channel.
          incoming = firstChannel(replyListener);
          incoming.catch(() => undefined);
          closers.push(async () => (await incoming)?.close());
          send = await connect(address(spec, name), options);
          closers.push(() => send!.close());
          return { replyName: replyListener.name };
        }
        send = await connect(address(spec, name), options);
        closers.push(() => send!.close());
        receive = send[Symbol.asyncIterator]();
        return {};
      });
      control.on('pp', async (args) => {
        if (!send) throw new Error('pp before connect');
        const channel = send;
        const payload = bytePayload(Number(args['size']));
        const roundTrip = async (): Promise<void> => {
          await channel.send(payload);
          const next = await (receive ??= (await incoming!)[Symbol.asyncIterator]()).next();
          if (next.done) throw new Error('the channel closed during the round trip');
        };
        const result = await pingLoop(roundTrip, { count: Number(args['count']), budgetMs: Number(args['budgetMs'] ?? 0), record: args['record'] === true });
        return { count: result.count, elapsedNs: result.elapsedNs, cpu: result.cpu, ...(result.samples ? { samples: encodeSamples(result.samples) } : {}) };
      });
      break;
    }
    case 'reader': {
      const counter = new Counter(control);
      serve((message) => counter.add(message.byteLength));
      control.on('arm', (args) => {
        counter.arm(Number(args['until']));
        return snapshot();
      });
      break;
    }
    case 'many': {
      manyChannels(spec, control, closers);
      break;
    }
    case 'writer': {
      let channel: Channel | undefined;
      control.on('connect', async (args) => {
        channel = await connect(address(spec, String(args['name'])), options);
        closers.push(() => channel!.close());
        return {};
      });
      control.on('send', async (args) => {
        if (!channel) throw new Error('send before connect');
        const ch = channel;
        const payload = bytePayload(Number(args['size']));
        return sendLoop(() => ch.send(payload), Number(args['count']));
      });
      break;
    }
  }
  return {
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
