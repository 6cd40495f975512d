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

describe.runIf(process.platform === 'linux')('watchFd at exit', () => {
  it('a descriptor that becomes ready while Node shuts down does not abort the process', async () => {
    const { spawnSync } = await import('node:child_process');
    const libcJs = new URL('../dist/posix/libc.js', import.meta.url).href;
    // The watch is unref'd, so the loop ends; the pipe turns readable only then, during
    // teardown, which is when a watch left open made koffi throw a fatal napi error.
    const script = `
      import { writeSync } from 'node:fs';
      import { watchFd } from ${JSON.stringify(libcJs)};
      import koffi from 'koffi';
      const fds = new Int32Array(2);
      const pipe = koffi.load('libc.so.6').func('int pipe(_Out_ int *fds)');
      if (pipe(fds) !== 0) process.exit(3);
      const watch = watchFd(fds[0], { readable: true }, () => process.exit(4));
      watch.unref();
      process.on('exit', () => writeSync(fds[1], 'x'));
    `;
    for (let i = 0; i < 5; i++) {
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: new URL('..', import.meta.url),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.stderr).not.toContain('FATAL');
      expect({ status: run.status, signal: run.signal }).toEqual({ status: 0, signal: null });
    }
  });
});
