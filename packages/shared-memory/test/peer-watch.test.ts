/**
 * Issue 17 §6: N channels to one peer process polled it N times per
 * watchdog period (a kill(2) and a /proc read each, on Linux). They now
 * share one watch per peer: one backend watch, one OS exit watch whose
 * callback reaches every channel, one liveness check per period. Counted on
 * a backend that only counts (no clock: the test moves its own), and checked
 * end to end on many channels to one real listener.
 */
import { describe, expect, it } from 'vitest';
import { uniqueName, type Channel } from '@ipckit/core';
import type { ProcessWatch, ShmBackend } from '../src/backend.js';
import { WATCHDOG_MS } from '../src/channel.js';
import { watchPeer } from '../src/peer-watch.js';
import { transport } from '../src/index.js';

/** A backend whose process watches count what is asked of them. */
function countingBackend(): {
  backend: ShmBackend;
  counts: { watches: number; alive: number; armed: number; closed: number };
  exit: () => void;
  running: { value: boolean };
} {
  const counts = { watches: 0, alive: 0, armed: 0, closed: 0 };
  const running = { value: true };
  const exits: Array<() => void> = [];
  const backend = {
    watchProcess(): ProcessWatch {
      counts.watches++;
      return {
        alive: () => (counts.alive++, running.value),
        onExit: (callback: () => void) => (counts.armed++, exits.push(callback)),
        close: () => {
          counts.closed++;
        },
      };
    },
  } as unknown as ShmBackend;
  return { backend, counts, exit: () => exits.forEach((e) => e()), running };
}

describe('one watch per peer process', () => {
  it('100 watchers of one pid: one backend watch, one exit watch, one check per period, every callback called', () => {
    const { backend, counts, exit } = countingBackend();
    let t = 0;
    const watches = Array.from({ length: 100 }, () => watchPeer(backend, 4242, () => t));
    let exited = 0;
    for (const w of watches) w.onExit(() => exited++);
    for (const w of watches) expect(w.alive()).toBe(true);
    expect(counts).toEqual({ watches: 1, alive: 1, armed: 1, closed: 0 });
    t += WATCHDOG_MS;
    for (const w of watches) w.alive();
    expect(counts.alive).toBe(2);
    exit();
    expect(exited).toBe(100);
    for (const w of watches) expect(w.alive()).toBe(false);
    for (const w of watches) w.close();
    expect(counts.closed).toBe(1);
  });

  it('a death seen by one check is seen by all; another pid has its own watch; a closed watcher is not called', () => {
    const { backend, counts, running } = countingBackend();
    let t = 0;
    const a = watchPeer(backend, 1, () => t);
    const b = watchPeer(backend, 1, () => t);
    const c = watchPeer(backend, 2, () => t);
    expect(counts.watches).toBe(2);
    running.value = false;
    t += WATCHDOG_MS;
    expect(a.alive()).toBe(false);
    expect(b.alive()).toBe(false);
    a.close();
    b.close();
    c.close();
    expect(counts.closed).toBe(2);
  });

  it('end to end: 20 channels to one listener, each watching it through the shared watch, all carry their message', async () => {
    const name = uniqueName('peers');
    const listener = await transport.listen(name);
    const served: Channel[] = [];
    const accepting = (async () => {
      for await (const channel of listener) served.push(channel);
    })();
    const clients = await Promise.all(Array.from({ length: 20 }, () => transport.connect(name)));
    for (const [i, c] of clients.entries()) await c.send(new Uint8Array([i]));
    while (served.length < 20) await new Promise((resolve) => setImmediate(resolve));
    const got = await Promise.all(served.map(async (s) => (await s.receive())?.[0]));
    expect(got.sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await Promise.all([...clients, ...served].map((c) => c.close()));
    await listener.close();
    await accepting;
  });
});
