/**
 * What hz, tap and record share: subscribing to a topic on any transport
 * (through core's `subscribe(address)`, so pipe://, tcp://, nats:// and
 * shm:// alike), and ending when Ctrl-C, --count or --duration says so.
 */
import { subscribe, type Subscriber } from '@ipckit/core';
import { checkAddress } from '../address.js';
import type { Context } from '../context.js';

/** Options every topic-reading command takes. */
export interface TopicReadOptions {
  /** Stop after this many messages (over every topic). */
  count?: number;
  /** Stop after this many milliseconds. */
  durationMs?: number;
  /** Wait up to this many ms for a publisher to appear; without it, ENOENT at once. */
  waitMs?: number;
}

/**
 * Subscribes to `address`: a malformed address is EINVAL (exit 2) before
 * anything is opened; mailslot:// and other transports without topics are
 * ENOTSUP; nobody publishing is ENOENT (or ETIMEDOUT after `waitMs`).
 */
export async function subscribeTopic(ctx: Context, address: string, options: TopicReadOptions): Promise<Subscriber> {
  checkAddress(address);
  return subscribe(address, {
    signal: ctx.signal,
    ...(options.waitMs === undefined ? {} : { waitForPublisher: true, timeoutMs: Math.max(1, options.waitMs) }),
  });
}

/** Something that ends the run: Ctrl-C, --duration, or the caller (--count, every topic ended). */
export interface Stop {
  /** Resolves once stop() was called, the signal aborted or the duration passed. */
  readonly stopped: Promise<void>;
  /** Why it stopped ('SIGINT', 'duration', 'count', 'ended'), once it did. */
  readonly reason: string | undefined;
  stop(reason: string): void;
  /** Clears the duration timer and the signal's listener. */
  dispose(): void;
}

/** A {@link Stop} on `signal` and, with `durationMs`, a timer. */
export function stopOn(signal: AbortSignal, durationMs?: number): Stop {
  let resolve!: () => void;
  let reason: string | undefined;
  const stopped = new Promise<void>((r) => (resolve = r));
  const stop = (why: string): void => {
    if (reason !== undefined) return;
    reason = why;
    resolve();
  };
  const onAbort = (): void => stop(String(signal.reason));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const timer = durationMs === undefined ? undefined : setTimeout(() => stop('duration'), durationMs);
  return {
    stopped,
    get reason() {
      return reason;
    },
    stop,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/** A wall-clock time in nanoseconds that never goes backwards during the run (the monotonic clock, anchored once to the wall clock). */
export function nanoClock(): () => bigint {
  const base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return () => base + process.hrtime.bigint();
}
