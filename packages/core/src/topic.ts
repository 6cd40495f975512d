/**
 * The topic contract: one publisher, many subscribers, on any transport that
 * offers it (`Capabilities.topics`). `publish('pipe://sensors')` gives a
 * {@link Publisher}; `subscribe('pipe://sensors')` gives a {@link Subscriber},
 * an async iterable of {@link Delivery} values. The same rules hold on every
 * transport; the conformance suite (`runTopicConformance` in
 * `@ipckit/core/testing`) checks each of them. docs/topics.md tells the whole
 * story, with the wire format of the socket transports.
 *
 * ## Rule T1: order, and never a silent loss
 * Every message a publisher sends gets the next sequence number (`seq`,
 * from 0). Each subscriber receives messages in that order, each at most
 * once. A subscriber only misses messages under the `drop-oldest` policy, and
 * then it is told: every delivery carries `missed`, the number of messages
 * published between the previous delivery to this subscriber (or its
 * joining) and this one that it will never receive. `missed` is always 0
 * under `block` and `disconnect`.
 *
 * ## Rule T2: joining
 * `subscribe()` resolves once the publisher has counted the subscriber in.
 * From then on it receives every message the publisher sends (Rule T1 and
 * T3 aside), preceded by up to `history` messages the publisher sent before
 * (the most recent ones, oldest first). A publisher with no subscribers sends
 * into nothing: `send()` resolves, and the message only enters the history.
 *
 * ## Rule T3: a slow subscriber
 * A subscriber may fall up to `capacity` messages behind the publisher (plus
 * what the OS buffers on the way: a socket's kernel buffers). Beyond that the
 * publisher's `policy` applies:
 * - `block` (the default): `send()` waits for room. A subscriber that makes
 *   no room within `blockTimeoutMs` (default {@link DEFAULT_BLOCK_TIMEOUT_MS})
 *   is disconnected (Rule T4) and the send goes on without it, so a stuck or
 *   crashed subscriber never holds the publisher longer than that.
 * - `drop-oldest`: `send()` never waits; the subscriber's oldest undelivered
 *   messages are discarded and counted in the next delivery's `missed`.
 * - `disconnect`: the subscriber is disconnected at once (Rule T4).
 *
 * ## Rule T4: a side that goes away
 * - A publisher that closes or crashes: each subscriber receives every
 *   message that reached it whole, in order, then its iteration ends
 *   normally and `receive()` resolves `undefined` (Rule 1 of the Channel
 *   contract). A new publisher on the same name works at once, crash or not.
 * - A subscriber that closes or crashes: the publisher stops counting it
 *   (`subscriberCount`) as soon as the OS tells, and at the latest when the
 *   policy applies to it; its slot (one of `maxSubscribers`) is free again.
 * - A subscriber the publisher disconnected under its policy: it receives
 *   what reached it, then `receive()` (or the iteration) rejects once with
 *   ECONNRESET, then `done`. On the socket transports the notice travels
 *   behind what the OS buffered: a subscriber that reads nothing for
 *   {@link EVICTION_NOTICE_MS} after it was disconnected sees its iteration
 *   end as after a publisher crash instead.
 *
 * ## Rule T5: the same code for the same situation
 * | situation | what you get |
 * |---|---|
 * | publish on a name already served (a topic or a listener) | EADDRINUSE |
 * | subscribe to a name nobody publishes | ENOENT (with `waitForPublisher`: retried, then ETIMEDOUT) |
 * | subscribe to a name served by something that is not a topic | EBADMSG |
 * | subscribe when the topic has `maxSubscribers` already | ENOMEM |
 * | publish or subscribe on a transport without topics (`mailslot://`) | ENOTSUP, before anything is created |
 * | a bad name, a bad option, an option out of range | EINVAL, before anything is created |
 * | send after close() | ECLOSED |
 * | a message over `maxMessageBytes`; not a Uint8Array | EMSGSIZE; EINVAL (nothing sent) |
 * | a send whose `timeoutMs` passed / `signal` aborted while it waited for room (`block`) | ETIMEDOUT / ECANCELED, and no subscriber gets the message |
 * | receive whose `timeoutMs` passed / `signal` aborted | ETIMEDOUT / ECANCELED, nothing taken |
 * | a second receive (or iteration) while one is pending | EINVAL |
 * | receive after this side's close(), or once the publisher is gone | `undefined` / `done` |
 * | disconnected by the publisher's policy | ECONNRESET once (Rule T4) |
 *
 * ## What a transport may add
 * A transport that can do better than a channel per subscriber (shared
 * memory: one write, read in place by every subscriber) implements
 * {@link Transport.publish} and {@link Transport.subscribe} itself, and may
 * offer the optional members below: {@link Subscriber.receiveInPlace} (zero
 * copy) and the synchronous {@link Subscriber.receiveSync} and
 * {@link Publisher.sendSync} for worker threads. Every other duplex transport
 * gets topics from `@ipckit/core/kit` (`publishOverChannels`,
 * `subscribeOverChannels`): a listener that fans out to each connected
 * channel after a small handshake.
 */
import type { CloseOptions, ReceiveOptions, SendOptions } from './transport.js';

/** What a publisher does with a subscriber that has fallen `capacity` messages behind (Rule T3). */
export type SlowSubscriberPolicy = 'block' | 'drop-oldest' | 'disconnect';

/** The policies, in the order the wire format numbers them (docs/topics.md). */
export const SLOW_SUBSCRIBER_POLICIES: readonly SlowSubscriberPolicy[] = ['block', 'drop-oldest', 'disconnect'];

/** Messages a late subscriber receives first, by default: none. */
export const DEFAULT_TOPIC_HISTORY = 0;

/** How many messages a subscriber may fall behind by default before the policy applies (at least `history`). */
export const DEFAULT_TOPIC_CAPACITY = 64;

/** The largest `capacity` (and so the largest `history`). */
export const MAX_TOPIC_CAPACITY = 65_536;

/** How many subscribers a topic takes by default. */
export const DEFAULT_MAX_SUBSCRIBERS = 64;

/** The largest `maxSubscribers`. */
export const MAX_SUBSCRIBERS = 4_096;

/** The default slow-subscriber policy. */
export const DEFAULT_SLOW_SUBSCRIBER_POLICY: SlowSubscriberPolicy = 'block';

/** How long, by default, `block` waits for a subscriber that has no room before disconnecting it, in ms. */
export const DEFAULT_BLOCK_TIMEOUT_MS = 2_000;

/**
 * How long the socket transports keep a disconnected subscriber's connection
 * open for the disconnection notice to reach it (Rule T4), in ms. Its slot is
 * free at once; only the connection lingers.
 */
export const EVICTION_NOTICE_MS = 10_000;

/** Options of `publish(address, options)` and {@link Transport.publish}. */
export interface PublishOptions {
  /**
   * How many of the most recent messages a subscriber that joins receives
   * first (Rule T2). An integer from 0 to `capacity`; default
   * {@link DEFAULT_TOPIC_HISTORY} (0).
   */
  history?: number;
  /**
   * How many messages a subscriber may fall behind before `policy` applies
   * (Rule T3). An integer from 1 to {@link MAX_TOPIC_CAPACITY}, at least
   * `history`; default the larger of {@link DEFAULT_TOPIC_CAPACITY} (64) and
   * `history`.
   */
  capacity?: number;
  /**
   * The most subscribers counted in at once; one more gets ENOMEM. An integer
   * from 1 to {@link MAX_SUBSCRIBERS}; default {@link DEFAULT_MAX_SUBSCRIBERS} (64).
   */
  maxSubscribers?: number;
  /** What happens to a subscriber that falls `capacity` behind (Rule T3); default `block`. */
  policy?: SlowSubscriberPolicy;
  /**
   * Under `block`, how long a send waits for a subscriber that has no room
   * before it is disconnected, in ms: an integer from 1 to 2^31 - 1; default
   * {@link DEFAULT_BLOCK_TIMEOUT_MS}. EINVAL with another policy.
   */
  blockTimeoutMs?: number;
  /** The largest message published. Defaults to the largest the transport's topics carry. */
  maxMessageBytes?: number;
  /** Aborting closes the publisher. An already aborted signal: ECANCELED, nothing is created. */
  signal?: AbortSignal;
}

/** Options of `subscribe(address, options)` and {@link Transport.subscribe}. */
export interface SubscribeOptions {
  /** The largest message accepted. Defaults to the largest the transport's topics carry. */
  maxMessageBytes?: number;
  /**
   * Give up (ETIMEDOUT) when not subscribed within this many ms, connecting
   * and the handshake included; default DEFAULT_CONNECT_TIMEOUT_MS (10 s).
   * With `waitForPublisher`, the whole wait counts.
   */
  timeoutMs?: number;
  /** Aborting gives up subscribing (ECANCELED, `cause` = the signal's reason). */
  signal?: AbortSignal;
  /**
   * Wait for a publisher to appear: ENOENT is retried until `timeoutMs`
   * passes, then ETIMEDOUT (`cause` = the last ENOENT). Honoured by
   * `subscribe(address)` of @ipckit/core; a transport's own `subscribe` does not wait.
   */
  waitForPublisher?: boolean;
}

/**
 * One message as a subscriber receives it. With a codec (`withTopicCodec`)
 * `data` is the decoded value; `seq` and `missed` stay as they are.
 */
export interface Delivery<T = Uint8Array> {
  /** The message. */
  readonly data: T;
  /** Its sequence number: the publisher numbers its messages 0, 1, 2, ... (Rule T1). */
  readonly seq: number;
  /** Messages lost just before this one (only under `drop-oldest`; Rule T1). */
  readonly missed: number;
}

/**
 * A delivery read in place ({@link Subscriber.receiveInPlace}): `data` is a
 * read-only view of the transport's shared buffer, valid until
 * {@link release} is called; the publisher cannot reuse its slot before.
 */
export interface BorrowedDelivery extends Delivery {
  /** Gives the slot back. Reading `data` afterwards reads whatever is there then. Idempotent. */
  release(): void;
}

/** Options of the synchronous forms ({@link Subscriber.receiveSync}, {@link Publisher.sendSync}). */
export interface SyncWaitOptions {
  /** Give up (ETIMEDOUT) after this many ms; without it, wait as long as it takes. */
  timeoutMs?: number;
}

/** The sending side of a topic (see the rules at the top of this module). */
export interface Publisher extends AsyncDisposable {
  /** The name as served (for tcp, `host:port` with the actual port). */
  readonly name: string;
  /** The full OS path or object name of what serves the topic. */
  readonly path: string;
  /** The largest message this publisher sends. */
  readonly maxMessageBytes: number;
  /** The subscribers counted in now (Rule T2, T4). */
  readonly subscriberCount: number;
  /** The sequence number the next message gets: the number of messages sent so far. */
  readonly nextSeq: number;
  /** True once close() was called (or the signal aborted). */
  readonly closed: boolean;
  /**
   * Publishes one message to every subscriber counted in (Rule T2). Resolves
   * once the message was taken into the topic: every subscriber holds it (its
   * queue, its socket, the shared ring) or was dealt with by the policy (Rule
   * T3); the caller may reuse the buffer then. Rejects with EMSGSIZE over
   * `maxMessageBytes`, ECLOSED after close(), ETIMEDOUT or ECANCELED per
   * `options` while it waited for room (no subscriber gets the message).
   * Sends keep their order.
   */
  send(message: Uint8Array, options?: SendOptions): Promise<void>;
  /**
   * Resolves once at least `count` subscribers are counted in. ETIMEDOUT or
   * ECANCELED per `options`; ECLOSED when the publisher closes first.
   */
  waitForSubscribers(count: number, options?: ReceiveOptions): Promise<void>;
  /**
   * Stops publishing and frees the name: new sends get ECLOSED, messages still
   * on their way to subscribers get up to `options.timeoutMs` (default
   * DEFAULT_CLOSE_TIMEOUT_MS) to be handed to the OS, then every subscriber's
   * iteration ends (Rule T4). Never rejects; safe to call more than once.
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * {@link send} without the event loop, for worker threads: returns once
   * the message was taken, waiting (under `block`) at most
   * `options.timeoutMs`. Only where the transport can wait without the event
   * loop (shared memory); undefined elsewhere.
   */
  sendSync?(message: Uint8Array, options?: SyncWaitOptions): void;
}

/**
 * The receiving side of a topic: iterate it (`for await (const { data, seq,
 * missed } of subscriber)`) or call {@link receive}; one consumer at a time.
 */
export interface Subscriber extends AsyncIterable<Delivery>, AsyncDisposable {
  /** The topic's name, as given. */
  readonly name: string;
  /** The largest message this subscriber accepts. */
  readonly maxMessageBytes: number;
  /** The publisher's policy, told at the handshake. */
  readonly policy: SlowSubscriberPolicy;
  /** Messages missed so far, summed over every delivery's `missed` (Rule T1). */
  readonly missed: number;
  /** True once close() was called, or the publisher is gone or disconnected this subscriber. */
  readonly closed: boolean;
  /**
   * The next delivery, or `undefined` once the topic ended for this subscriber
   * (closed here, the publisher gone: Rule T4). Rejects with ETIMEDOUT or
   * ECANCELED per `options`, taking nothing; EINVAL while another receive or
   * an iteration is pending; ECONNRESET once when the publisher disconnected
   * this subscriber (Rule T4).
   */
  receive(options?: ReceiveOptions): Promise<Delivery | undefined>;
  /** Leaves the topic: receiving ends at once; the publisher frees the slot. Never rejects. */
  close(): Promise<void>;
  /**
   * {@link receive} without a copy: `data` is a read-only view of the
   * transport's shared buffer until `release()`. Only where the transport
   * shares memory with the publisher; undefined elsewhere.
   */
  receiveInPlace?(options?: ReceiveOptions): Promise<BorrowedDelivery | undefined>;
  /**
   * {@link receive} without the event loop, for worker threads: waits at most
   * `options.timeoutMs` (ETIMEDOUT). Only where the transport can wait without
   * the event loop (shared memory); undefined elsewhere.
   */
  receiveSync?(options?: SyncWaitOptions): Delivery | undefined;
}
