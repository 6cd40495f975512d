import { IpcError } from '../errors.js';
import { setLongTimeout, type LongTimeout } from './timers.js';
import { timeoutOption, validateSignal } from './validate.js';

/** A deadline and a signal, both optional: what send, receive and connect take. */
export interface WaitOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** {@link WaitOptions} checked: a valid timeout in ms (or none) and a live signal (or none). */
export interface CheckedWait {
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

const NO_WAIT: CheckedWait = { timeoutMs: undefined, signal: undefined };

/**
 * Checks `{ timeoutMs, signal }` before anything starts: IpcError EINVAL for
 * a timeout that is not an integer from 1 to 2^31 - 1 ms or a signal that is
 * not an AbortSignal, ECANCELED for a signal already aborted. `fallbackMs`
 * is the timeout when none is given. `null` counts as no options.
 */
export function checkWait(options: WaitOptions | null | undefined, fallbackMs?: number): CheckedWait {
  // null is no options, as everywhere in ipckit.
  if ((options === undefined || options === null) && fallbackMs === undefined) return NO_WAIT;
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new IpcError('EINVAL', `options must be an object, got ${typeof options}`);
  }
  return { timeoutMs: timeoutOption(options?.timeoutMs, fallbackMs), signal: validateSignal(options?.signal) };
}

/**
 * Calls `cancel` once, with IpcError ETIMEDOUT when `wait.timeoutMs` passes
 * or ECANCELED (the signal's reason as `cause`) when `wait.signal` aborts,
 * whichever comes first. Returns the function that stops watching; call it
 * as soon as the operation settles. `what` names the operation in messages.
 */
export function watchWait(wait: CheckedWait, what: string, cancel: (error: IpcError) => void): () => void {
  const { timeoutMs, signal } = wait;
  if (timeoutMs === undefined && signal === undefined) return noop;
  let timer: LongTimeout | undefined;
  const stop = (): void => {
    timer?.clear();
    signal?.removeEventListener('abort', onAbort);
  };
  const onAbort = (): void => {
    stop();
    cancel(new IpcError('ECANCELED', `${what} was aborted`, { cause: signal?.reason }));
  };
  if (timeoutMs !== undefined) {
    timer = setLongTimeout(() => {
      stop();
      cancel(new IpcError('ETIMEDOUT', `${what} did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  return stop;
}

function noop(): void {
  // Nothing to stop.
}

/**
 * Resolves after `ms` ms (any delay: one above 2^31 - 1 ms is waited in full,
 * see {@link setLongTimeout}), or rejects with ECANCELED when `signal` aborts first.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new IpcError('ECANCELED', 'the wait was aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      timer.clear();
      reject(new IpcError('ECANCELED', 'the wait was aborted', { cause: signal?.reason }));
    };
    const timer = setLongTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One AbortSignal for a whole operation made of several steps: see {@link deadline}. */
export interface Deadline {
  /** Aborts when the time is up, the caller's signal aborts, or one of `also` does. */
  readonly signal: AbortSignal;
  /** The ms left (at least 1), or undefined without a timeout: for steps that take a `timeoutMs`. */
  remainingMs(): number | undefined;
  /**
   * The error to report for `error`, an ECANCELED a step threw because
   * {@link signal} aborted: ETIMEDOUT when the time was up, ECANCELED (the
   * caller's reason as `cause`) when the caller aborted; any other error
   * (an ETIMEDOUT of a step given {@link remainingMs} included) as it is.
   */
  explain<T>(error: T): T | IpcError;
  /** Stops the timer and the listeners. */
  dispose(): void;
}

/**
 * A deadline over several steps (connect, then send; wait for a reconnection,
 * then receive): `wait.timeoutMs` counts from now and covers them all.
 * `what` names the operation in the ETIMEDOUT message.
 */
export function deadline(wait: CheckedWait, what: string, also: readonly AbortSignal[] = []): Deadline {
  const controller = new AbortController();
  const started = performance.now();
  let timedOut = false;
  const onAbort = (): void => controller.abort();
  const sources = [...(wait.signal ? [wait.signal] : []), ...also];
  for (const source of sources) {
    if (source.aborted) controller.abort();
    else source.addEventListener('abort', onAbort, { once: true });
  }
  const timer =
    wait.timeoutMs === undefined
      ? undefined
      : setLongTimeout(() => {
          timedOut = true;
          controller.abort();
        }, wait.timeoutMs);
  return {
    signal: controller.signal,
    remainingMs: () => (wait.timeoutMs === undefined ? undefined : Math.max(1, Math.ceil(wait.timeoutMs - (performance.now() - started)))),
    explain: <T>(error: T): T | IpcError => {
      if (!(error instanceof IpcError) || error.code !== 'ECANCELED') return error;
      if (timedOut) return new IpcError('ETIMEDOUT', `${what} did not complete within ${wait.timeoutMs} ms`, { cause: error });
      if (wait.signal?.aborted) return new IpcError('ECANCELED', `${what} was aborted`, { cause: wait.signal.reason });
      return error;
    },
    dispose: () => {
      timer?.clear();
      for (const source of sources) source.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * `Promise.reject` for a caught value, for the non-async functions that must
 * report a check's failure as a rejection (send, receive, close): an Error
 * (an IpcError) passes as it is; anything else is wrapped in an Error.
 */
export function rejection(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}
