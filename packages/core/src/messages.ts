import { checkWait } from './kit/cancel.js';
import type { Channel, ReceiveOptions } from './transport.js';

/**
 * Iterates `channel` with a deadline per message and/or a signal:
 * `for await (const message of messages(channel, { timeoutMs: 5_000, signal }))`.
 * Each step is a {@link Channel.receive} with `options`, so a step that times
 * out throws ETIMEDOUT and an aborted signal throws ECANCELED, and neither
 * takes a message: a later receive or iteration gets it (Rule 4 of the
 * Channel contract). The iteration ends when the channel does (Rule 1).
 * Options are checked at once (EINVAL; ECANCELED for an aborted signal).
 */
export function messages(channel: Channel, options?: ReceiveOptions): AsyncIterableIterator<Uint8Array> {
  const wait = checkWait(options);
  const perStep: ReceiveOptions = { ...(wait.timeoutMs === undefined ? {} : { timeoutMs: wait.timeoutMs }), ...(wait.signal ? { signal: wait.signal } : {}) };
  return (async function* iterate(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const message = await channel.receive(perStep);
      if (message === undefined) return;
      yield message;
    }
  })();
}
