/**
 * The IPC series' shared-memory scenario, done right (examples/students): a
 * reader started first waits on an event, takes the mutex and reads the 30
 * student records a writer wrote under the mutex. Node with Node, and each
 * side replaced by a C program that uses only the OS's own calls and the
 * layouts of docs/sync.md. (Windows: test/win32/scenario.test.mjs.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerProcess } from '@ipckit/core/testing';
import { EXAMPLES, fresh, leftovers } from './helpers.js';

const expected = {
  event: 'read',
  count: 30,
  first: { ID: 99041200, name: 'student-00' },
  last: { ID: 99041229, name: 'student-29' },
};

type Side = 'node' | 'c';

describe.runIf(process.platform === 'linux')('the students scenario (Linux)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-sync-c-'));
  const programs = { writer: join(dir, 'writer'), reader: join(dir, 'reader') };
  for (const [role, exe] of Object.entries(programs)) {
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', exe, join(EXAMPLES, 'c', `${role}_posix.c`), '-pthread'], { stdio: 'pipe' });
  }
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(leftovers()).toEqual([]);
  });

  const start = (side: Side, role: 'writer' | 'reader', base: string): PeerProcess =>
    side === 'node' ? PeerProcess.node(join(EXAMPLES, `${role}.mjs`), [base]) : new PeerProcess(programs[role], [base], { label: `C ${role}` });

  for (const [reader, writer] of [
    ['node', 'node'],
    ['node', 'c'],
    ['c', 'node'],
  ] as Array<[Side, Side]>) {
    it(`a ${reader === 'node' ? 'Node' : 'C'} reader, started first, reads what a ${writer === 'node' ? 'Node' : 'C'} writer wrote`, async () => {
      const base = fresh('students');
      const r = start(reader, 'reader', base);
      await r.waitForEvent('waiting');
      const w = start(writer, 'writer', base);
      expect(await w.waitForEvent('written')).toMatchObject({ count: 30, recordBytes: 32 });
      expect(await r.waitForEvent('read')).toEqual(expected);
      expect(await r.exit()).toBe(0);
      await w.waitForEvent('done');
      expect(await w.exit()).toBe(0);
    }, 60_000);
  }
});
