// Windows behaviour of shared-memory regions, under node:test so that Windows Node runs it as it is:
// the Windows lane (tools/windows/lane.mjs) runs it with node.exe in Wine; on Windows,
// `node --test "packages/shared-memory/test/win32/*.test.mjs"`. Peers are separate node.exe processes
// (./peer.mjs) and a C program (../fixtures/student.c, cross-compiled with mingw: ./native.json).
// Every name comes from uniqueName, every test has a watchdog (`timeout`).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';
import { createRegion, defineStruct, openFileRegion, openOrCreateRegion, openRegion, viewGranularity } from '@ipckit/shared-memory';
import { codeOf, errorOf, ms, nativeProgram } from '../../../../tools/windows/test-helpers.mjs';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

/** The articles' record: `struct student { long ID; char name[20]; }`, with Windows' 4-byte long. */
const Student = defineStruct({ ID: 'long', name: 'char[20]' });
const PAGE = 4096;
const open = [];
const procs = [];
const track = (region) => (open.push(region), region);
const peer = (...args) => {
  const p = PeerProcess.node(new URL('peer.mjs', import.meta.url), args);
  procs.push(p);
  return p;
};
const name = () => uniqueName('shmw');
const T = (n) => ({ timeout: ms(n) });

afterEach(async () => {
  for (const r of open.splice(0)) r.close();
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

describe('names: native names pass through', () => {
  test('a region made in Node is opened by name from another node.exe, which writes into it', T(60_000), async () => {
    const n = name();
    const r = track(await createRegion(n, 10_000));
    assert.equal(r.path, n, 'the OS name is the name as given, no prefix added');
    r.write(new TextEncoder().encode('hello'), 10);
    const w = peer('write', n, '100', '42');
    await w.waitForEvent('done');
    assert.equal(r.read(100, 1)[0], 42);
    const rd = peer('read', n, '10', '5');
    assert.deepEqual((await rd.waitForEvent('done')).bytes, [...new TextEncoder().encode('hello')]);
  });

  test('Local\\ names the same object as the bare name, both ways and across processes', T(60_000), async () => {
    const a = name();
    const viaLocal = track(await createRegion(`Local\\${a}`, 100));
    assert.equal(viaLocal.path, `Local\\${a}`);
    viaLocal.write(new Uint8Array([9]));
    assert.equal(track(await openRegion(a)).read(0, 1)[0], 9);
    assert.equal(await codeOf(() => createRegion(a, 100)), 'EADDRINUSE');

    const b = name();
    const bare = track(await createRegion(b, 100));
    const w = peer('write', `Local\\${b}`, '3', '77');
    await w.waitForEvent('done');
    assert.equal(bare.read(3, 1)[0], 77);
  });

  test('EADDRINUSE for a taken name (also taken by another process), ENOENT for a missing one, with the Win32 error kept', T(60_000), async () => {
    const n = name();
    track(await createRegion(n, 100));
    const taken = await errorOf(() => createRegion(n, 100));
    assert.equal(taken?.code, 'EADDRINUSE');
    assert.equal(taken?.errno, 183); // ERROR_ALREADY_EXISTS
    assert.equal(taken?.syscall, 'CreateFileMappingW');
    const missing = await errorOf(() => openRegion(name()));
    assert.equal(missing?.code, 'ENOENT');
    assert.equal(missing?.errno, 2); // ERROR_FILE_NOT_FOUND
    assert.equal(missing?.syscall, 'OpenFileMappingW');

    const m = name();
    const holder = peer('create', m, '4096', '5');
    await holder.waitForEvent('ready');
    assert.equal(await codeOf(() => createRegion(m, 4096)), 'EADDRINUSE');
    const found = track(await openOrCreateRegion(m, 4096));
    assert.equal(found.existed, true);
    assert.equal(found.origin, 'opened');
    assert.equal(found.read(4095, 1)[0], 5);
  });

  test('names Windows would misread are EINVAL, and nothing is created', T(30_000), async () => {
    const base = name();
    for (const bad of [`a\\${base}`, 'Local\\', `Local\\x\\${base}`, 'x'.repeat(261), `tab\t${base}`]) {
      assert.equal(await codeOf(() => createRegion(bad, 100)), 'EINVAL', JSON.stringify(bad));
      assert.equal(await codeOf(() => openRegion(bad)), 'EINVAL', JSON.stringify(bad));
    }
    assert.equal(await codeOf(() => openRegion(base)), 'ENOENT');
  });
});

describe('native programs: a C program (CreateFileMappingW) and Node share regions by name', () => {
  test('struct student is 24 bytes with a 4-byte long, as mingw lays it out', T(10_000), () => {
    assert.equal(Student.size, 24);
    assert.equal(Student.offsetOf('ID'), 0);
    assert.equal(Student.offsetOf('name'), 4);
  });

  test('a region the C program made with CreateFileMappingW(..., L"MapTrans-...") opens from Node by that name', T(90_000), async () => {
    const exe = nativeProgram('student', import.meta.url);
    const n = `MapTrans-${name()}`;
    const c = new PeerProcess(exe, ['create', n, '99041232', 'SecBug'], { label: 'student create' });
    procs.push(c);
    assert.equal(await c.nextLine(ms(30_000)), 'ready');
    const r = track(await openRegion(n));
    // Windows does not tell an opened mapping's exact size: the view's size, rounded up to the page.
    assert.equal(r.size, PAGE);
    assert.deepEqual(r.readStruct(Student), { ID: 99041232, name: 'SecBug' });
    // The name is taken (by a program outside ipckit): create refuses, openOrCreate opens.
    assert.equal(await codeOf(() => createRegion(n, 24)), 'EADDRINUSE');
    const again = track(await openOrCreateRegion(n, 24));
    assert.equal(again.existed, true);
    // Node writes; a second run of the C program reads it (as its own `long`).
    r.writeStruct(Student, { ID: -5, name: 'from node' });
    const read = await PeerProcess.run(exe, ['read', n]);
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(JSON.parse(read.stdout), { id: -5, name: 'from node', size: 24 });
    // The creator leaves; our handles keep the object (and its contents) alive.
    c.write('quit\n');
    assert.equal(await c.exit(), 0);
    assert.deepEqual(track(await openRegion(n)).readStruct(Student), { ID: -5, name: 'from node' });
    for (const region of open.splice(0)) region.close();
    assert.equal(await codeOf(() => openRegion(n)), 'ENOENT');
  });

  test('a region made from Node is opened by the C program (bare and Local\\ name), which writes back', T(90_000), async () => {
    const exe = nativeProgram('student', import.meta.url);
    const n = name();
    const r = track(await createRegion(n, Student.size));
    r.writeStruct(Student, { ID: 7, name: 'from node' });
    const read = await PeerProcess.run(exe, ['read', `Local\\${n}`]);
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(JSON.parse(read.stdout), { id: 7, name: 'from node', size: 24 });
    const write = await PeerProcess.run(exe, ['write', n, '-2147483648', 'from C']);
    assert.equal(write.code, 0, write.stderr);
    assert.deepEqual(r.readStruct(Student), { ID: -2147483648, name: 'from C' });
    // Byte for byte: a 4-byte little-endian long, then the name at offset 4.
    assert.deepEqual([...r.read(0, 6)], [0, 0, 0, 0x80, 0x66, 0x72]);
  });
});

describe('lifetime on Windows: the object lives while any handle is open', () => {
  test('the creator closing does not end it while another process holds it; the last handle does', T(90_000), async () => {
    const n = name();
    const r = track(await createRegion(n, 4096));
    r.write(new Uint8Array([77]), 4000);
    const holder = peer('hold', n);
    assert.equal((await holder.waitForEvent('ready')).size, 4096);
    r.close();
    // Only the other process holds it now.
    const reopened = track(await openRegion(n));
    assert.equal(reopened.read(4000, 1)[0], 77);
    reopened.close();
    holder.write('quit\n');
    assert.equal(await holder.exit(), 0);
    assert.equal(await codeOf(() => openRegion(n)), 'ENOENT');
  });

  test('a creator that is killed takes its region with it, unless someone else holds it', T(90_000), async () => {
    const alone = name();
    const a = peer('create', alone, '8192', '1');
    await a.waitForEvent('ready');
    assert.equal(track(await openRegion(alone)).read(8191, 1)[0], 1);
    for (const region of open.splice(0)) region.close();
    await a.kill();
    assert.equal(await codeOf(() => openRegion(alone)), 'ENOENT');

    const shared = name();
    const b = peer('create', shared, '8192', '2');
    await b.waitForEvent('ready');
    const held = track(await openRegion(shared));
    await b.kill();
    assert.equal(held.read(0, 1)[0], 2);
    assert.equal(track(await openRegion(shared)).read(8191, 1)[0], 2);
    // The name is still taken while we hold it, and is free (and fresh) once we let go.
    assert.equal(await codeOf(() => createRegion(shared, 8192)), 'EADDRINUSE');
    for (const region of open.splice(0)) region.close();
    const fresh = track(await createRegion(shared, 8192));
    assert.equal(fresh.read(0, 1)[0], 0);
  });

  test('unlinkOnClose: false keeps nothing alive on Windows (there is no name to keep)', T(30_000), async () => {
    const n = name();
    const r = await createRegion(n, 100, { unlinkOnClose: false });
    r.write(new Uint8Array([3]));
    r.close();
    assert.equal(await codeOf(() => openRegion(n)), 'ENOENT');
    const again = track(await createRegion(n, 100));
    assert.equal(again.read(0, 1)[0], 0);
  });
});

describe('views at any offset (64 KiB allocation granularity)', () => {
  test('the granularity is 64 KiB, and views at unaligned offsets see the same memory as the region and other processes', T(60_000), async () => {
    const gran = await viewGranularity();
    assert.equal(gran, 65_536);
    const n = name();
    const size = gran * 3 + 1000;
    const r = track(await createRegion(n, size));
    for (const [offset, length] of [
      [1, 10],
      [gran - 10, 20],
      [gran, 5],
      [2 * gran + 12_347, 100],
      [size - 1, 1],
    ]) {
      const v = r.view(offset, length);
      assert.equal(v.offset, offset);
      assert.equal(v.length, length);
      assert.equal(v.bytes.length, length);
      v.write(new Uint8Array([offset & 0xff]));
      assert.equal(r.read(offset, 1)[0], offset & 0xff, `view at ${offset}`);
      r.write(new Uint8Array([0xee]), offset + length - 1);
      assert.equal(v.bytes[length - 1], 0xee, `region write seen by the view at ${offset}`);
    }
    // A view of an opened (not created) region, written by another process at an unaligned offset.
    const o = track(await openRegion(n));
    const v = o.view(2 * gran + 3, 64);
    const w = peer('write', n, String(2 * gran + 3 + 63), '201');
    await w.waitForEvent('done');
    assert.equal(v.bytes[63], 201);
    assert.equal(await codeOf(() => o.view(o.size - 10, 11)), 'EINVAL');
    assert.equal(await codeOf(() => o.view(0, 0)), 'EINVAL');
  });
});

describe('the size of an opened region', () => {
  test('a created region has the size asked; an opened one the size rounded up to the page (Windows keeps no exact size)', T(60_000), async () => {
    const n = name();
    const r = track(await createRegion(n, 10_000));
    assert.equal(r.size, 10_000);
    assert.equal(r.bytes.length, 10_000);
    assert.equal(track(await openRegion(n)).size, 12_288);
    const other = await peer('read', n, '0', '1').waitForEvent('done');
    assert.equal(other.size, 12_288);
    // openOrCreate on an existing region keeps the region's own size, not the one asked.
    assert.equal(track(await openOrCreateRegion(n, 100)).size, 12_288);
    const exact = name();
    track(await createRegion(exact, 2 * 65_536));
    assert.equal(track(await openRegion(exact)).size, 2 * 65_536);
  });
});

describe('read-only opening', () => {
  test('a read-only region reads live shared memory but never hands out writable memory', T(30_000), async () => {
    const n = name();
    const r = track(await createRegion(n, 200));
    r.write(new Uint8Array([5, 6]));
    const ro = track(await openRegion(n, { readOnly: true }));
    assert.equal(ro.readOnly, true);
    assert.deepEqual([...ro.read(0, 2)], [5, 6]);
    r.write(new Uint8Array([8]), 1);
    assert.equal(ro.read(1, 1)[0], 8, 'a mapping, not a copy');
    assert.equal(await codeOf(() => ro.bytes), 'EACCES');
    assert.equal(await codeOf(() => ro.write(new Uint8Array([1]))), 'EACCES');
    assert.equal(await codeOf(() => ro.writeStruct(Student, { ID: 1 })), 'EACCES');
    const roView = ro.view(1, 10);
    assert.equal(roView.readOnly, true);
    assert.equal(await codeOf(() => roView.bytes), 'EACCES');
    assert.equal(roView.read(0, 1)[0], 8);
    const asked = r.view(0, 10, { readOnly: true });
    assert.equal(await codeOf(() => asked.write(new Uint8Array([1]))), 'EACCES');
    assert.equal(r.read(0, 1)[0], 5);
  });
});

describe('file-backed mappings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-shm-win32-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a path that exists but cannot be opened reports that failure, not a failed create', T(30_000), async () => {
    // A directory: CreateFileW(OPEN_EXISTING) is refused (access denied). Creating is only
    // tried for a missing file, so CREATE_NEW's "file exists" must not mask the real error.
    const error = await errorOf(() => openFileRegion(dir, { size: 4096, create: true }));
    assert.ok(error, 'opening a directory as a file region must fail');
    assert.equal(error.syscall, 'CreateFileW');
    assert.notEqual(error.osCode, 'ERROR_FILE_EXISTS', error.message);
    assert.equal(error.code, 'EACCES', error.message);
  });

  test('maps a file, grows it to the size asked, flushes, and another process mapping the file shares it', T(60_000), async () => {
    const path = join(dir, 'data.bin');
    writeFileSync(path, 'abc');
    const r = track(await openFileRegion(path, { size: 100_000 }));
    assert.equal(r.origin, 'file');
    assert.equal(r.existed, true);
    assert.equal(r.size, 100_000);
    assert.equal(statSync(path).size, 100_000, 'CreateFileMappingW grew the file');
    assert.equal(new TextDecoder().decode(r.read(0, 3)), 'abc');
    r.write(new TextEncoder().encode('XYZ'), 70_000);
    r.flush();
    assert.equal(readFileSync(path).subarray(70_000, 70_003).toString(), 'XYZ');
    // A view past the 64 KiB boundary of a file mapping.
    const v = r.view(65_537, 10);
    v.write(new Uint8Array([0x41, 0x42]));
    v.flush();
    assert.equal(readFileSync(path).subarray(65_537, 65_539).toString(), 'AB');
    // Another process maps the same file: one set of pages.
    const w = peer('file-write', path, '99999', '90');
    await w.waitForEvent('done');
    assert.equal(r.read(99_999, 1)[0], 90);
    // Never shrinks: a smaller size keeps the file's.
    assert.equal(track(await openFileRegion(path, { size: 10 })).size, 100_000);
    r.close();
    assert.equal(readFileSync(path)[99_999], 90);
  });

  test('creates a missing file only when asked; read-only file mappings; the errors', T(30_000), async () => {
    const path = join(dir, 'new.bin');
    assert.equal(await codeOf(() => openFileRegion(path, { size: 100 })), 'ENOENT');
    const r = track(await openFileRegion(path, { size: 200_000, create: true }));
    assert.equal(r.existed, false);
    assert.equal(statSync(path).size, 200_000);
    r.write(new Uint8Array([0x41]), 150_001);
    const ro = track(await openFileRegion(path, { readOnly: true }));
    assert.equal(ro.size, 200_000);
    assert.equal(ro.read(150_001, 1)[0], 0x41);
    assert.equal(await codeOf(() => ro.bytes), 'EACCES');
    assert.equal(await codeOf(() => openFileRegion(path, { readOnly: true, size: 300_000 })), 'EINVAL');
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    assert.equal(await codeOf(() => openFileRegion(empty)), 'EINVAL');
  });
});

describe('use after close never crashes', () => {
  /**
   * What an array handed out before close() holds afterwards: nothing (its ArrayBuffer detached,
   * length 0) or zeros (private pages swapped in where the view was). Never the shared memory.
   */
  const stale = (array, i) => (array.length === 0 ? 'detached' : array[i] === 0 ? 'zero' : `byte ${array[i]}`);

  test('closed regions and views throw ECLOSED; their old arrays hold nothing shared and reach no one', T(30_000), async () => {
    const n = name();
    const other = track(await createRegion(n, 3 * 65_536));
    other.write(new Uint8Array([11]), 0);
    other.write(new Uint8Array([12]), 65_536 + 100);
    const r = await openRegion(n);
    const v = r.view(65_536 + 100, 50);
    const bytes = r.bytes;
    const viewBytes = v.bytes;
    assert.equal(bytes[0], 11);
    assert.equal(viewBytes[0], 12);
    // A view closed on its own leaves the region working.
    const lone = r.view(5, 5);
    const loneBytes = lone.bytes;
    lone.close();
    assert.equal(lone.closed, true);
    assert.match(stale(loneBytes, 0), /^(detached|zero)$/);
    assert.equal(r.read(0, 1)[0], 11);
    r.close();
    assert.equal(r.closed, true);
    assert.equal(v.closed, true, 'closing a region closes its views');
    for (const fn of [
      () => r.bytes,
      () => r.read(0, 1),
      () => r.write(new Uint8Array(1)),
      () => r.flush(),
      () => r.readStruct(Student),
      () => v.read(0, 1),
      () => v.bytes,
      () => r.view(0, 1),
    ]) {
      assert.equal(await codeOf(fn), 'ECLOSED');
    }
    // No access violation reading or writing the old arrays, and no stale shared data in them...
    assert.match(stale(bytes, 0), /^(detached|zero)$/);
    assert.match(stale(viewBytes, 0), /^(detached|zero)$/);
    // (Element writes: fill() throws a TypeError on a detached buffer, which is no crash either.)
    for (let i = 0; i < 4096; i++) bytes[i] = 99;
    for (let i = 0; i < 50; i++) viewBytes[i] = 98;
    // ...and nothing written to them reaches the region, which lives on through the other handle.
    assert.equal(other.read(0, 1)[0], 11);
    assert.equal(other.read(65_536 + 100, 1)[0], 12);
    assert.equal(other.read(1, 1)[0], 0);
    r.close();
    v.close();
  });

  test("another process writing through a closed region's arrays after garbage collection exits cleanly and reaches no one", T(60_000), async () => {
    const n = name();
    const r = track(await createRegion(n, 3 * 65_536));
    r.write(new Uint8Array([21]), 0);
    r.write(new Uint8Array([22]), 2 * 65_536 + 15);
    const p = peer('use-after-close', n, String(2 * 65_536));
    const { seen } = await p.waitForEvent('done');
    // Each is 'detached' (length 0) or the value the peer itself last wrote to its private pages (999 & 0xff).
    for (const s of seen) assert.ok(s === 'detached' || s === 999 % 256, `stale array saw ${s}`);
    assert.equal(await p.exit(), 0, 'no access violation');
    assert.equal(r.read(0, 1)[0], 21);
    assert.equal(r.read(2 * 65_536 + 15, 1)[0], 22);
  });
});
