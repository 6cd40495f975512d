/**
 * zeromq PUB/SUB for the fan-out scenario: the peer a Node user would pick
 * for one-to-many. The publisher is an XPUB socket (a PUB that also hears
 * subscriptions, with `verbosity: 'allSubs'` so it hears every subscriber's,
 * which is how `waitForSubscribers` knows they are all in: zeromq's "slow
 * joiner" otherwise loses the first messages). Under `block`, `noDrop` makes
 * `send()` fail with EAGAIN at the high-water mark instead of dropping (libzmq
 * leaves the waiting to the publisher: zeromq.js sees the socket writable and
 * does not wait), so `sendBlocking` retries until a subscriber has drained its
 * queue; zeromq has no
 * drop-oldest that tells the subscriber, so that variant is not offered here.
 * Every subscriber gets its own copy through the kernel.
 */
import { rmSync } from 'node:fs';
import type * as Zmq from 'zeromq';
import { FAN_OUT_HEADER_BYTES, type TopicBackend } from './topics.js';

/** zeromq.js copies a message of at most this many bytes into libzmq's (outgoing_msg.cc); a larger one is sent in place. */
const ZEROMQ_COPY_BYTES = 128;

/** Typed `string`: loaded at run time (see targets.ts). */
const ZEROMQ: string = 'zeromq';

export async function zmqTopicBackend(): Promise<TopicBackend> {
  const zmq = (await import(ZEROMQ)) as typeof Zmq;
  return {
    async publish(name, options) {
      if (options.policy !== 'block') throw new Error(`zeromq PUB/SUB has no ${options.policy} policy that tells the subscriber what it missed`);
      const socket = new zmq.XPublisher({ noDrop: true });
      socket.verbosity = 'allSubs';
      await socket.bind(name);
      let subscribed = 0;
      let wake: (() => void) | undefined;
      // Subscription messages: 1 then the prefix to subscribe, 0 to leave.
      void (async () => {
        for await (const [message] of socket) {
          if (message?.[0] === 1) subscribed++;
          else if (message?.[0] === 0) subscribed--;
          wake?.();
        }
      })().catch(() => undefined);
      return {
        connectName: socket.lastEndpoint ?? name,
        // zeromq.js sends a buffer over 128 bytes without copying it and reads it when libzmq's I/O
        // thread writes it out, after send() resolved; the publisher role stamps one buffer again for
        // each message, so it is copied here (the copy zeromq.js makes itself at 128 bytes and below).
        // A program that allocates each message anew pays the same copy there.
        send: (message) => sendBlocking(socket, message.length > ZEROMQ_COPY_BYTES ? message.slice() : message),
        async waitForSubscribers(count, timeoutMs) {
          const deadline = Date.now() + timeoutMs;
          while (subscribed < count) {
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`only ${subscribed} of ${count} zeromq subscribers within ${timeoutMs} ms`);
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, left);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
          }
        },
        async close() {
          socket.close();
          if (name.startsWith('ipc://')) rmSync(name.slice('ipc://'.length), { force: true });
        },
      };
    },
    async subscribe(name) {
      const socket = new zmq.Subscriber();
      socket.connect(name);
      socket.subscribe();
      return {
        async next() {
          try {
            const [message] = await socket.receive();
            if (!message) return undefined;
            const view = new DataView(message.buffer, message.byteOffset, FAN_OUT_HEADER_BYTES);
            return { data: message, seq: view.getUint32(8, true), missed: 0 };
          } catch (error) {
            if (socket.closed) return undefined;
            throw error;
          }
        },
        async close() {
          socket.close();
        },
      };
    },
  };
}

/**
 * Sends on a no-drop XPUB, waiting while a subscriber's queue is at its
 * high-water mark: a few turns of the event loop first (the queue drains in
 * microseconds at small sizes), then 1 ms pauses. The scenario's own watchdog
 * bounds the wait.
 */
async function sendBlocking(socket: Zmq.XPublisher, message: Uint8Array): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.send(message);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EAGAIN' || socket.closed) throw error;
    }
    await new Promise<void>((resolve) => (attempt < 64 ? setImmediate(resolve) : setTimeout(resolve, 1)));
  }
}
