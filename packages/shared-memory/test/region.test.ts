import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName } from '@ipckit/core';
import { createRegion, defineStruct, openFileRegion, openOrCreateRegion, openRegion, viewGranularity, type SharedRegion } from '../src/index.js';
import { Child, fixture, shmLeftovers, watchdog } from './helpers.js';

const posix = process.platform !== 'win32';
const opened: SharedRegion[] = [];
const children: Child[] = [];
const track = <T extends SharedRegion>(r: T): T => {
  opened.push(r);
  return r;
};

afterEach(async () => {
  for (const r of opened.splice(0)) r.close();
  for (const c of children.splice(0)) await c.kill();
});
afterAll(() => {
  expect(shmLeftovers()).toEqual([]);
});

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (isIpcError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

const name = (): string => uniqueName('shmt');

describe('regions: create, open, open-or-create', () => {
  it('creates, opens from the same and another process, and reports whether it existed', async () => {
    const n = name();
    const created = track(await createRegion(n, 4096));
    expect(created.existed).toBe(false);
    expect(created.size).toBe(4096);
    created.write(new TextEncoder().encode('hello'), 10);

    const again = track(await openOrCreateRegion(n, 4096));
    expect(again.existed).toBe(true);
    expect(new TextDecoder().decode(again.read(10, 5))).toBe('hello');

    const reader = track(await openRegion(n));
    expect(reader.size).toBeGreaterThanOrEqual(4096);

    // Another process writes; we see it at once.
    const child = Child.node(fixture('region-peer.mjs'), 'write', n, '100', '42');
    children.push(child);
    expect(await child.line()).toBe('done');
    expect(created.read(100, 1)[0]).toBe(42);
  });

  it('openOrCreate creates when missing', async () => {
    const r = track(await openOrCreateRegion(name(), 100));
    expect(r.existed).toBe(false);
    expect(r.origin).toBe('created');
  });

  it('create on an existing name gives EADDRINUSE; open of a missing name gives ENOENT', async () => {
    const n = name();
    track(await createRegion(n, 100));
    expect(await codeOf(() => createRegion(n, 100))).toBe('EADDRINUSE');
    expect(await codeOf(() => openRegion(name()))).toBe('ENOENT');
  });

  it('bad names, sizes and offsets give EINVAL', async () => {
    const bad = ['', 'nul\0byte', 'line\nbreak', posix ? 'a/b' : 'a\\b', 'x'.repeat(300)];
    for (const b of bad) {
      expect(await codeOf(() => createRegion(b, 100)), JSON.stringify(b)).toBe('EINVAL');
      expect(await codeOf(() => openRegion(b)), JSON.stringify(b)).toBe('EINVAL');
    }
    const n = name();
    for (const size of [0, -1, 1.5, Number.NaN, 2 ** 41, '10' as unknown as number]) {
      expect(await codeOf(() => createRegion(n, size)), String(size)).toBe('EINVAL');
    }
    // Nothing was created by the failed calls.
    expect(await codeOf(() => openRegion(n))).toBe('ENOENT');
    const r = track(await createRegion(n, 1000));
    expect(await codeOf(() => r.view(-1, 10))).toBe('EINVAL');
    expect(await codeOf(() => r.view(995, 10))).toBe('EINVAL');
    expect(await codeOf(() => r.view(0, 0))).toBe('EINVAL');
    expect(await codeOf(() => r.read(990, 11))).toBe('EINVAL');
    expect(await codeOf(() => r.write(new Uint8Array(2), 999))).toBe('EINVAL');
  });

  it.runIf(posix)('POSIX names: the leading slash is optional and both spellings meet', async () => {
    const n = name();
    const r = track(await createRegion(n, 100));
    expect(r.path).toBe(`/${n}`);
    const o = track(await openRegion(`/${n}`));
    expect(o.path).toBe(`/${n}`);
  });

  it.runIf(!posix)('Windows names: Local\\ prefix names the same session object', async () => {
    const n = name();
    const r = track(await createRegion(n, 100));
    r.write(new Uint8Array([9]));
    const o = track(await openRegion(`Local\\${n}`));
    expect(o.read(0, 1)[0]).toBe(9);
  });
});

describe('views', () => {
  it('maps a view at any offset (not aligned to the granularity) and sees the same memory', async () => {
    const gran = await viewGranularity();
    expect(gran % 4096).toBe(0);
    const r = track(await createRegion(name(), gran * 3));
    const offset = gran + (12_345 % gran) + 3;
    const v = r.view(offset, 100);
    expect(v.offset).toBe(offset);
    v.write(new Uint8Array([1, 2, 3]));
    expect([...r.read(offset, 3)]).toEqual([1, 2, 3]);
    r.write(new Uint8Array([7]), offset + 99);
    expect(v.bytes[99]).toBe(7);
    expect(v.bytes.length).toBe(100);
  });

  it('read-only regions and views never hand out writable memory', async () => {
    const n = name();
    const r = track(await createRegion(n, 200));
    r.write(new Uint8Array([5, 6]));
    const ro = track(await openRegion(n, { readOnly: true }));
    expect(ro.readOnly).toBe(true);
    expect([...ro.read(0, 2)]).toEqual([5, 6]);
    // A copy: changing it changes nothing shared.
    ro.read(0, 2)[0] = 99;
    expect(r.read(0, 1)[0]).toBe(5);
    expect(await codeOf(() => ro.bytes)).toBe('EACCES');
    expect(await codeOf(() => ro.write(new Uint8Array([1])))).toBe('EACCES');
    expect(await codeOf(() => ro.writeStruct(defineStruct({ a: 'int32' }), { a: 1 }))).toBe('EACCES');
    const roView = r.view(0, 10, { readOnly: true });
    expect(await codeOf(() => roView.bytes)).toBe('EACCES');
    expect(roView.read(1, 1)[0]).toBe(6);
  });

  it('after close every method throws ECLOSED and every array handed out is detached (length 0), never a crash', async () => {
    const r = await createRegion(name(), 8192);
    const v = r.view(100, 50);
    const bytes = r.bytes;
    const viewBytes = v.bytes;
    const words = new Int32Array(bytes.buffer, 0, 16);
    const data = new DataView(viewBytes.buffer);
    bytes[0] = 1;
    viewBytes[0] = 2;
    r.close();
    expect(r.closed).toBe(true);
    expect(v.closed).toBe(true);
    for (const fn of [
      () => r.bytes,
      () => v.bytes,
      () => r.read(0, 1),
      () => r.write(new Uint8Array(1)),
      () => r.flush(),
      () => v.read(0, 1),
      () => v.write(new Uint8Array(1)),
      () => r.view(0, 1),
      () => r.readStruct(defineStruct({ a: 'int32' })),
      () => v.flush(),
    ]) {
      expect(await codeOf(fn)).toBe('ECLOSED');
    }
    // Detached: the memory is unmapped, and nothing in JavaScript can reach it any more.
    expect(bytes.buffer.byteLength).toBe(0);
    expect(viewBytes.buffer.byteLength).toBe(0);
    expect([bytes.length, viewBytes.length, words.length]).toEqual([0, 0, 0]);
    expect(bytes[0]).toBeUndefined();
    expect(viewBytes[0]).toBeUndefined();
    bytes[1] = 3; // a write to a detached array goes nowhere
    expect(bytes[1]).toBeUndefined();
    expect(() => Atomics.load(words, 0)).toThrow(TypeError);
    expect(() => data.getUint8(0)).toThrow(TypeError);
    r.close(); // idempotent
    v.close();
  });

  it('closing a view alone detaches only that view; the region and its other views stay usable', async () => {
    const r = track(await createRegion(name(), 8192));
    const a = r.view(10, 20);
    const b = r.view(10, 20);
    const aBytes = a.bytes;
    a.close();
    expect(aBytes.length).toBe(0);
    b.bytes[0] = 44;
    expect(r.read(10, 1)[0]).toBe(44);
    expect(b.bytes.length).toBe(20);
  });

  it('a read-only region closes the same way (its memory was never handed out)', async () => {
    const n = name();
    const r = track(await createRegion(n, 100));
    const ro = await openRegion(n, { readOnly: true });
    ro.close();
    expect(await codeOf(() => ro.read(0, 1))).toBe('ECLOSED');
    expect(r.read(0, 1)[0]).toBe(0);
  });
});

describe('file-backed regions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-shm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps a file, grows it to the size asked, and flushes to disk', async () => {
    const path = join(dir, 'data.bin');
    writeFileSync(path, 'abc');
    const r = track(await openFileRegion(path, { size: 10_000 }));
    expect(r.existed).toBe(true);
    expect(r.size).toBe(10_000);
    expect(statSync(path).size).toBe(10_000);
    expect(new TextDecoder().decode(r.read(0, 3))).toBe('abc');
    r.write(new TextEncoder().encode('XYZ'), 5000);
    r.flush();
    expect(readFileSync(path).subarray(5000, 5003).toString()).toBe('XYZ');
  });

  it('creates a missing file only when asked; ENOENT otherwise; views at an offset work on files', async () => {
    const path = join(dir, 'new.bin');
    expect(await codeOf(() => openFileRegion(path, { size: 100 }))).toBe('ENOENT');
    const r = track(await openFileRegion(path, { size: 200_000, create: true }));
    expect(r.existed).toBe(false);
    const v = r.view(150_001, 10);
    v.write(new Uint8Array([0x41, 0x42]));
    v.flush();
    expect(readFileSync(path).subarray(150_001, 150_003).toString()).toBe('AB');
    const ro = track(await openFileRegion(path, { readOnly: true }));
    expect(ro.size).toBe(200_000);
    expect(ro.read(150_001, 1)[0]).toBe(0x41);
    expect(existsSync(path)).toBe(true);
  });
});

describe('C structs', () => {
  it("lays out the articles' struct student as the platform C compiler does (24 bytes on Windows, 32 on 64-bit Linux)", () => {
    const win = defineStruct({ ID: 'long', name: 'char[20]' }, { platform: 'win32' });
    const lin = defineStruct({ ID: 'long', name: 'char[20]' }, { platform: 'posix' });
    expect([win.size, win.offsetOf('name')]).toEqual([24, 4]);
    expect([lin.size, lin.offsetOf('name')]).toEqual([32, 8]);
    // And for this platform, the same as koffi (i.e. the C ABI) computes.
    const here = defineStruct({ ID: 'long', name: 'char[20]' });
    const cType = koffi.struct(`student_${process.pid}`, { ID: 'long', name: koffi.array('char', 20) });
    expect(here.size).toBe(koffi.sizeof(cType));
    expect(here.offsetOf('name')).toBe(koffi.offsetof(cType, 'name'));
  });

  it('pads and aligns mixed fields like C, and round-trips every type', async () => {
    const fields = { a: 'int8', b: 'double', c: 'int16', d: 'uint64', e: 'float', f: 'char[5]', g: 'uint32', h: 'uint8[3]', i: 'int64', j: 'ulong' } as const;
    const layout = defineStruct(fields);
    const cType = koffi.struct(`mixed_${process.pid}`, {
      a: 'int8_t',
      b: 'double',
      c: 'int16_t',
      d: 'uint64_t',
      e: 'float',
      f: koffi.array('char', 5),
      g: 'uint32_t',
      h: koffi.array('uint8_t', 3),
      i: 'int64_t',
      j: 'unsigned long',
    });
    expect(layout.size).toBe(koffi.sizeof(cType));
    for (const f of layout.fields) expect(f.offset, f.name).toBe(koffi.offsetof(cType, f.name));
    const r = track(await createRegion(name(), 4096));
    const value = { a: -5, b: 1.5, c: -300, d: 2n ** 63n + 5n, e: 0.25, f: 'abcd', g: 4_000_000_000, h: new Uint8Array([1, 2, 3]), i: -(2n ** 40n), j: 12345 };
    r.writeStruct(layout, value, 64);
    expect(r.readStruct(layout, 64)).toEqual(value);
    expect(await codeOf(() => r.writeStruct(layout, { f: 'too long' }, 0))).toBe('EINVAL');
    expect(await codeOf(() => r.readStruct(layout, 4096 - 8))).toBe('EINVAL');
  });
});

describe.runIf(posix)('lifetime on POSIX: until unlinked', () => {
  it('the creator unlinks on close; openers do not; unlinkOnClose: false keeps it', async () => {
    const n = name();
    const r = await createRegion(n, 100);
    const o = await openRegion(n);
    o.close();
    await expect(openRegion(n).then((again) => again.close())).resolves.toBeUndefined();
    r.close();
    expect(await codeOf(() => openRegion(n))).toBe('ENOENT');

    const kept = await createRegion(n, 100, { unlinkOnClose: false });
    kept.write(new Uint8Array([3]));
    kept.close();
    const later = await openRegion(n);
    expect(later.read(0, 1)[0]).toBe(3);
    later.close();
    // Still ours (the ownership record names a live process: us), so create refuses.
    expect(await codeOf(() => createRegion(n, 100))).toBe('EADDRINUSE');
    const cleanup = await openOrCreateRegion(n, 100);
    expect(cleanup.existed).toBe(true);
    cleanup.close();
    // openOrCreate that found it does not unlink; remove it by hand.
    const { posixBackend } = await import('../src/posix.js');
    posixBackend.unlink(`/${n}`);
    expect(await codeOf(() => openRegion(n))).toBe('ENOENT');
  });

  it('a region left by a crashed creator is replaced, never reused with stale contents', async () => {
    const n = name();
    const child = Child.node(fixture('region-peer.mjs'), 'create', n, '4096', '171');
    children.push(child);
    expect(await child.line()).toBe('ready');
    // While the creator lives, the name is taken.
    expect(await codeOf(() => createRegion(n, 4096))).toBe('EADDRINUSE');
    const peek = await openRegion(n);
    expect(peek.read(0, 1)[0]).toBe(171);
    peek.close();
    await child.kill();
    // The creator is gone: the next create replaces the region with a fresh, zeroed one.
    const fresh = track(await openOrCreateRegion(n, 4096));
    expect(fresh.existed).toBe(false);
    expect(fresh.read(0, 16).every((b) => b === 0)).toBe(true);
  });
});

describe.runIf(process.platform === 'win32')('lifetime on Windows: while any handle is open', () => {
  it('the object goes with its last handle', async () => {
    const n = name();
    const r = await createRegion(n, 100);
    const o = await openRegion(n);
    r.close();
    o.write(new Uint8Array([1]));
    o.close();
    expect(await codeOf(() => openRegion(n))).toBe('ENOENT');
  });
});

describe('native programs share regions by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-cc-'));
  const exe = join(dir, process.platform === 'win32' ? 'student.exe' : 'student');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const Student = defineStruct({ ID: 'long', name: 'char[20]' });

  const build = (): void => {
    if (!existsSync(exe)) execFileSync(process.platform === 'win32' ? 'gcc' : 'cc', ['-O1', '-o', exe, fixture('student.c')], { stdio: 'pipe' });
  };

  it.runIf(posix)('a region a C program made with shm_open("/name") opens by that name and reads its struct student', async () => {
    build();
    const n = name();
    const c = Child.exe(exe, 'create', `/${n}`, '99041232', 'SecBug');
    children.push(c);
    expect(await c.line()).toBe('ready');
    const r = track(await openRegion(`/${n}`));
    expect(r.size).toBe(Student.size);
    expect(r.readStruct(Student)).toEqual({ ID: 99041232, name: 'SecBug' });
    // Not ours (no ownership record): create refuses, openOrCreate opens it, nothing is replaced.
    expect(await codeOf(() => createRegion(n, 32))).toBe('EADDRINUSE');
    const again = track(await openOrCreateRegion(n, 32));
    expect(again.existed).toBe(true);
    expect(again.readStruct(Student).ID).toBe(99041232);
    c.proc.stdin?.end('quit\n');
    expect(await watchdog(c.exited, 10_000, 'C program exit')).toBe(0);
  });

  it.runIf(posix)('a region made from Node is read by a C program, which writes back', async () => {
    build();
    const n = name();
    const r = track(await createRegion(n, Student.size));
    r.writeStruct(Student, { ID: 7, name: 'from node' });
    const out = JSON.parse(execFileSync(exe, ['read', `/${n}`], { encoding: 'utf8' })) as { id: number; name: string; size: number };
    expect(out).toEqual({ id: 7, name: 'from node', size: Student.size });
    execFileSync(exe, ['write', `/${n}`, '-12', 'from C']);
    expect(r.readStruct(Student)).toEqual({ ID: -12, name: 'from C' });
  });
});
