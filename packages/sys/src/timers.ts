/**
 * Timers for any delay a caller may pass. Node's setTimeout takes at most
 * 2^31 - 1 ms (about 24.8 days): a longer delay (2^31, 1e10, 1e300) fires
 * after 1 ms with a TimeoutOverflowWarning, so a wait given `timeoutMs: 1e10`
 * would time out at once. Every timer whose delay comes from a caller goes
 * through {@link setLongTimeout}.
 * https://nodejs.org/api/timers.html#settimeoutcallback-delay-args
 */

/** The longest delay Node's setTimeout honours. */
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
 * delays above {@link MAX_TIMER_MS} are waited in steps of at most that, and
 * `Infinity` never fires (no timer is made). NaN or a negative delay is
 * treated as 0.
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
    if (left > 1) arm(left);
    else callback();
  };
  if (delay !== Infinity) arm(delay);
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
