import { IpcError } from '../errors.js';
import type { PublishOptions, Publisher, SubscribeOptions, Subscriber } from '../topic.js';
import type { Transport } from '../transport.js';
import { publishOverChannels } from './topic-publisher.js';
import { subscribeOverChannels } from './topic-subscriber.js';

/**
 * Which implementation serves a transport's topics: its own `publish` and
 * `subscribe` when it has them, else the kit's over its channels. One place,
 * used by core's `publish(address)`/`subscribe(address)` and by the
 * conformance suite, so both see what a user gets.
 */

/** ENOTSUP, before anything is created, for a transport whose capabilities say it has no topics. */
function checkTopics(transport: Transport, what: string): void {
  const caps = transport.capabilities;
  if (!caps.topics) {
    throw new IpcError(
      'ENOTSUP',
      `${transport.scheme}:// has no topics (${caps.duplex ? 'this transport does not offer them' : 'it is one-way: one reader per name'}); cannot ${what}`,
    );
  }
  if (!caps.duplex) throw new IpcError('ENOTSUP', `${transport.scheme}:// says it has topics but is one-way and has no publish/subscribe of its own`);
}

/** Publishes `name` on `transport` (see `publish` of @ipckit/core). */
export async function publishOn(transport: Transport, name: string, options?: PublishOptions): Promise<Publisher> {
  if (transport.publish) {
    if (!transport.capabilities.topics) checkTopics(transport, 'publish');
    return transport.publish(name, options);
  }
  checkTopics(transport, 'publish');
  return publishOverChannels(transport, name, options);
}

/** Subscribes to `name` on `transport`, without waiting for a publisher (see `subscribe` of @ipckit/core). */
export async function subscribeOn(transport: Transport, name: string, options?: SubscribeOptions): Promise<Subscriber> {
  if (transport.subscribe) {
    if (!transport.capabilities.topics) checkTopics(transport, 'subscribe');
    return transport.subscribe(name, options);
  }
  checkTopics(transport, 'subscribe');
  return subscribeOverChannels(transport, name, options);
}
