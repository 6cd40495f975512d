/**
 * Peers of the fan-out scenario: one publisher process and N subscriber
 * processes on one topic. Every transport with topics (capabilities.topics)
 * runs through core's `publish`/`subscribe`; zeromq through PUB/SUB
 * (peers/zmq-topics.ts). Both sides speak one small interface, so the loops
 * that stamp, count and check are the same for every target.
 *
 * Every message starts with a 16-byte header: the send time (the shared
 * monotonic clock, ns), the message's sequence number and a flag that marks
 * the paced messages whose latency is recorded. A subscriber checks the
 * sequence numbers: a gap that the delivery's `missed` does not account for
 * is a silent loss, and is counted as one.
 */
import { publish, subscribe, type SlowSubscriberPolicy } from '@ipckit/core';
import type { ControlClient } from '../control.js';
import { bytePayload, now } from './common.js';
import type { PeerSpec } from './spec.js';

/** Bytes of the header every fan-out message starts with (send time, seq, paced flag). */
export const FAN_OUT_HEADER_BYTES = 16;

/** What a delivery carries for the checks: its sequence number and the messages missed just before it. */
export interface TopicDelivery {
  data: Uint8Array;
  /** The publisher's sequence number (zeromq: the one in the header). */
  seq: number;
  /** Messages the transport says were lost before this one (zeromq never says: 0). */
  missed: number;
}

export interface TopicPublisherSide {
  /** The name subscribers connect to (tcp's port, zeromq's endpoint filled in). */
  connectName: string;
  send(message: Uint8Array): Promise<void>;
  /** Resolves when `count` subscribers are counted in (messages sent from then on reach them). */
  waitForSubscribers(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface TopicSubscriberSide {
  /** The next delivery, or undefined when the topic ended. */
  next(): Promise<TopicDelivery | undefined>;
  close(): Promise<void>;
}

export interface TopicBackend {
  publish(
    name: string,
    options: { maxMessageBytes: number; policy: SlowSubscriberPolicy; blockTimeoutMs?: number; maxSubscribers: number },
  ): Promise<TopicPublisherSide>;
  subscribe(name: string, options: { maxMessageBytes: number; timeoutMs: number }): Promise<TopicSubscriberSide>;
}

/** Core's topics on `scheme://`: what a user of ipckit gets. */
function coreBackend(scheme: string): TopicBackend {
  return {
    async publish(name, options) {
      const publisher = await publish(`${scheme}://${name}`, options);
      return {
        connectName: publisher.name,
        send: (message) => publisher.send(message),
        waitForSubscribers: (count, timeoutMs) => publisher.waitForSubscribers(count, { timeoutMs }),
        close: () => publisher.close(),
      };
    },
    async subscribe(name, options) {
      const subscriber = await subscribe(`${scheme}://${name}`, options);
      return {
        async next() {
          const delivery = await subscriber.receive();
          return delivery && { data: delivery.data, seq: delivery.seq, missed: delivery.missed };
        },
        close: () => subscriber.close(),
      };
    },
  };
}

async function backendOf(spec: PeerSpec): Promise<TopicBackend> {
  if (spec.family === 'zmq') {
    const { zmqTopicBackend } = await import('./zmq-topics.js');
    return zmqTopicBackend();
  }
  if (!spec.scheme) throw new Error('a fan-out peer needs a scheme');
  return coreBackend(spec.scheme);
}

/** Writes the header: send time, seq, paced flag. */
function stamp(message: Uint8Array, seq: number, paced: boolean): void {
  const view = new DataView(message.buffer, message.byteOffset, FAN_OUT_HEADER_BYTES);
  view.setUint32(8, seq >>> 0, true);
  view.setUint32(12, paced ? 1 : 0, true);
  view.setBigUint64(0, now(), true);
}

/** The CPU time of this process in microseconds (process.cpuUsage: user + system, every thread). */
function cpuUs(): { userUs: number; systemUs: number } {
  const usage = process.cpuUsage();
  return { userUs: usage.user, systemUs: usage.system };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The publisher: `pub` creates the topic, `wait` waits for the subscribers,
 * `burst` sends as fast as the policy lets it, `paced` sends with a pause
 * between messages (for latency without a queue), `unpub` closes it.
 */
function publisherRole(backend: TopicBackend, control: ControlClient, closers: Array<() => Promise<void>>): void {
  let side: TopicPublisherSide | undefined;
  let seq = 0;
  const current = (): TopicPublisherSide => {
    if (!side) throw new Error('no topic published');
    return side;
  };
  control.on('pub', async (args) => {
    if (side) throw new Error('a topic is published already');
    side = await backend.publish(String(args['name']), {
      maxMessageBytes: Number(args['maxMessageBytes']),
      policy: String(args['policy']) as SlowSubscriberPolicy,
      ...(args['blockTimeoutMs'] !== undefined ? { blockTimeoutMs: Number(args['blockTimeoutMs']) } : {}),
      maxSubscribers: Number(args['maxSubscribers']),
    });
    seq = 0;
    const mine = side;
    closers.push(() => mine.close());
    return { connectName: side.connectName };
  });
  control.on('wait', async (args) => {
    await current().waitForSubscribers(Number(args['count']), Number(args['timeoutMs']));
    return {};
  });
  control.on('burst', async (args) => {
    const topic = current();
    const count = Number(args['count']);
    const message = bytePayload(Number(args['size']));
    const first = seq;
    const c0 = cpuUs();
    const t0 = now();
    for (let i = 0; i < count; i++) {
      stamp(message, seq++, false);
      await topic.send(message);
    }
    const t1 = now();
    const c1 = cpuUs();
    return { first, last: seq - 1, t0: t0.toString(), t1: t1.toString(), cpu: { userUs: c1.userUs - c0.userUs, systemUs: c1.systemUs - c0.systemUs } };
  });
  control.on('paced', async (args) => {
    const topic = current();
    const count = Number(args['count']);
    const gapMs = Number(args['gapMs']);
    const message = bytePayload(Number(args['size']));
    const first = seq;
    for (let i = 0; i < count; i++) {
      stamp(message, seq++, true);
      await topic.send(message);
      await sleep(gapMs);
    }
    return { first, last: seq - 1 };
  });
  control.on('unpub', async () => {
    const topic = current();
    side = undefined;
    await topic.close();
    return { published: seq };
  });
}

/** One subscription's counts: what arrived, what the transport said it missed, and gaps nobody mentioned. */
interface Tally {
  received: number;
  missed: number;
  silent: number;
  /** The last sequence number seen, -1 before the first. */
  lastSeq: number;
  /** Paced messages' latencies (ns) since the last `stats`. */
  latencies: number[];
  /** Emit `reached` when a delivery with this seq (or later) arrives. */
  until: number;
  ended: boolean;
}

/**
 * A subscriber: `sub` subscribes and counts every delivery, `arm` asks for a
 * `reached` event when the message with a given seq arrives, `stats` gives
 * the counts and the paced latencies' p50, `unsub` closes.
 */
function subscriberRole(backend: TopicBackend, control: ControlClient, closers: Array<() => Promise<void>>): void {
  let side: TopicSubscriberSide | undefined;
  let tally: Tally | undefined;
  control.on('sub', async (args) => {
    if (side) throw new Error('subscribed already');
    const mine = await backend.subscribe(String(args['name']), { maxMessageBytes: Number(args['maxMessageBytes']), timeoutMs: Number(args['timeoutMs']) });
    side = mine;
    closers.push(() => mine.close());
    const t: Tally = { received: 0, missed: 0, silent: 0, lastSeq: -1, latencies: [], until: Number.POSITIVE_INFINITY, ended: false };
    tally = t;
    void (async () => {
      for (;;) {
        const delivery = await mine.next();
        if (!delivery) break;
        const arrived = now();
        const view = new DataView(delivery.data.buffer, delivery.data.byteOffset, FAN_OUT_HEADER_BYTES);
        t.received++;
        t.missed += delivery.missed;
        // Every message between the previous one and this one is either counted in `missed` or silently lost.
        const gap = delivery.seq - t.lastSeq - 1;
        if (gap > delivery.missed) t.silent += gap - delivery.missed;
        t.lastSeq = delivery.seq;
        if (view.getUint32(12, true) === 1) t.latencies.push(Number(arrived - view.getBigUint64(0, true)));
        if (delivery.seq >= t.until) {
          t.until = Number.POSITIVE_INFINITY;
          void control.emit('reached', { seq: delivery.seq, received: t.received, tEnd: arrived.toString() });
        }
      }
      t.ended = true;
    })().catch((error: unknown) => void control.emit('failed', { message: String(error) }));
    return {};
  });
  const current = (): Tally => {
    if (!tally) throw new Error('not subscribed');
    return tally;
  };
  control.on('arm', (args) => {
    const t = current();
    const until = Number(args['until']);
    if (t.lastSeq >= until) throw new Error(`the subscriber is past seq ${until} already (at ${t.lastSeq})`);
    t.until = until;
    return { received: t.received };
  });
  control.on('stats', () => {
    const t = current();
    const sorted = t.latencies.sort((a, b) => a - b);
    const p50 = sorted.length ? sorted[Math.max(1, Math.ceil(sorted.length / 2)) - 1] : undefined;
    const samples = sorted.length;
    t.latencies = [];
    return { received: t.received, missed: t.missed, silent: t.silent, lastSeq: t.lastSeq, ended: t.ended, samples, ...(p50 !== undefined ? { p50 } : {}) };
  });
  control.on('unsub', async () => {
    const mine = side;
    side = undefined;
    tally = undefined;
    await mine?.close();
    return {};
  });
}

/** A fan-out peer (publisher or subscriber) of any target with topics. */
export async function topicPeer(spec: PeerSpec, control: ControlClient): Promise<{ close(): Promise<void> }> {
  const backend = await backendOf(spec);
  const closers: Array<() => Promise<void>> = [];
  if (spec.role === 'publisher') publisherRole(backend, control, closers);
  else if (spec.role === 'subscriber') subscriberRole(backend, control, closers);
  else throw new Error(`the fan-out peers have no ${spec.role} role`);
  return {
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
