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
import { Counter, bytePayload, pingLoop, sendLoop, snapshot, encodeSamples } from './common.js';
import type { PeerSpec } from './spec.js';

function address(spec: PeerSpec, name: string): string {
  return `${spec.scheme}://${name}`;
}

async function firstChannel(listener: Listener): Promise<Channel> {
  const next = await listener[Symbol.asyncIterator]().next();
  if (next.done) throw new Error('the listener closed before a channel arrived');
  return next.value;
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
