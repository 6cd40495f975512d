/**
 * Issue 13 §2: the zero-copy path: a message written in place in the ring
 * (reserve, fill, commit) and read in place (a view until release), on the
 * async and the blocking API: order kept, wrap-around, the rules, and misuse
 * always an IpcError.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { patternMessage, sameBytes, within } from '@ipckit/core/testing';
import { transport, type ShmChannel } from '@ipckit/shared-memory';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A connected pair in this process: the client's channel and the listener's. */
async function pair(ringBytes = 4096): Promise<{ a: ShmChannel; b: ShmChannel }> {
  const name = uniqueName('shmz');
  const listener = await transport.listen(name);
  closers.push(() => listener.close());
  const accepted = listener[Symbol.asyncIterator]().next();
  const a = await transport.connect(name, { ringBytes });
  const b = (await accepted).value as ShmChannel;
  closers.push(
    () => a.close(),
    () => b.close(),
  );
  return { a, b };
}

describe('zero-copy: writing and reading in place', () => {
  it('keeps order across wrap-around, mixed with ordinary sends and receives', async () => {
    const { a, b } = await pair(4096);
    expect(a.maxInPlaceBytes).toBe(4096 / 4 - 8);
    const count = 3000;
    const size = (i: number): number => (i * 37) % (a.maxInPlaceBytes + 1);
    const reading = (async () => {
      const incoming = b[Symbol.asyncIterator]();
      for (let i = 0; i < count; i++) {
        if (i % 3 === 0) {
          const r = await incoming.next();
          expect(sameBytes(r.value as Uint8Array, patternMessage(size(i), i)), `message ${i}`).toBe(true);
          continue;
        }
        const message = await b.receiveInPlace({ timeoutMs: 10_000 });
        expect(message).toBeDefined();
        expect(sameBytes(message!.bytes, patternMessage(size(i), i)), `message ${i}`).toBe(true);
        message!.release();
      }
    })();
    for (let i = 0; i < count; i++) {
      if (i % 3 === 0) {
        await a.send(patternMessage(size(i), i));
        continue;
      }
      const reservation = await a.reserve(Math.min(size(i) + 5, a.maxInPlaceBytes), { timeoutMs: 10_000 });
      reservation.bytes.set(patternMessage(size(i), i));
      reservation.commit(size(i));
    }
    await within(20_000, 'reader', reading);
  });

  it('a full ring makes reserve wait until the reader releases', async () => {
    const { a, b } = await pair(4096);
    // Fill the ring (4 records of 1,008 bytes in 4,096) with messages nobody has released.
    for (let i = 0; i < 4; i++) {
      const r = await a.reserve(1000);
      r.commit();
    }
    const message = await b.receiveInPlace();
    let reserved = false;
    const waiting = a.reserve(1000, { timeoutMs: 10_000 }).then((r) => {
      reserved = true;
      r.cancel();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reserved).toBe(false);
    message!.release();
    await within(10_000, 'reserve after release', waiting);
    expect(reserved).toBe(true);
    await expect(a.reserve(4096, { timeoutMs: 10 })).rejects.toMatchObject({ code: 'EMSGSIZE' });
  });

  it('refuses misuse with IpcError, and nothing is sent or lost', async () => {
    const { a, b } = await pair(4096);
    for (const bad of [-1, 1.5, Number.NaN, '8']) await expect(a.reserve(bad as number)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(a.reserve(a.maxInPlaceBytes + 1)).rejects.toMatchObject({ code: 'EMSGSIZE' });
    const r = await a.reserve(16);
    await expect(a.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(a.reserve(16)).rejects.toMatchObject({ code: 'EINVAL' });
    expect(() => a.sendSync(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => r.commit(17)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    r.cancel();
    expect(() => r.commit()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    r.cancel(); // twice is nothing
    const kept = await a.reserve(3);
    kept.bytes.set([7, 8, 9]);
    kept.commit();
    await a.send(new Uint8Array([1]));
    const first = await b.receiveInPlace();
    expect([...first!.bytes]).toEqual([7, 8, 9]);
    await expect(b.receiveInPlace()).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(b[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'EINVAL' });
    expect(() => b.receiveSync(0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    first![Symbol.dispose]();
    first!.release(); // released once only
    const second = await b.receiveInPlace();
    expect([...second!.bytes]).toEqual([1]);
    second!.release();
    await expect(b.receiveInPlace({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(b.receiveInPlace({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
  });

  it('a message larger than one record comes as a copy; the channel ends cleanly', async () => {
    const { a, b } = await pair(4096);
    const big = patternMessage(10_000, 3);
    // It travels in pieces: the send settles once the reader has taken the first ones.
    const sending = a.send(big);
    const message = await b.receiveInPlace({ timeoutMs: 10_000 });
    expect(sameBytes(message!.bytes, big)).toBe(true);
    message!.release();
    await sending;
    await a.close();
    expect(await b.receiveInPlace()).toBeUndefined();
    await expect(b.reserve(8)).rejects.toMatchObject({ code: 'EPIPE' });
  });

  it('the blocking forms work the same way', async () => {
    const { a, b } = await pair(4096);
    const r = a.reserveSync(5, 1_000);
    r.bytes.set([1, 2, 3, 4, 5]);
    r.commit(4);
    const m = b.receiveInPlaceSync(1_000);
    expect([...m!.bytes]).toEqual([1, 2, 3, 4]);
    m!.release();
    expect(() => b.receiveInPlaceSync(10)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    for (let i = 0; i < 4; i++) a.reserveSync(1000).commit();
    expect(() => a.reserveSync(1000, 20)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  });
});
