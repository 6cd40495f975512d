/**
 * Issue 12, item 5: a same-user process that moves a ring's `head` (by a
 * gigabyte, by twice the capacity, or off a record boundary) must not make
 * the reader invent messages or replay old ones: the read fails with EIO,
 * and the channel is failed and closed so the peer hears it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { within } from '@ipckit/core/testing';
import { RING_HEADERS } from '../src/channel.js';
import { transport, type ShmChannel } from '../src/index.js';
import { W } from '../src/ring.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A pair, and the client→server ring's header words, as a hostile process with the pair mapped would see them. */
async function pairWithRing(): Promise<{ a: ShmChannel; b: ShmChannel; head: Int32Array }> {
  const name = uniqueName('shmc');
  const listener = await transport.listen(name);
  closers.push(() => listener.close());
  const accepted = listener[Symbol.asyncIterator]().next();
  const a = await transport.connect(name, { ringBytes: 4096 });
  const b = (await accepted).value as ShmChannel;
  closers.push(
    () => a.close(),
    () => b.close(),
  );
  // The ring a writes (and b reads), as a hostile process that has the pair region mapped sees it.
  return { a, b, head: a[RING_HEADERS]().tx };
}

describe('a corrupted ring head', () => {
  for (const [what, move] of [
    ['moved ahead by a gigabyte', (head: number) => head + 2 ** 30],
    ['moved ahead by twice the capacity', (head: number) => head + 2 * 4096],
    ['moved off a record boundary', (head: number) => head + 4],
  ] as Array<[string, (head: number) => number]>) {
    it(`${what}: the reader fails with EIO, invents nothing, and the writer hears it`, async () => {
      const { a, b, head } = await pairWithRing();
      await a.send(new Uint8Array([1, 2, 3]));
      const incoming = b[Symbol.asyncIterator]();
      expect([...((await incoming.next()).value as Uint8Array)]).toEqual([1, 2, 3]);
      Atomics.store(head, W.head, move(Atomics.load(head, W.head) >>> 0) | 0);
      await expect(incoming.next()).rejects.toMatchObject({ code: 'EIO' });
      expect(b.closed).toBe(true);
      // The writer learns that the reader has gone: its sends fail instead of filling a ring nobody reads.
      await within(
        5_000,
        'writer hears',
        (async () => {
          for (;;) {
            try {
              await a.send(new Uint8Array(8));
            } catch (error) {
              expect(error).toMatchObject({ code: 'EPIPE' });
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })(),
      );
    });
  }
});
