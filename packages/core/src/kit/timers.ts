/**
 * Timers for any delay a caller may pass. Node's setTimeout takes at most
 * 2^31 - 1 ms (about 24.8 days): a longer delay (2^31, 1e10, 1e300) fires
 * after 1 ms with a TimeoutOverflowWarning, so a wait given `timeoutMs: 1e10`
 * would time out at once (issue 17 §2). Every timer in ipckit whose delay
 * comes from a caller goes through {@link setLongTimeout}.
 * https://nodejs.org/api/timers.html#settimeoutcallback-delay-args
 */

/** The longest delay Node's setTimeout honours: 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer made by {@link setLongTimeout}. */
export interface LongTimeout {
  /** Stops it; the callback will not run. Idempotent. */
  clear(): void;
  /** Lets the process exit while it is pending, like `timer.unref()`. */
  unref(): LongTimeout;
}

/**
 * Calls `callback` once, `ms` milliseconds from now, for any `ms` >= 0:
 * a delay above {@link MAX_TIMER_MS} is waited in steps of at most that, and
 * `Infinity` never fires (no timer is made). NaN or a negative delay counts
 * as 0.
 */
export function setLongTimeout(callback: () => void, ms: number): LongTimeout {
  const delay = ms >= 0 ? ms : 0;
  let timer: NodeJS.Timeout | undefined;
  let unrefed = false;
  let cleared = false;
  const at = performance.now() + delay;
  const arm = (left: number): void => {
    timer = setTimeout(step, Math.min(Math.max(0, left), MAX_TIMER_MS));
    if (unrefed) timer.unref();
  };
  const step = (): void => {
    timer = undefined;
    if (cleared) return;
    const left = at - performance.now();
    // Node fires a timer up to a millisecond early; one more step for what is left.
    if (left >= 1 && delay > MAX_TIMER_MS) arm(left);
    else callback();
  };
  if (delay !== Number.POSITIVE_INFINITY) arm(delay);
  const handle: LongTimeout = {
    clear(): void {
      cleared = true;
      clearTimeout(timer);
      timer = undefined;
    },
    unref(): LongTimeout {
      unrefed = true;
      timer?.unref();
      return handle;
    },
  };
  return handle;
}
