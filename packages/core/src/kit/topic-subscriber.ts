import { IpcError } from '../errors.js';
import type { Delivery, SlowSubscriberPolicy, SubscribeOptions, Subscriber } from '../topic.js';
import type { Channel, ReceiveOptions, Transport } from '../transport.js';
import { deadline, type CheckedWait } from './cancel.js';
import { channelTopicLimits } from './topic-publisher.js';
import { subscribeSettings } from './topic-options.js';
import { FrameKind, TOPIC_HEADER_BYTES, helloFrame, readAnswer, readHeader, type Welcome } from './topic-wire.js';

/**
 * Subscribes to `name` on `transport` over its channels (the other half of
 * `publishOverChannels`): connect, hello, welcome (docs/topics.md). Rejects
 * with ENOENT when nobody publishes the name, ENOMEM when the topic is full,
 * EBADMSG when what serves the name is not a topic, EMSGSIZE when the
 * publisher sends messages over this subscriber's `maxMessageBytes`,
 * ETIMEDOUT/ECANCELED per `timeoutMs` (default 10 s) and `signal`.
 * `waitForPublisher` is core's `subscribe(address)`'s; it is ignored here.
 */
export async function subscribeOverChannels(transport: Transport, name: string, options?: SubscribeOptions): Promise<Subscriber> {
  const settings = subscribeSettings(options, channelTopicLimits(transport));
  return handshake(transport, name, settings.maxMessageBytes, settings.wait);
}

async function handshake(transport: Transport, name: string, maxMessageBytes: number, wait: CheckedWait): Promise<Subscriber> {
  const what = `subscribing to ${transport.scheme}://${name}`;
  const limit = deadline(wait, what);
  let channel: Channel | undefined;
  try {
    channel = await transport.connect(name, { maxMessageBytes: maxMessageBytes + TOPIC_HEADER_BYTES, timeoutMs: limit.remainingMs(), signal: limit.signal });
    await channel.send(helloFrame(maxMessageBytes), { signal: limit.signal });
    const answer = await channel.receive({ signal: limit.signal });
    if (answer === undefined) throw new IpcError('ENOENT', `${transport.scheme}://${name} closed the connection before it answered: nobody publishes it now`);
    const welcome = readAnswer(answer);
    if (welcome instanceof IpcError) throw welcome;
    if (welcome.maxMessageBytes > maxMessageBytes) {
      throw new IpcError(
        'EMSGSIZE',
        `the publisher sends messages of up to ${welcome.maxMessageBytes} bytes, over this subscriber's maxMessageBytes of ${maxMessageBytes}`,
      );
    }
    return new ChannelSubscriber(channel, name, welcome, maxMessageBytes);
  } catch (error) {
    await channel?.close({ timeoutMs: 0 });
    throw limit.explain(error);
  } finally {
    limit.dispose();
  }
}

/**
 * A {@link Subscriber} over the channel a publisher welcomed: each frame
 * becomes a {@link Delivery}, `missed` counted from the sequence numbers
 * (Rule T1). Receive timeouts and cancellation are the channel's, so they
 * take nothing (Rule 4 of the Channel contract).
 */
export class ChannelSubscriber implements Subscriber {
  readonly policy: SlowSubscriberPolicy;
  private expected: number;
  private missedTotal = 0;
  private ended = false;

  constructor(
    private readonly channel: Channel,
    readonly name: string,
    welcome: Welcome,
    readonly maxMessageBytes: number,
  ) {
    this.policy = welcome.policy;
    this.expected = welcome.firstSeq;
  }

  get missed(): number {
    return this.missedTotal;
  }

  get closed(): boolean {
    return this.ended || this.channel.closed;
  }

  async receive(options?: ReceiveOptions): Promise<Delivery | undefined> {
    if (this.ended) return undefined;
    const frame = await this.channel.receive(options);
    if (frame === undefined) {
      this.ended = true;
      return undefined;
    }
    return this.deliver(frame);
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    const frames = this.channel[Symbol.asyncIterator]();
    return {
      next: async (): Promise<IteratorResult<Delivery>> => {
        if (this.ended) return { value: undefined, done: true };
        const result = await frames.next();
        if (result.done) {
          this.ended = true;
          return { value: undefined, done: true };
        }
        return { value: this.deliver(result.value), done: false };
      },
      return: async (): Promise<IteratorResult<Delivery>> => {
        await frames.return?.();
        return { value: undefined, done: true };
      },
    };
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.channel.close({ timeoutMs: 0 });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One frame as a delivery; ECONNRESET for the eviction notice, EBADMSG for a broken frame (both end the subscriber). */
  private deliver(frame: Uint8Array): Delivery {
    let header;
    try {
      header = readHeader(frame);
    } catch (error) {
      this.end();
      throw error;
    }
    if (header.kind === FrameKind.data && header.seq >= this.expected) {
      const missed = header.seq - this.expected;
      this.expected = header.seq + 1;
      this.missedTotal += missed;
      return { data: frame.subarray(TOPIC_HEADER_BYTES), seq: header.seq, missed };
    }
    this.end();
    if (header.kind === FrameKind.evicted) {
      throw new IpcError('ECONNRESET', `the publisher disconnected this subscriber under its "${this.policy}" policy: it fell too far behind`);
    }
    throw new IpcError('EBADMSG', header.kind === FrameKind.data ? `message ${header.seq} came out of order` : `unexpected topic frame of kind ${header.kind}`);
  }

  private end(): void {
    this.ended = true;
    void this.channel.close({ timeoutMs: 0 });
  }
}
