// The IPC series' shared-memory scenario on Windows (see ../scenario.test.ts for Linux): a reader
// started first waits on an event, takes the mutex and reads the 30 student records a writer wrote
// under it. Node with Node, and each side replaced by a C program using only CreateFileMappingA,
// CreateMutexA and CreateEventA (../../examples/students/c/*_win32.c, built with mingw).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';
import { ms, nativeProgram } from '../../../../tools/windows/test-helpers.mjs';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

const examples = fileURLToPath(new URL('../../examples/students/', import.meta.url));
const procs = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

const expected = {
  event: 'read',
  count: 30,
  first: { ID: 99041200, name: 'student-00' },
  last: { ID: 99041229, name: 'student-29' },
};

function start(side, role, base) {
  const p =
    side === 'node'
      ? PeerProcess.node(`${examples}${role}.mjs`, [base], { timeoutMs: ms(60_000) })
      : new PeerProcess(nativeProgram(role, import.meta.url), [base], { label: `C ${role}`, timeoutMs: ms(60_000) });
  procs.push(p);
  return p;
}

describe('the students scenario (Windows)', () => {
  for (const [reader, writer] of [
    ['node', 'node'],
    ['node', 'c'],
    ['c', 'node'],
  ]) {
    test(`a ${reader} reader, started first, reads what a ${writer} writer wrote`, { timeout: ms(90_000) }, async () => {
      const base = uniqueName('students');
      const r = start(reader, 'reader', base);
      await r.waitForEvent('waiting');
      const w = start(writer, 'writer', base);
      // struct student is 24 bytes on Windows: a 4-byte long (LLP64).
      assert.deepEqual(await w.waitForEvent('written'), { event: 'written', count: 30, recordBytes: 24 });
      assert.deepEqual(await r.waitForEvent('read'), expected);
      assert.equal(await r.exit(), 0);
      await w.waitForEvent('done');
      assert.equal(await w.exit(), 0);
    });
  }
});
