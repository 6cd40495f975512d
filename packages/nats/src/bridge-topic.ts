/**
 * The bridge for topics: subscribes to a topic on one address and publishes
 * every delivery on another, e.g. a publisher on `shm://sensors` on machine A
 * reaching subscribers of `nats://hub:4222/sensors` on machine B (docs/nats.md,
 * "The bridge"). The publisher on `to` stays up while the one on `from` comes
 * and goes: the bridge subscribes again whenever its source ends.
 */
import { IpcError, publish, subscribe, type PublishOptions, type SubscribeOptions } from '@ipckit/core';
import { sleep, validateSignal } from '@ipckit/core/kit';

/** What a topic bridge reports as it runs. */
export type TopicBridgeEvent =
  /** Subscribed to `from` (again, after the first time). */
  | { type: 'subscribed'; attempt: number }
  /** The source ended (its publisher closed or crashed, or it disconnected the bridge); the bridge subscribes again. */
  | { type: 'source-ended'; relayed: number; error?: IpcError }
  /** Deliveries from `from` said messages were missed upstream (its `drop-oldest` policy): counted, not relayed. */
  | { type: 'missed'; count: number }
  /** A message could not be published on `to` (too large for it): counted, not relayed. */
  | { type: 'dropped'; bytes: number; error: IpcError };

/** Counters over a topic bridge's life. */
export interface TopicBridgeStats {
  /** Messages published on `to`. */
  relayed: number;
  /** Messages the source's deliveries said were missed upstream (never received by the bridge). */
  missed: number;
  /** Messages received but refused by `to` (EMSGSIZE). */
  dropped: number;
  /** Times the bridge subscribed to `from`. */
  subscriptions: number;
}

/** Options of {@link bridgeTopic}. */
export interface TopicBridgeOptions {
  /** Options for subscribing to `from` (e.g. nats:// credentials). `waitForPublisher` is always on. */
  subscribe?: SubscribeOptions & Record<string, unknown>;
  /** Options for publishing on `to` (history, capacity, policy, nats:// credentials). */
  publish?: PublishOptions & Record<string, unknown>;
  /** Told of every subscription, source end, miss and drop. Its errors are ignored. */
  onEvent?: (event: TopicBridgeEvent) => void;
  /** Aborting closes the bridge. */
  signal?: AbortSignal;
}

/** A running topic bridge. */
export interface TopicBridge extends AsyncDisposable {
  /** Counters, live. */
  readonly stats: Readonly<TopicBridgeStats>;
  /** Resolves once the bridge has stopped. */
  readonly done: Promise<void>;
  /** Stops: leaves `from`, closes the publisher on `to` (its subscribers get what it sent, then their end). */
  close(): Promise<void>;
}

/** How long one wait for `from`'s publisher lasts before the bridge waits again, in ms. */
const WAIT_ROUND_MS = 10_000;

/**
 * Publishes `to` at once (rejects like publish(`to`): EINVAL, EADDRINUSE,
 * ENOTSUP, ...), then relays every delivery of topic `from` to it, in order,
 * subscribing to `from` again whenever it ends. What the bridge cannot relay
 * is counted and reported: messages missed upstream (`missed`), messages too
 * large for `to` (`dropped`). Messages `from`'s publisher sent while the bridge
 * was not subscribed (between a source's end and the next subscription) never
 * reach the bridge; a source published with `history` replays its recent ones
 * to the new subscription, which the bridge then relays again.
 */
export async function bridgeTopic(from: string, to: string, options: TopicBridgeOptions = {}): Promise<TopicBridge> {
  const signal = validateSignal(options.signal);
  if (typeof from !== 'string') throw new IpcError('EINVAL', 'bridgeTopic() needs the topic to relay from');
  const onEvent = options.onEvent;
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new IpcError('EINVAL', 'onEvent must be a function');
  const publisher = await publish(to, options.publish);
  const stats: TopicBridgeStats = { relayed: 0, missed: 0, dropped: 0, subscriptions: 0 };
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const tell = (event: TopicBridgeEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A listener's error must not stop the relay.
    }
  };
  let current: { close(): Promise<void> } | undefined;

  const stopped = (): boolean => stop.signal.aborted;
  const run = async (): Promise<void> => {
    while (!stopped()) {
      let subscriber;
      try {
        subscriber = await subscribe(from, { ...options.subscribe, waitForPublisher: true, timeoutMs: WAIT_ROUND_MS, signal: stop.signal });
      } catch (error) {
        if (stopped()) return;
        // Nobody published within a round: wait another. Anything else (a bad name): a short pause, then again.
        if (!(error instanceof IpcError && error.code === 'ETIMEDOUT')) await sleep(250, stop.signal).catch(() => undefined);
        continue;
      }
      current = subscriber;
      stats.subscriptions++;
      tell({ type: 'subscribed', attempt: stats.subscriptions });
      let relayed = 0;
      let ended: IpcError | undefined;
      try {
        for await (const delivery of subscriber) {
          if (delivery.missed > 0) {
            stats.missed += delivery.missed;
            tell({ type: 'missed', count: delivery.missed });
          }
          try {
            await publisher.send(delivery.data);
            relayed++;
            stats.relayed++;
          } catch (error) {
            if (error instanceof IpcError && error.code === 'EMSGSIZE') {
              stats.dropped++;
              tell({ type: 'dropped', bytes: delivery.data.length, error });
              continue;
            }
            throw error;
          }
        }
      } catch (error) {
        if (error instanceof IpcError && error.code === 'ECLOSED') return; // our own publisher was closed
        ended = error instanceof IpcError ? error : new IpcError('EIO', String(error), { cause: error });
      } finally {
        await subscriber.close();
        current = undefined;
      }
      if (!stopped()) tell({ type: 'source-ended', relayed, ...(ended ? { error: ended } : {}) });
    }
  };

  const done = run().finally(() => signal?.removeEventListener('abort', onAbort));
  done.catch(() => undefined);
  const close = async (): Promise<void> => {
    stop.abort();
    await current?.close();
    await done.catch(() => undefined);
    await publisher.close();
  };
  return { stats, done, close, [Symbol.asyncDispose]: close };
}
