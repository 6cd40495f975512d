/**
 * Issue 17 §1: sync objects when the OS runs out of something. Out of threads
 * (`prlimit --nproc`, as a second user: root is exempt from RLIMIT_NPROC), a
 * wait that cannot get one rejects with ENOMEM and the rest are served; an
 * object's asynchronous waits share one OS thread however many there are; a
 * full /dev/shm (a small tmpfs in a private mount namespace) gives a coded
 * error, not SIGBUS. Each case runs in a process of its own, since the
 * failure before the fix was an abort of the whole process.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerProcess, anotherUser, peerAsAnotherUser, within } from '@ipckit/core/testing';
import { createEvent, createSemaphore } from '@ipckit/sync';
import { fresh, leftovers } from './helpers.js';

const HOSTILE = fileURLToPath(new URL('./fixtures/hostile.mjs', import.meta.url));
const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;
const other = linux ? anotherUser() : undefined;

afterAll(() => expect(leftovers()).toEqual([]));

/** The number of OS threads of this process (Linux). */
function threads(): number {
  const match = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1]);
}

describe.runIf(other !== undefined)('out of threads (prlimit --nproc=200, as a second user)', () => {
  it('a wait that cannot get a thread rejects with ENOMEM (EAGAIN); every other wait is served; the process lives', async () => {
    const peer = peerAsAnotherUser('prlimit', ['--nproc=200', '--', process.execPath, HOSTILE, 'threads', fresh('thr'), '600'], { timeoutMs: 120_000 });
    const done = await peer.finished();
    expect(await peer.exit(), peer.stderr).toBe(0);
    // 600 waits on one event, and on one semaphore: one thread each, so all of them are served.
    expect(done).toMatchObject({ oneEvent: { ok: 600 }, oneSemaphore: { ok: 600 } });
    // 600 events with one wait each need 600 threads: those past the limit are refused, the others served.
    const objects = done.objects as Record<string, number>;
    expect(Object.keys(objects).sort()).toEqual(['ENOMEM/EAGAIN', 'ok']);
    expect((objects.ok ?? 0) + (objects['ENOMEM/EAGAIN'] ?? 0)).toBe(600);
  });
});

describe.runIf(linux)('threads per object', () => {
  it('2,000 waits on one event, and on one semaphore, sleep on one OS thread each, kept until close', async () => {
    const before = threads();
    const event = await createEvent(fresh('burst-e'), { manualReset: true });
    const sem = await createSemaphore(fresh('burst-s'));
    const waits = [
      ...Array.from({ length: 2000 }, () => event.wait({ timeoutMs: 60_000 })),
      ...Array.from({ length: 2000 }, () => sem.acquire({ timeoutMs: 60_000 })),
    ];
    // Sleeping: the threads exist once the first waits are in the kernel.
    const peak = threads();
    event.set();
    sem.release(2000);
    await within(60_000, '4,000 waits', Promise.all(waits));
    const after = threads();
    event.close();
    sem.close();
    // One thread for each object's line (a little slack for whatever else this worker starts).
    expect(peak - before).toBeLessThanOrEqual(6);
    expect(after - before).toBeLessThanOrEqual(6);
  });
});

describe.runIf(linux && root)('a full /dev/shm (a 256 KiB tmpfs in a private mount namespace)', () => {
  it('createMutex, createEvent and createSemaphore fail with a coded error (ENOSPC), without SIGBUS', async () => {
    const script = 'mount -t tmpfs -o size=256k,mode=1777 tmpfs /dev/shm && { head -c 1048576 /dev/zero > /dev/shm/fill 2>/dev/null; exec "$@"; }';
    const peer = new PeerProcess(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, HOSTILE, 'create-all', fresh('full')],
      {
        timeoutMs: 60_000,
      },
    );
    const done = await peer.finished();
    expect(await peer.exit(), peer.stderr).toBe(0);
    const created = done.created as Record<string, string>;
    for (const kind of ['mutex', 'event', 'semaphore']) expect(created[kind], kind).toMatch(/^(ENOMEM|ENOSPC)\/ENOSPC$/);
  });
});
