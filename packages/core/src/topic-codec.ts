import { IpcError } from './errors.js';
import { checkCodec, decodeReceived, encodeForSend, type Codec } from './codec.js';
import type { Delivery, Publisher, Subscriber } from './topic.js';
import type { CloseOptions, ReceiveOptions, SendOptions } from './transport.js';

/**
 * Codecs on topics, as `withCodec` on channels: a publisher that sends
 * values, a subscriber whose deliveries carry values (`{ data: T, seq,
 * missed }`).
 */

/** A {@link Publisher} that sends values: each one encoded with the codec, one message. */
export class CodecPublisher<T> implements AsyncDisposable {
  constructor(
    /** The publisher underneath. */
    readonly publisher: Publisher,
    /** How values become bytes. */
    readonly codec: Codec<T>,
  ) {}

  /** Encodes and publishes `value`: EINVAL when it cannot be encoded (nothing sent), else as {@link Publisher.send}. */
  send(value: T, options?: SendOptions): Promise<void> {
    const bytes = encodeForSend(this.codec, value);
    return bytes instanceof Promise ? bytes : this.publisher.send(bytes, options);
  }

  /** See {@link Publisher.subscriberCount}. */
  get subscriberCount(): number {
    return this.publisher.subscriberCount;
  }

  /** See {@link Publisher.waitForSubscribers}. */
  waitForSubscribers(count: number, options?: ReceiveOptions): Promise<void> {
    return this.publisher.waitForSubscribers(count, options);
  }

  /** See {@link Publisher.closed}. */
  get closed(): boolean {
    return this.publisher.closed;
  }

  /** Closes the publisher underneath (see {@link Publisher.close}). */
  close(options?: CloseOptions): Promise<void> {
    return this.publisher.close(options);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A {@link Subscriber} whose deliveries carry values. A message that does not
 * decode rejects (or throws from the iteration) with EBADMSG; the next one is
 * still there.
 */
export class CodecSubscriber<T> implements AsyncIterable<Delivery<T>>, AsyncDisposable {
  constructor(
    /** The subscriber underneath. */
    readonly subscriber: Subscriber,
    /** How bytes become values. */
    readonly codec: Codec<T>,
  ) {}

  /** The next delivery with its value decoded, or `undefined` once the topic ended; otherwise as {@link Subscriber.receive}. */
  async receive(options?: ReceiveOptions): Promise<Delivery<T> | undefined> {
    const delivery = await this.subscriber.receive(options);
    return delivery === undefined ? undefined : this.decode(delivery);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Delivery<T>> {
    for await (const delivery of this.subscriber) yield this.decode(delivery);
  }

  /** See {@link Subscriber.missed}. */
  get missed(): number {
    return this.subscriber.missed;
  }

  /** See {@link Subscriber.closed}. */
  get closed(): boolean {
    return this.subscriber.closed;
  }

  /** Leaves the topic (see {@link Subscriber.close}). */
  close(): Promise<void> {
    return this.subscriber.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private decode(delivery: Delivery): Delivery<T> {
    return { data: decodeReceived(this.codec, delivery.data), seq: delivery.seq, missed: delivery.missed };
  }
}

/** A publisher that sends values: `withTopicCodec(await publish('pipe://prices'), json<Price>())`. */
export function withTopicCodec<T>(publisher: Publisher, codec: Codec<T>): CodecPublisher<T>;
/** A subscriber whose deliveries carry values: `withTopicCodec(await subscribe('pipe://prices'), json<Price>())`. */
export function withTopicCodec<T>(subscriber: Subscriber, codec: Codec<T>): CodecSubscriber<T>;
export function withTopicCodec<T>(side: Publisher | Subscriber, codec: Codec<T>): CodecPublisher<T> | CodecSubscriber<T> {
  checkCodec(codec);
  if (typeof (side as Partial<Publisher> | null)?.send === 'function') return new CodecPublisher(side as Publisher, codec);
  if (typeof (side as Partial<Subscriber> | null)?.receive === 'function') return new CodecSubscriber(side as Subscriber, codec);
  throw new IpcError('EINVAL', 'withTopicCodec takes a Publisher or a Subscriber');
}
