import { describe, expect, it } from 'vitest';
import { IpcError } from '@ipckit/core';
import { FrameBudget, FrameDecoder, frameHeader } from '@ipckit/core/kit';

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out.set(frameHeader(payload.length));
  out.set(payload, 4);
  return out;
}

describe('framing', () => {
  it('writes the length as u32 little-endian', () => {
    expect([...frameHeader(0x01020304)]).toEqual([4, 3, 2, 1]);
  });

  it('reassembles messages split at every possible byte boundary', () => {
    const messages = [new Uint8Array(0), new Uint8Array([9]), Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)];
    const stream = Uint8Array.from(messages.flatMap((m) => [...frame(m)]));
    for (let cut = 1; cut < stream.length; cut++) {
      const decoder = new FrameDecoder(1000);
      const got: Uint8Array[] = [];
      decoder.push(stream.subarray(0, cut), (m) => got.push(m));
      decoder.push(stream.subarray(cut), (m) => got.push(m));
      expect(got.map((m) => [...m])).toEqual(messages.map((m) => [...m]));
      expect(decoder.idle).toBe(true);
    }
  });

  it('delivers copies that later chunks cannot overwrite', () => {
    const chunk = frame(new Uint8Array([1, 2, 3]));
    const decoder = new FrameDecoder(10);
    const got: Uint8Array[] = [];
    decoder.push(chunk, (m) => got.push(m));
    chunk.fill(0);
    expect([...(got[0] as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('hands out a copy of its own from a socket Buffer, not a view into the chunk (issue 17 §5)', () => {
    // Buffer#slice is a view (unlike Uint8Array#slice); sockets deliver Buffers.
    const chunk = Buffer.concat([frame(new Uint8Array([1, 2, 3])), frame(new Uint8Array([4, 5]))]);
    const decoder = new FrameDecoder(10);
    const got: Uint8Array[] = [];
    decoder.push(chunk, (m) => got.push(m));
    expect(got.map((m) => m.buffer.byteLength)).toEqual([3, 2]);
    chunk.fill(0);
    expect(got.map((m) => [...m])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('rejects a header over the limit with EMSGSIZE before allocating the body', () => {
    const decoder = new FrameDecoder(100);
    let error: unknown;
    try {
      // A 4 GiB announcement: allocating it would throw RangeError, not EMSGSIZE.
      decoder.push(frameHeader(0xffffffff), () => undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IpcError);
    expect((error as IpcError).code).toBe('EMSGSIZE');
  });

  it('reports a partial frame as not idle', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(frame(new Uint8Array(10)).subarray(0, 7), () => undefined);
    expect(decoder.idle).toBe(false);
  });

  it('takes partial frames from a shared budget as their bytes arrive, and fails with ENOMEM past it (issue 17 §5)', () => {
    const budget = new FrameBudget(256 * 1024);
    const first = new FrameDecoder(16 * 1024 * 1024, budget);
    const second = new FrameDecoder(16 * 1024 * 1024, budget);
    const got: Uint8Array[] = [];
    // Announcing 16 MiB costs nothing until bytes come: only what arrived is held.
    first.push(frameHeader(16 * 1024 * 1024), (m) => got.push(m));
    expect(budget.used).toBe(0);
    first.push(new Uint8Array(100 * 1024), (m) => got.push(m));
    expect(budget.used).toBe(first.buffered);
    expect(budget.used).toBeLessThanOrEqual(256 * 1024);
    second.push(frameHeader(1024 * 1024), (m) => got.push(m));
    let error: unknown;
    try {
      second.push(new Uint8Array(200 * 1024), (m) => got.push(m));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(IpcError);
    expect((error as IpcError).code).toBe('ENOMEM');
    expect(budget.used).toBeLessThanOrEqual(256 * 1024);
    second.release();
    first.release();
    expect(budget.used).toBe(0);
    // A frame that completes gives its bytes back and arrives whole.
    const third = new FrameDecoder(1024, budget);
    third.push(frameHeader(600), (m) => got.push(m));
    third.push(new Uint8Array(300).fill(1), (m) => got.push(m));
    third.push(new Uint8Array(300).fill(2), (m) => got.push(m));
    expect(got).toHaveLength(1);
    expect(got[0]?.length).toBe(600);
    expect(got[0]?.[299]).toBe(1);
    expect(got[0]?.[300]).toBe(2);
    expect(budget.used).toBe(0);
  });
});
