import { IpcError } from './errors.js';
import { checkWait, deadline, rejection, sleep } from './kit/cancel.js';
import { checkMessageSize } from './kit/framing.js';
import { closeTimeoutOption, validateInteger } from './kit/validate.js';
import type { Channel, CloseOptions, ReceiveOptions, ReconnectOptions, SendOptions } from './transport.js';

/** Failures of a connection attempt worth another try: nobody serves the name yet, or it did not answer in time. */
const RETRY = new Set(['ENOENT', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE']);

/** {@link ReconnectOptions} with defaults filled in and checked (EINVAL). */
export interface ReconnectSettings {
  minDelayMs: number;
  maxDelayMs: number;
  onReconnect: ((attempt: number) => void) | undefined;
}

/** Checks `reconnect: true | {...}` (EINVAL for anything else). */
export function reconnectSettings(option: boolean | ReconnectOptions): ReconnectSettings {
  const raw: unknown = option === true ? {} : option;
  if (typeof raw !== 'object' || raw === null) throw new IpcError('EINVAL', 'reconnect must be true or an object of options');
  const options = raw as ReconnectOptions;
  const minDelayMs = validateInteger(options.minDelayMs ?? 50, 'reconnect.minDelayMs', 1, 60_000);
  const maxDelayMs = validateInteger(options.maxDelayMs ?? 2_000, 'reconnect.maxDelayMs', minDelayMs, 600_000);
  if (options.onReconnect !== undefined && typeof options.onReconnect !== 'function') throw new IpcError('EINVAL', 'reconnect.onReconnect must be a function');
  return { minDelayMs, maxDelayMs, onReconnect: options.onReconnect };
}

/**
 * A client channel that reconnects when its peer goes away: what
 * `connect(address, { reconnect: true })` returns. It is one Channel for the
 * program, over a series of connections.
 *
 * - When the connection ends (the listener closed, crashed or restarted),
 *   the next send or receive connects again: attempts are spaced from
 *   `minDelayMs`, doubling up to `maxDelayMs`, for as long as the name is not
 *   served (ENOENT) or does not answer (ETIMEDOUT); any other failure (EACCES,
 *   EINVAL, ...) ends the channel, and every later call rejects with it.
 * - Sends wait for a connection (within their own `timeoutMs`/`signal`). A
 *   send that rejected with EPIPE did not deliver its message (Rule 2), so it
 *   is retried on the next connection; one that resolved was handed to the old
 *   connection and is lost if the old peer died before reading it. So delivery
 *   is at most once, and order is kept within each connection.
 * - Receiving and iteration continue across connections: they end only once
 *   this channel is closed. A receive's `timeoutMs` covers the reconnection.
 * - `closed` is true only after close() (or a failure that is not retried).
 */
export class ReconnectingChannel implements Channel {
  readonly maxMessageBytes: number;
  readonly #open: (signal: AbortSignal) => Promise<Channel>;
  readonly #settings: ReconnectSettings;
  readonly #stop = new AbortController();
  #current: Channel | undefined;
  #connecting: Promise<Channel> | undefined;
  #failure: IpcError | undefined;
  #closing: Promise<void> | undefined;
  #reconnects = 0;
  #iterating = false;

  /**
   * @param first the first connection, already made
   * @param open makes a new connection; aborting `signal` gives it up
   */
  constructor(first: Channel, open: (signal: AbortSignal) => Promise<Channel>, settings: ReconnectSettings) {
    this.#current = first;
    this.maxMessageBytes = first.maxMessageBytes;
    this.#open = open;
    this.#settings = settings;
  }

  /** How many times a new connection replaced a lost one. */
  get reconnects(): number {
    return this.#reconnects;
  }

  get closed(): boolean {
    return this.#closing !== undefined || this.#failure !== undefined;
  }

  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.#closing) return Promise.reject(new IpcError('ECLOSED', 'send on a channel that was closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    if (!(message instanceof Uint8Array)) return Promise.reject(new IpcError('EINVAL', 'a message must be a Uint8Array'));
    let wait;
    try {
      checkMessageSize(message.length, this.maxMessageBytes);
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    // Not tied to this channel's stop signal: close() ends the wait for a connection
    // (that rejects with ECLOSED), but a send already on a connection gets close()'s grace (rule 2).
    const limit = deadline(wait, 'the send');
    return (async () => {
      try {
        for (;;) {
          const channel = await this.#connection(limit.signal);
          try {
            await channel.send(message, { signal: limit.signal });
            return;
          } catch (error) {
            if (!(error instanceof IpcError) || error.code !== 'EPIPE' || this.#closing) throw error;
            // Not delivered (Rule 2): the connection is gone; try the next one.
            this.#lost(channel);
          }
        }
      } catch (error) {
        throw this.#explain(limit.explain(error));
      } finally {
        limit.dispose();
      }
    })();
  }

  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined> {
    if (this.#closing) return Promise.resolve(undefined);
    if (this.#failure) return Promise.reject(this.#failure);
    let wait;
    try {
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    const limit = deadline(wait, 'the receive', [this.#stop.signal]);
    return (async () => {
      try {
        for (;;) {
          const channel = await this.#connection(limit.signal);
          const message = await channel.receive({ signal: limit.signal });
          if (message !== undefined) return message;
          if (this.#closing) return undefined;
          this.#lost(channel);
        }
      } catch (error) {
        // Closing this channel ends a pending receive, as on every channel.
        if (this.#closing) return undefined;
        throw this.#explain(limit.explain(error));
      } finally {
        limit.dispose();
      }
    })();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating) throw new IpcError('EINVAL', 'a channel can be iterated by one consumer at a time');
    this.#iterating = true;
    const finish = (): void => {
      this.#iterating = false;
    };
    return {
      next: async () => {
        try {
          const value = await this.receive();
          if (value === undefined) {
            finish();
            return { value: undefined, done: true };
          }
          return { value, done: false };
        } catch (error) {
          finish();
          throw error;
        }
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  close(options?: CloseOptions): Promise<void> {
    if (this.#closing) return this.#closing;
    try {
      closeTimeoutOption(options);
    } catch (error) {
      return rejection(error);
    }
    const current = this.#current;
    this.#current = undefined;
    this.#closing = (async () => {
      // The connection closes first, with the caller's timeout, so that the sends in flight on it
      // get their grace (rule 2); stopping the reconnection does not wait for it.
      const closingCurrent = current?.close(options).catch(() => undefined);
      this.#stop.abort();
      await closingCurrent;
      // A connection being made as we closed is closed as soon as it exists.
      const late = await this.#connecting?.catch(() => undefined);
      await late?.close({ timeoutMs: 0 }).catch(() => undefined);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The live connection, or a new one (shared by every caller waiting). */
  async #connection(signal: AbortSignal): Promise<Channel> {
    if (this.#closing) throw new IpcError('ECLOSED', 'the channel was closed');
    if (this.#failure) throw this.#failure;
    const current = this.#current;
    if (current && !current.closed) return current;
    if (current) this.#lost(current);
    this.#connecting ??= this.#reconnect().finally(() => {
      this.#connecting = undefined;
    });
    return new Promise<Channel>((resolve, reject) => {
      const onAbort = (): void => reject(new IpcError('ECANCELED', 'the wait for a connection was aborted'));
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      (this.#connecting as Promise<Channel>).then(
        (channel) => {
          signal.removeEventListener('abort', onAbort);
          resolve(channel);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Drops a connection that ended. */
  #lost(channel: Channel): void {
    if (this.#current === channel) this.#current = undefined;
    void channel.close({ timeoutMs: 0 }).catch(() => undefined);
  }

  async #reconnect(): Promise<Channel> {
    let delay = this.#settings.minDelayMs;
    const stop = this.#stop.signal;
    for (;;) {
      // Half the delay plus a random half: clients of a restarted server do not all come back at once.
      await sleep(Math.ceil(delay / 2 + (Math.random() * delay) / 2), stop);
      try {
        const channel = await this.#open(stop);
        if (this.#closing) {
          await channel.close({ timeoutMs: 0 });
          throw new IpcError('ECLOSED', 'the channel was closed');
        }
        this.#current = channel;
        this.#reconnects++;
        try {
          this.#settings.onReconnect?.(this.#reconnects);
        } catch {
          // The hook's errors are its own.
        }
        return channel;
      } catch (error) {
        if (this.#closing || stop.aborted) throw new IpcError('ECLOSED', 'the channel was closed');
        if (!(error instanceof IpcError) || !RETRY.has(error.code)) {
          this.#failure = error instanceof IpcError ? error : new IpcError('EIO', String(error), { cause: error });
          throw this.#failure;
        }
        delay = Math.min(delay * 2, this.#settings.maxDelayMs);
      }
    }
  }

  /** An error of a step that ran into this channel's own close(): ECLOSED. */
  #explain(error: unknown): unknown {
    if (this.#closing && error instanceof IpcError && error.code === 'ECANCELED') return new IpcError('ECLOSED', 'the channel was closed');
    return error;
  }
}
