import { describe, expect, it } from 'vitest';
import { BACKEND, C_LONG_BYTES, IS_LINUX, PLATFORM, backendLoader, byBackend } from '@ipckit/sys';

describe('the platform, told once', () => {
  it('names the backend of the OS this runs on', () => {
    expect(PLATFORM).toBe(process.platform);
    expect(BACKEND).toBe(process.platform === 'win32' ? 'win32' : 'posix');
    expect(IS_LINUX).toBe(process.platform === 'linux');
    expect(C_LONG_BYTES).toBe(process.platform === 'win32' ? 4 : 8);
    expect(byBackend({ win32: 'w', posix: 'p' })).toBe(process.platform === 'win32' ? 'w' : 'p');
  });

  it('loads only this OS backend, once', async () => {
    const loaded: string[] = [];
    const load = backendLoader({
      win32: async () => (loaded.push('win32'), 'windows backend'),
      posix: async () => (loaded.push('posix'), 'posix backend'),
    });
    expect(loaded).toEqual([]);
    const first = await load();
    expect(await load()).toBe(first);
    expect(loaded).toEqual([BACKEND]);
  });
});
