import { describe, expect, it } from 'vitest';
import { detach, isDetached, openWaiter } from '../src/index.js';
import { region, uniqueName } from './helpers.js';

const linux = process.platform === 'linux';

describe('detach', () => {
  it('detaches a plain ArrayBuffer: length 0, typed arrays over it read as empty', () => {
    const buffer = new ArrayBuffer(64);
    const bytes = new Uint8Array(buffer, 8, 16);
    bytes[0] = 9;
    expect(isDetached(buffer)).toBe(false);
    expect(detach(buffer)).toBe(true);
    expect(isDetached(buffer)).toBe(true);
    expect(buffer.byteLength).toBe(0);
    expect(bytes.length).toBe(0);
    expect(bytes[0]).toBeUndefined();
    // Detaching again is harmless and still true.
    expect(detach(buffer)).toBe(true);
  });

  it('says false (and leaves the buffer alone) when V8 refuses: a WebAssembly memory', () => {
    // (The lib settings here do not declare WebAssembly; it is a Node global.)
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new wasm.Memory({ initial: 1 });
    expect(detach(memory.buffer)).toBe(false);
    expect(memory.buffer.byteLength).toBe(65536);
  });

  it('refuses what is not an ArrayBuffer with EINVAL', () => {
    for (const bad of [new Uint8Array(4), new SharedArrayBuffer(8), {}, undefined]) {
      expect(() => detach(bad as ArrayBuffer)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      expect(() => isDetached(bad as ArrayBuffer)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
  });

  it.runIf(linux)('detaches a koffi.view over a MAP_SHARED mapping, which can then be unmapped safely', () => {
    const r = region();
    const bytes = new Uint8Array(r.buffer);
    bytes[5] = 1;
    expect(detach(r.buffer)).toBe(true);
    r.dispose(); // munmap, and the file goes
    // Reads no longer reach the (now unmapped) memory: no SIGSEGV.
    expect(bytes.length).toBe(0);
    expect(bytes[5]).toBeUndefined();
    expect(() => Atomics.load(r.words, 0)).toThrow(TypeError);
  });

  it('a waiter whose buffer was detached throws ECLOSED instead of touching the memory', async () => {
    const buffer = new ArrayBuffer(16);
    const w = openWaiter(buffer, 4, uniqueName());
    expect(detach(buffer)).toBe(true);
    const closed: unknown = expect.objectContaining({ code: 'ECLOSED' });
    expect(() => w.load()).toThrow(closed);
    expect(() => w.waitSync(0, 0)).toThrow(closed);
    expect(() => w.wake()).toThrow(closed);
    await expect(w.wait(0, 0)).rejects.toMatchObject({ code: 'ECLOSED' });
    w.close();
    expect(w.closed).toBe(true);
  });
});
