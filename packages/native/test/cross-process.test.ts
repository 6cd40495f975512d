import { describe, expect, it } from 'vitest';
import { openWaiter } from '../src/index.js';
import { within } from '@ipckit/core/testing';
import { region, startPeer, uniqueName, wakeUntil } from './helpers.js';

// Two real processes mapping the same file MAP_SHARED: the futex is keyed by
// the file's page, not by either process's address, so wake-ups cross over.
describe.runIf(process.platform === 'linux')('Waiter across processes', () => {
  it('a wake() from another process resolves a pending wait()', async () => {
    const r = region();
    const name = uniqueName();
    const w = openWaiter(r.buffer, 64, name);
    // The word stays 0 throughout, so only a real cross-process wake (never
    // 'not-equal', and no timeout given) can settle this wait.
    const pending = w.wait(0);
    const peer = startPeer('wake-loop', r, 64, name);
    try {
      expect(await within(15_000, 'cross-process wake', pending)).toBe('woken');
      Atomics.store(r.words, 17, 1); // tells the peer to stop waking
      expect(await peer.exit(), peer.stderr).toBe(0);
    } finally {
      w.close();
      await peer.kill();
      r.dispose();
    }
  });

  it('a consumer loop sees the value the other process stored before waking', async () => {
    const r = region();
    const name = uniqueName();
    const w = openWaiter(r.buffer, 128, name);
    const peer = startPeer('store-wake', r, 128, name);
    try {
      const consume = async (): Promise<number> => {
        let seen = w.load();
        while (seen !== 42) {
          await w.wait(seen, 1_000);
          seen = w.load();
        }
        return seen;
      };
      expect(await within(15_000, 'consumer loop', consume())).toBe(42);
      expect(await peer.exit(), peer.stderr).toBe(0);
    } finally {
      w.close();
      await peer.kill();
      r.dispose();
    }
  });

  it('a wait() in another process is woken from here', async () => {
    const r = region();
    const name = uniqueName();
    const w = openWaiter(r.buffer, 256, name);
    const peer = startPeer('wait', r, 256, name);
    try {
      await peer.waitForEvent((o) => o.ready === true);
      const result = await wakeUntil(
        () => w.wake(),
        peer.waitForEvent((o) => 'result' in o),
        15_000,
      );
      expect(result).toEqual({ result: 'woken', value: 0 });
      expect(await peer.exit(), peer.stderr).toBe(0);
    } finally {
      w.close();
      await peer.kill();
      r.dispose();
    }
  });

  it('loses no wake-up in a thousand round trips that follow the protocol', async () => {
    const r = region();
    const name = uniqueName();
    const ping = openWaiter(r.buffer, 512, name); // the peer sleeps on this word
    const pong = openWaiter(r.buffer, 516, `${name}-b`); // and we on this one
    const peer = startPeer('pong', r, 512, name);
    const ROUNDS = 1000;
    let timeouts = 0;
    try {
      await peer.waitForEvent((o) => o.ready === true);
      const run = async (): Promise<void> => {
        for (let i = 1; i <= ROUNDS; i++) {
          Atomics.store(r.words, 128, i); // store, THEN wake
          ping.wake();
          let v = pong.load();
          while (v !== i) {
            // A lost wake-up would show as a wait that runs into its (long) timeout.
            if ((await pong.wait(v, 5_000)) === 'timed-out') timeouts++;
            v = pong.load();
          }
        }
        Atomics.store(r.words, 128, -1);
        ping.wake();
      };
      await within(60_000, `${ROUNDS} round trips`, run());
      expect(timeouts).toBe(0);
      expect(await peer.waitForEvent((o) => 'rounds' in o)).toEqual({
        rounds: ROUNDS,
        timeouts: 0,
      });
    } finally {
      ping.close();
      pong.close();
      await peer.kill();
      r.dispose();
    }
  });

  it('a process with idle, unref()d and closed waiters still exits by itself', async () => {
    const r = region();
    const peer = startPeer('exit-idle', r, 0, uniqueName());
    try {
      expect(await peer.waitForEvent((o) => 'closed' in o)).toEqual({ closed: 'closed' });
      expect(await peer.exit(), peer.stderr).toBe(0);
      expect(await peer.waitForEvent((o) => 'first' in o)).toEqual({ first: 'timed-out' });
    } finally {
      await peer.kill();
      r.dispose();
    }
  });
});
