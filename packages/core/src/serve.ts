import { IpcError } from './errors.js';
import { validateInteger, validateSignal } from './kit/validate.js';
import type { Channel, Listener } from './transport.js';

/** How {@link serve} runs. */
export interface ServeOptions {
  /**
   * The most channels handled at once, from 1 to 2^30; default 1,024. At the
   * limit, serve() takes no more channels from the listener until a handler
   * finishes: new connections wait in the listener's backlog, and beyond it
   * are closed (Rule 5 of the Channel contract).
   */
  concurrency?: number;
  /**
   * Called with what a handler threw (or rejected with) and its channel. The
   * other channels are not affected. Default: a peer that went away (EPIPE,
   * ECONNRESET, ECLOSED) is normal and ignored; anything else is reported with
   * `process.emitWarning`. An error thrown by `onError` itself is ignored.
   */
  onError?: (error: unknown, channel: Channel) => void;
  /**
   * Aborting stops serving: the listener and every channel being handled are
   * closed, so the handlers' receives end; serve() resolves once they returned.
   */
  signal?: AbortSignal;
}

/** The errors of a peer that went away: what every server sees, not worth a warning. */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ECLOSED']);

function warn(error: unknown): void {
  if (error instanceof IpcError && PEER_GONE.has(error.code)) return;
  process.emitWarning(error instanceof Error ? error : new Error(String(error)), { code: 'IPCKIT_SERVE' });
}

/**
 * Serves every channel of `listener` concurrently: each channel the listener
 * yields is handed to `handler`, and closed (with the default close timeout,
 * so a last reply still goes out) once the handler returns or throws. One
 * channel's error goes to `options.onError` and never stops the others;
 * `options.concurrency` bounds how many are handled at once.
 *
 * ```ts
 * const listener = await listen('pipe://inventory');
 * void serve(listener, async (channel) => {
 *   for await (const message of channel) await channel.send(message); // echo, one client each
 * });
 * ```
 *
 * Resolves once the listener's iteration has ended (the listener was closed,
 * or `signal` aborted) and every handler has finished; rejects with the
 * listener's own error if its iteration fails (after closing the channels
 * being handled and waiting for their handlers). Options are checked at once
 * (EINVAL; ECANCELED for an aborted signal).
 *
 * On a one-way transport the listener yields one receive-only channel that
 * carries every writer's messages: `handler` runs once, for that channel.
 */
export async function serve(listener: Listener, handler: (channel: Channel) => unknown, options: ServeOptions = {}): Promise<void> {
  if (typeof handler !== 'function') throw new IpcError('EINVAL', 'serve() needs a handler function');
  const concurrency = validateInteger(options.concurrency ?? 1024, 'concurrency', 1, 2 ** 30);
  const signal = validateSignal(options.signal);
  const onError = options.onError ?? warn;
  if (typeof onError !== 'function') throw new IpcError('EINVAL', 'onError must be a function');
  const active = new Set<Channel>();
  const running = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;

  const closeAll = (): void => {
    for (const channel of active) void channel.close().catch(() => undefined);
  };
  const onAbort = (): void => {
    void listener.close().catch(() => undefined);
    closeAll();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const handle = async (channel: Channel): Promise<void> => {
    try {
      await handler(channel);
    } catch (error) {
      try {
        onError(error, channel);
      } catch {
        // An onError that throws must not take the other channels down either.
      }
    } finally {
      await channel.close().catch(() => undefined);
      active.delete(channel);
    }
  };

  try {
    for await (const channel of listener) {
      if (signal?.aborted) {
        void channel.close().catch(() => undefined);
        break;
      }
      active.add(channel);
      const run = handle(channel);
      running.add(run);
      void run.finally(() => {
        running.delete(run);
        slotFreed?.();
      });
      while (active.size >= concurrency) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
      }
    }
  } catch (error) {
    closeAll();
    await Promise.allSettled([...running]);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  await Promise.allSettled([...running]);
}
