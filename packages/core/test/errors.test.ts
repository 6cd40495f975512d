import { describe, expect, it } from 'vitest';
import { IpcError, isIpcError } from '@ipckit/core';
import { fromNodeError, portableCode } from '@ipckit/core/kit';

describe('IpcError', () => {
  it('keeps the OS code, errno and syscall of a Node SystemError', () => {
    const system = Object.assign(new Error('connect ECONNREFUSED /x'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', path: '/x' });
    const error = fromNodeError(system);
    expect(error).toBeInstanceOf(IpcError);
    expect(error.code).toBe('ENOENT');
    expect(error.osCode).toBe('ECONNREFUSED');
    expect(error.errno).toBe(-111);
    expect(error.syscall).toBe('connect');
    expect(error.path).toBe('/x');
    expect(error.cause).toBe(system);
  });

  it('tells out of descriptors (process, system) and out of space apart from out of memory', () => {
    // Issue 17 §3: these were EIO (pipe, tcp) or ENOMEM (shm, mailslot), depending on the transport.
    expect(portableCode('EMFILE')).toBe('EMFILE');
    expect(portableCode('ENFILE')).toBe('ENFILE');
    expect(portableCode('ENOSPC')).toBe('ENOSPC');
    expect(portableCode('ENOMEM')).toBe('ENOMEM');
    const system = Object.assign(new Error('connect EMFILE /x'), { code: 'EMFILE', errno: -24, syscall: 'connect' });
    expect(fromNodeError(system)).toMatchObject({ code: 'EMFILE', osCode: 'EMFILE', errno: -24, syscall: 'connect' });
  });

  it('maps unknown codes to EIO and passes IpcErrors through', () => {
    expect(portableCode('EWHATEVER')).toBe('EIO');
    expect(portableCode(undefined)).toBe('EIO');
    const original = new IpcError('EMSGSIZE', 'big');
    expect(fromNodeError(original)).toBe(original);
  });

  it('is recognised across copies of the module by its brand', () => {
    const foreign = Object.create({ [Symbol.for('ipckit.IpcError')]: true }) as object;
    expect(foreign instanceof IpcError).toBe(true);
    expect({} instanceof IpcError).toBe(false);
    expect(isIpcError(new IpcError('EINVAL', 'x'), 'EINVAL')).toBe(true);
    expect(isIpcError(new IpcError('EINVAL', 'x'), 'ENOENT')).toBe(false);
    expect(new IpcError('EINVAL', 'bad').message).toBe('EINVAL: bad');
  });
});
