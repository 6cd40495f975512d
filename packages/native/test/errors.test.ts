import { describe, expect, it } from 'vitest';
import { openWaiter } from '../src/index.js';
import { uniqueName } from './helpers.js';

const einval: unknown = expect.objectContaining({ code: 'EINVAL' });

// Bad input is refused with EINVAL before it reaches the addon; these run on
// every OS the addon loads on (a plain ArrayBuffer is enough).
describe('bad input', () => {
  const buffer = new ArrayBuffer(16);

  it.each([
    ['a non-ArrayBuffer', {}, 0],
    ['a typed array', new Int32Array(4), 0],
    ['a SharedArrayBuffer', new SharedArrayBuffer(16), 0],
    ['a misaligned offset', buffer, 2],
    ['an offset past the end', buffer, 16],
    ['a negative offset', buffer, -4],
    ['a fractional offset', buffer, 4.5],
    ['a NaN offset', buffer, Number.NaN],
  ])('openWaiter refuses %s', (_what, buf, offset) => {
    expect(() => openWaiter(buf as ArrayBuffer, offset, uniqueName())).toThrow(einval);
  });

  it.each([
    ['empty', ''],
    ['with a backslash', 'a\\b'],
    ['with a slash', 'a/b'],
    ['with NUL', 'a\0b'],
    ['too long', 'x'.repeat(201)],
    ['not a string', 42],
  ])('openWaiter refuses a name %s', (_what, name) => {
    expect(() => openWaiter(buffer, 0, name as string)).toThrow(einval);
  });

  it('refuses bad wait and wake arguments', async () => {
    const w = openWaiter(buffer, 4, uniqueName());
    try {
      for (const expected of [1.5, 2 ** 32, -(2 ** 31) - 1, Number.NaN, '0']) {
        await expect(w.wait(expected as number, 0)).rejects.toMatchObject({ code: 'EINVAL' });
        expect(() => w.waitSync(expected as number, 0)).toThrow(einval);
      }
      for (const timeout of [-1, Number.NaN, '10']) {
        await expect(w.wait(0, timeout as number)).rejects.toMatchObject({ code: 'EINVAL' });
        expect(() => w.waitSync(0, timeout as number)).toThrow(einval);
      }
      for (const count of [0, -1, 1.5, Number.NaN]) expect(() => w.wake(count)).toThrow(einval);
    } finally {
      w.close();
    }
  });

  it('the addon itself refuses a word whose address is misaligned', async () => {
    // The wrapper checks the offset; the addon checks the real address, which
    // matters for a view that starts at an odd address.
    const { loadNative } = await import('../src/loader.js');
    const { NativeWaiter } = loadNative();
    expect(() => new NativeWaiter(buffer, 2, 'x')).toThrow(einval);
    expect(() => new NativeWaiter({} as ArrayBuffer, 0, 'x')).toThrow(einval);
    expect(() => new NativeWaiter(buffer, 1e30, 'x')).toThrow(einval);
  });
});
