/**
 * Issue 17 §4: one ownership-and-liveness rule for everything that judges
 * objects (create, connect, the listener's sweep, listShmObjects and
 * removeStaleShmObject, which `ipckit ls`, `clean` and `inspect` use).
 * inspect.ts kept a copy of its own that had drifted: it counted a zombie
 * creator as running, and reported another user's control region as a live
 * listener although connect refuses it.
 */
import { copyFileSync, chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName } from '@ipckit/core';
import { PeerProcess, anotherUser, asAnotherUser } from '@ipckit/core/testing';
import { inspectChannel, listShmObjects, removeStaleShmObject, transport } from '../src/index.js';
import { fixture, shmLeftovers } from './helpers.js';

const linux = process.platform === 'linux';
const other = linux ? anotherUser() : undefined;

afterAll(() => expect(shmLeftovers()).toEqual([]));

/** The state letter of /proc/<pid>/stat. */
const stateOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
};

describe.runIf(linux)('a creator that exited and was never reaped (a zombie)', () => {
  it('is dead for listShmObjects and removeStaleShmObject, as it is for the library', async () => {
    const name = uniqueName('zombie');
    // sh starts the creator in the background and becomes `sleep`, which never reaps it.
    const parent = new PeerProcess('sh', ['-c', `"${process.execPath}" "${fixture('zombie-creator.mjs')}" ${name} & exec sleep 60`], { timeoutMs: 30_000 });
    try {
      const pid = Number(await parent.nextLine());
      // Wait for the exit itself (an event: the state letter), not for a time.
      for (let i = 0; i < 10_000 && stateOf(pid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 5));
      expect(stateOf(pid)).toBe('Z');
      const [found] = (await listShmObjects()).filter((o) => o.name === name);
      expect(found).toMatchObject({ kind: 'region', owner: 'dead', stale: true, creatorPid: pid });
      expect(await removeStaleShmObject(found ?? { kind: 'region', name })).toBe(true);
      expect(existsSync(`/dev/shm/${name}`) || existsSync(`/dev/shm/${name}.ipckit-owner`)).toBe(false);
    } finally {
      await parent.kill();
    }
  });
});

const linuxRoot = linux && process.getuid?.() === 0;

describe.runIf(linuxRoot)('a topic publisher killed outright (in a private mount namespace: nobody else sweeps its /dev/shm)', () => {
  it('leaves a data region that listShmObjects calls stale and removeStaleShmObject removes, with the rest of the topic', async () => {
    const script = 'mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && exec "$@"';
    const peer = new PeerProcess(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, fixture('killed-topic.mjs'), uniqueName('killed-topic')],
      {
        timeoutMs: 60_000,
      },
    );
    const done = await peer.finished();
    const objects = done['objects'] as Array<{ name: string; kind: string; owner: string; stale: boolean }>;
    // The data region is a pair-prefixed object with the topic's own magic: stale once its creator is dead
    // (it was 'unknown' before, and ipckit clean left it).
    expect(
      objects.find((o) => o.name.endsWith('.topic')),
      JSON.stringify(done),
    ).toMatchObject({ kind: 'pair', owner: 'dead', stale: true });
    expect(objects.length).toBeGreaterThan(1);
    expect(objects.every((o) => o.stale)).toBe(true);
    expect(done['removed']).toEqual(objects.map(() => true));
    expect(done['left']).toEqual([]);
  });
});

describe.runIf(other !== undefined)("another user's control region", () => {
  it('inspectChannel refuses it with EACCES, as connect does, instead of reporting a live listener', async () => {
    const ours = uniqueName('own-ctl');
    const theirs = uniqueName('their-ctl');
    // A real control region (naming our running listener), copied into a file of the other user.
    const listener = await transport.listen(ours);
    const copy = `/tmp/${theirs}.bytes`;
    try {
      copyFileSync(`/dev/shm/ipckit.${ours}`, copy);
      chmodSync(copy, 0o644);
      asAnotherUser(`cp ${copy} /dev/shm/ipckit.${theirs}`);
      const connectError = await transport.connect(theirs, { timeoutMs: 2000 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isIpcError(connectError) && connectError.code).toBe('EACCES');
      const inspectError = await inspectChannel(theirs).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isIpcError(inspectError) && inspectError.code).toBe('EACCES');
    } finally {
      asAnotherUser(`rm -f /dev/shm/ipckit.${theirs}`);
      rmSync(copy, { force: true });
      await listener.close();
    }
  });
});
