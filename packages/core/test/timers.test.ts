import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, checkWait, deadline, setLongTimeout, sleep } from '@ipckit/core/kit';

// Issue 17 §2: Node's setTimeout fires a delay above 2^31 - 1 ms after 1 ms.
// Fake timers stand in for the days such a delay lasts (they overflow the same way).
describe('timers above 2^31 - 1 ms', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('setTimeout itself overflows (what the helper is for)', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setTimeout(fired, 2 ** 31);
    vi.advanceTimersByTime(5);
    expect(fired).toHaveBeenCalled();
  });

  it.each([2 ** 31, 1e10])('setLongTimeout(%d) fires once, at its time, not after 1 ms', (ms) => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, ms);
    vi.advanceTimersByTime(5);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(ms - 1_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2_000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('an ordinary delay fires like setTimeout; clear() stops it; Infinity never fires', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 10);
    const cleared = vi.fn();
    setLongTimeout(cleared, 10).clear();
    const never = vi.fn();
    setLongTimeout(never, Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(11);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(cleared).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS * 3);
    expect(never).not.toHaveBeenCalled();
  });

  it('sleep(2^31) does not resolve after 1 ms', async () => {
    vi.useFakeTimers();
    let done = false;
    void sleep(2 ** 31).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(5);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(done).toBe(true);
  });

  it('a deadline of the longest timeout accepted does not abort early', async () => {
    vi.useFakeTimers();
    const limit = deadline(checkWait({ timeoutMs: MAX_TIMER_MS }), 'the wait');
    await vi.advanceTimersByTimeAsync(5);
    expect(limit.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(limit.signal.aborted).toBe(true);
    limit.dispose();
  });
});
