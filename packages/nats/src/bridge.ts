/**
 * The bridge: serves one address and relays every channel it accepts to a
 * new channel on another address, both ways, message by message. With a
 * local address on one side and a nats:// one on the other it carries a
 * local service past its machine (docs/nats.md, "The bridge"):
 *
 *   machine A: bridge('pipe://inventory', 'nats://hub:4222/inventory')   clients on A connect to pipe://inventory
 *   machine B: bridge('nats://hub:4222/inventory', 'shm://inventory')    the real server on B listens on shm://inventory
 *
 * Neither the clients nor the server change a line. Any two ipckit addresses
 * work (tcp:// to pipe:// too); nothing here is NATS-specific but the use.
 */
import { IpcError, connect, listen, serve, type Channel, type ConnectOptions, type Listener, type ListenOptions } from '@ipckit/core';
import { validateSignal } from '@ipckit/core/kit';

/** What a bridge reports as it runs (`onEvent`). */
export type BridgeEvent =
  /** A client came in on `from` and its relay to `to` is open. */
  | { type: 'open'; id: number }
  /** A relay ended: both channels are closed. `forward`/`back` count messages relayed each way; `dropped` those that could not be. */
  | { type: 'end'; id: number; forward: number; back: number; dropped: number }
  /** A client came in but `to` could not be reached: its channel was closed at once. */
  | { type: 'refused'; id: number; error: IpcError }
  /** A message could not be relayed (too large for the other side, or that side went away while it was in hand). */
  | { type: 'dropped'; id: number; direction: 'forward' | 'back'; bytes: number; error: IpcError };

/** Counters over a bridge's whole life. */
export interface BridgeStats {
  /** Relays opened. */
  opened: number;
  /** Relays open now. */
  open: number;
  /** Clients refused because `to` could not be reached. */
  refused: number;
  /** Messages relayed from `from`'s clients to `to`. */
  forward: number;
  /** Messages relayed from `to` back to `from`'s clients. */
  back: number;
  /**
   * Messages taken from one side that did not reach the other: the other side
   * refused them (EMSGSIZE) or went away while they were in hand. Every one
   * is also an `onEvent` 'dropped' event: a message is relayed or counted here,
   * never silently gone.
   */
  dropped: number;
}

/** Options of {@link bridge}. */
export interface BridgeOptions {
  /** Options for listening on `from` (e.g. nats:// credentials, `shared: true`). */
  listen?: ListenOptions & Record<string, unknown>;
  /** Options for each connect to `to` (e.g. nats:// credentials, `timeoutMs`). */
  connect?: ConnectOptions & Record<string, unknown>;
  /** The most relays at once (core's serve() `concurrency`); default 1,024. */
  concurrency?: number;
  /** Told of every relay opened, ended, refused, and every message dropped. Its errors are ignored. */
  onEvent?: (event: BridgeEvent) => void;
  /** Aborting closes the bridge, as {@link Bridge.close} does. */
  signal?: AbortSignal;
}

/** A running bridge. */
export interface Bridge extends AsyncDisposable {
  /** The listener on `from` (its `name` says where clients connect). */
  readonly listener: Listener;
  /** Counters, live. */
  readonly stats: Readonly<BridgeStats>;
  /** Resolves once the bridge has stopped (closed, or its listener ended) and every relay has ended. */
  readonly done: Promise<void>;
  /** Stops accepting, closes every relay (their pending sends get the default close timeout), and resolves with `done`. */
  close(): Promise<void>;
}

/**
 * Serves `from` and relays each channel to a new channel on `to`, both ways,
 * until either side ends it; then closes the other (so a client sees its
 * server go, and the server its client). A client whose relay cannot reach
 * `to` (nobody serves it, or the network is down) has its channel closed at
 * once and is counted in `refused`. Messages keep their order each way; one
 * that cannot be relayed is counted in `dropped` (and reported), never lost
 * silently. Rejects like listen(`from`) (EINVAL, EADDRINUSE, ENOENT, ...).
 */
export async function bridge(from: string, to: string, options: BridgeOptions = {}): Promise<Bridge> {
  const signal = validateSignal(options.signal);
  if (typeof to !== 'string') throw new IpcError('EINVAL', 'bridge() needs the address to relay to');
  const onEvent = options.onEvent;
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new IpcError('EINVAL', 'onEvent must be a function');
  const listener = await listen(from, options.listen);
  const stats: BridgeStats = { opened: 0, open: 0, refused: 0, forward: 0, back: 0, dropped: 0 };
  const stop = new AbortController();
  const tell = (event: BridgeEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A listener's error must not stop the relay.
    }
  };
  let nextId = 1;

  const relay = async (client: Channel): Promise<void> => {
    const id = nextId++;
    let remote: Channel;
    try {
      remote = await connect(to, { ...options.connect, signal: stop.signal });
    } catch (error) {
      stats.refused++;
      tell({ type: 'refused', id, error: error instanceof IpcError ? error : new IpcError('EIO', String(error), { cause: error }) });
      return; // serve() closes the client's channel: it sees its server go.
    }
    stats.opened++;
    stats.open++;
    tell({ type: 'open', id });
    const counts = { forward: 0, back: 0, dropped: 0 };
    const pump = async (source: Channel, target: Channel, direction: 'forward' | 'back'): Promise<void> => {
      try {
        for await (const message of source) {
          try {
            await target.send(message);
            counts[direction]++;
            stats[direction]++;
          } catch (error) {
            counts.dropped++;
            stats.dropped++;
            const failure = error instanceof IpcError ? error : new IpcError('EIO', String(error), { cause: error });
            tell({ type: 'dropped', id, direction, bytes: message.length, error: failure });
            // Too large for the other side: that message only. Anything else: the other side is gone.
            if (failure.code !== 'EMSGSIZE') break;
          }
        }
      } catch {
        // The source broke its wire format (receive threw once): the relay ends.
      } finally {
        await target.close();
        await source.close();
      }
    };
    await Promise.all([pump(client, remote, 'forward'), pump(remote, client, 'back')]);
    stats.open--;
    tell({ type: 'end', id, ...counts });
  };

  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const done = serve(listener, relay, {
    signal: stop.signal,
    onError: () => undefined,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  }).finally(() => signal?.removeEventListener('abort', onAbort));
  done.catch(() => undefined);
  const close = async (): Promise<void> => {
    stop.abort();
    await listener.close();
    await done.catch(() => undefined);
  };
  return { listener, stats, done, close, [Symbol.asyncDispose]: close };
}
