import { describe, expect, it } from 'vitest';
import { IpcError, uniqueName } from '@ipckit/core';
import { validateInteger, validateName } from '@ipckit/core/kit';
import { COMMON_BAD_NAMES } from '@ipckit/core/testing';

describe('validateName', () => {
  it.each(COMMON_BAD_NAMES.map((n) => [JSON.stringify(n).slice(0, 30), n]))('rejects %s with EINVAL', (_, name) => {
    expect(() => validateName(name, { maxBytes: 100 })).toThrow(IpcError);
    try {
      validateName(name, { maxBytes: 100 });
    } catch (error) {
      expect((error as IpcError).code).toBe('EINVAL');
    }
  });

  it('rejects non-strings and counts UTF-8 bytes, not characters', () => {
    expect(() => validateName(42, { maxBytes: 10 })).toThrow(/must be a string/);
    expect(validateName('é'.repeat(5), { maxBytes: 10 })).toBe('ééééé');
    expect(() => validateName('é'.repeat(6), { maxBytes: 10 })).toThrow(/12 bytes/);
  });

  it('accepts ordinary names, including dots inside', () => {
    for (const name of ['MapTrans', 'my-service.v2', 'a..b', 'x']) expect(validateName(name, { maxBytes: 64 })).toBe(name);
  });

  it('makes distinct unique names', () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueName()));
    expect(names.size).toBe(1000);
  });

  it('validates integers within bounds', () => {
    expect(validateInteger(5, 'n', 0, 10)).toBe(5);
    for (const bad of [-1, 11, 1.5, Number.NaN, '5', undefined]) expect(() => validateInteger(bad, 'n', 0, 10)).toThrow(/EINVAL/);
  });
});
