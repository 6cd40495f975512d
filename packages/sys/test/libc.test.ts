import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { IpcError, uniqueName } from '@ipckit/core';
import { errnoName, portableErrnoCode, win32Code, win32ErrorName } from '@ipckit/sys';

describe('error tables', () => {
  it('names errno values from the OS table and maps them to portable codes', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(portableErrnoCode(17)).toBe('EADDRINUSE'); // EEXIST
    expect(portableErrnoCode(99999)).toBe('EIO');
  });

  it('names Win32 codes and maps them', () => {
    expect(win32ErrorName(183)).toBe('ERROR_ALREADY_EXISTS');
    expect(win32Code(183)).toBe('EADDRINUSE');
    expect(win32Code(2)).toBe('ENOENT');
    expect(win32ErrorName(424242)).toBe('Win32 error 424242');
  });
});

describe.runIf(process.platform === 'linux')('libc bindings', async () => {
  const sys = await import('@ipckit/sys/posix');

  it('shares bytes through shm_open + mmap between two mappings', () => {
    const c = sys.libc();
    const name = `/${uniqueName('sys')}`;
    const fd = c.shm_open(name, sys.O_RDWR | sys.O_CREAT | sys.O_EXCL, 0o600);
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      expect(c.ftruncate(fd, 4096)).toBe(0);
      expect(c.lseek(fd, 0, sys.SEEK_END)).toBe(4096);
      const a = c.mmap(null, 4096, sys.PROT_READ | sys.PROT_WRITE, sys.MAP_SHARED, fd, 0);
      const b = c.mmap(null, 4096, sys.PROT_READ, sys.MAP_SHARED, fd, 0);
      expect(sys.isMapFailed(a) || sys.isMapFailed(b)).toBe(false);
      new Uint8Array(koffi.view(a, 4096))[100] = 77;
      expect(new Uint8Array(koffi.view(b, 4096))[100]).toBe(77);
      c.munmap(a, 4096);
      c.munmap(b, 4096);
    } finally {
      c.close(fd);
      c.shm_unlink(name);
    }
  });

  it('turns a failed call into an IpcError with errno, OS code and syscall', () => {
    const c = sys.libc();
    const name = `/${uniqueName('sys')}-missing`;
    expect(c.shm_open(name, sys.O_RDWR, 0)).toBe(-1);
    const error = sys.posixError('shm_open', name);
    expect(error).toBeInstanceOf(IpcError);
    expect(error).toMatchObject({ code: 'ENOENT', osCode: 'ENOENT', errno: 2, syscall: 'shm_open', path: name });
  });

  it('refuses a socket path that does not fit sun_path', () => {
    expect(() => sys.sockaddrUn('/'.padEnd(108, 'x'))).toThrow(/EINVAL/);
    expect(sys.sockaddrUn('/tmp/x').length).toBe(2 + 6 + 1);
  });

  it('reads the page size', () => {
    expect(sys.pageSize()).toBeGreaterThanOrEqual(4096);
  });
});
