/**
 * The one watchdog of the tests: every wait that could hang (a wake-up, a
 * peer's output, a close) goes through it, so a broken transport fails with
 * a message naming what it waited for instead of hanging until the test
 * framework's own timeout.
 */

/**
 * Awaits `promise`, failing with a clear message if it does not settle in `ms`.
 * An `ms` of `Infinity` sets no timer (the caller's own watchdog covers it).
 */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  if (ms === Number.POSITIVE_INFINITY) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
