/**
 * Issue 17 §1: a wait the OS has no thread for is a coded error, not an
 * abort. Run under `prlimit --nproc` as a second user (root is exempt from
 * RLIMIT_NPROC), in a process of its own: before, the process died with
 * std::terminate (exit 134).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '@ipckit/sys';
import { PeerProcess, anotherUser } from '@ipckit/core/testing';
import { fromNative } from '../src/errors.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/threads.mjs', import.meta.url));
const other = process.platform === 'linux' ? anotherUser() : undefined;
/**
 * The uid the fixture runs as: one no other process uses (no passwd entry needed; files are read
 * as "others", as the second user reads them). RLIMIT_NPROC counts every thread of the real uid on
 * the machine, and other suites run processes as the second user meanwhile: under their threads
 * Node itself could not start its own (an abort in node_platform, not ours).
 */
const THREADS_UID = 64_123;

describe.runIf(other !== undefined)('out of threads (prlimit --nproc=150, as a second user)', () => {
  it('a wait that cannot start its thread throws ETHREAD with EAGAIN; the others wait; the process lives', async () => {
    const peer = new PeerProcess(
      'setpriv',
      [`--reuid=${THREADS_UID}`, `--regid=${THREADS_UID}`, '--clear-groups', '--', 'prlimit', '--nproc=150', '--', process.execPath, FIXTURE, '300'],
      { label: `prlimit as uid ${THREADS_UID}`, timeoutMs: 120_000 },
    );
    const done = await peer.finished();
    expect(await peer.exit(), peer.stderr).toBe(0);
    const refused = `ETHREAD/${ERRNO.EAGAIN}/pthread_create`;
    for (const group of ['waiter', 'syncThread']) {
      const got = done[group] as Record<string, number>;
      expect(
        Object.keys(got).every((k) => k === 'started' || k === refused),
        JSON.stringify(got),
      ).toBe(true);
      expect((got.started ?? 0) + (got[refused] ?? 0)).toBe(300);
    }
    // 600 threads asked for under a limit of 150: some were refused, and some started.
    const all = done as unknown as Record<string, Record<string, number>>;
    expect((all.waiter?.[refused] ?? 0) + (all.syncThread?.[refused] ?? 0)).toBeGreaterThan(0);
    expect(all.waiter?.started ?? 0).toBeGreaterThan(0);
  });
});

describe('the error of a thread that could not start', () => {
  it('is IpcError ENOMEM, osCode EAGAIN, syscall pthread_create', () => {
    const raw = Object.assign(new Error('cannot start a thread for the wait: Resource temporarily unavailable'), {
      code: 'ETHREAD',
      threadErrno: ERRNO.EAGAIN,
      syscall: 'pthread_create',
    });
    expect(fromNative(raw)).toMatchObject({ code: 'ENOMEM', osCode: 'EAGAIN', errno: ERRNO.EAGAIN, syscall: 'pthread_create' });
  });
});
