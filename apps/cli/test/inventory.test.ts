import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerProcess } from '@ipckit/core/testing';
import { listening, runCli, startCli, stop, uniqueName } from './helpers.js';

const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Makes a region in another process, which then exits normally ('exit') or waits to be killed ('hold'). */
function regionMaker(name: string, options: { keep: boolean; then: 'exit' | 'hold' }): PeerProcess {
  const source = `
    import { createRegion } from '@ipckit/shared-memory';
    const region = await createRegion(process.argv[1], 4096, { unlinkOnClose: process.argv[2] !== 'keep' });
    region.write(new TextEncoder().encode('left behind'));
    if (process.argv[3] === 'exit') region.close();
    console.log(JSON.stringify({ event: 'ready' }));
    if (process.argv[3] === 'hold') setInterval(() => {}, 1000);`;
  return PeerProcess.module(source, [name, options.keep ? 'keep' : 'unlink', options.then], { cwd: CLI_DIR });
}

interface Listed {
  kind: string;
  name: string;
  address?: string;
  state: string;
  pid?: number;
  size?: number;
}

async function ls(pattern: string): Promise<Listed[]> {
  const r = await runCli(['ls', '--json', pattern]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { objects: Listed[] }).objects;
}

/** A process killed with SIGKILL: it had no chance to remove anything. */
async function crash(peer: PeerProcess): Promise<void> {
  peer.child.kill('SIGKILL');
  await peer.exit();
}

// Linux: the objects are files (socket files in ipckit's runtime directory, shm objects in /dev/shm).
describe.runIf(process.platform === 'linux')('ls and clean', () => {
  const prefix = uniqueName('inv');
  const name = (what: string): string => `${prefix}-${what}`;
  const foreign = `/dev/shm/${name('foreign')}`;
  const peers: PeerProcess[] = [];
  afterAll(async () => {
    for (const p of peers) await stop(p);
    rmSync(foreign, { force: true });
    await runCli(['clean', `${prefix}-*`]);
    // The kept region is removed by name, as its users would.
    await PeerProcess.module(`import { unlinkRegion } from '@ipckit/shared-memory'; await unlinkRegion(process.argv[1]);`, [name('kept')], {
      cwd: CLI_DIR,
    }).exit();
  });

  it('lists live and stale objects, with their pid; clean removes only the stale ones', async () => {
    // Live: a listener of each kind.
    const live = {
      pipe: startCli(['listen', `pipe://${name('live-pipe')}`]),
      shm: startCli(['listen', `shm://${name('live-shm')}`]),
      mailslot: startCli(['listen', `mailslot://${name('live-slot')}`]),
    };
    peers.push(...Object.values(live));
    for (const p of Object.values(live)) await listening(p);
    // Stale: listeners and a region whose processes crashed.
    for (const address of [`pipe://${name('dead-pipe')}`, `shm://${name('dead-shm')}`, `mailslot://${name('dead-slot')}`]) {
      const doomed = startCli(['listen', address]);
      await listening(doomed);
      await crash(doomed);
    }
    const holder = regionMaker(name('dead-region'), { keep: false, then: 'hold' });
    await holder.waitForEvent('ready');
    await crash(holder);
    // Kept on purpose (unlinkOnClose: false), its creator gone: not stale.
    const keeper = regionMaker(name('kept'), { keep: true, then: 'exit' });
    expect(await keeper.exit()).toBe(0);
    // Not ipckit's: a shm object without an ownership record.
    writeFileSync(foreign, 'a native program’s');

    const listed = await ls(`${prefix}-*`);
    const byName = new Map(listed.map((o) => [o.name, o]));
    expect(byName.get(name('live-pipe'))).toMatchObject({ kind: 'pipe', state: 'live', pid: live.pipe.child.pid, address: `pipe://${name('live-pipe')}` });
    expect(byName.get(name('live-slot'))).toMatchObject({ kind: 'mailslot', state: 'live', pid: live.mailslot.child.pid });
    expect(byName.get(`ipckit.${name('live-shm')}`)).toMatchObject({
      kind: 'listener',
      state: 'live',
      pid: live.shm.child.pid,
      address: `shm://${name('live-shm')}`,
    });
    expect(byName.get(name('dead-pipe'))).toMatchObject({ kind: 'pipe', state: 'stale' });
    expect(byName.get(name('dead-slot'))).toMatchObject({ kind: 'mailslot', state: 'stale' });
    // A stale shm listener may be swept meanwhile by any other process's listen('shm://…') on
    // this machine (ring-protocol §1: every listen sweeps stale records), e.g. another test suite
    // running beside this one. Swept is the same verdict as stale; listed as live it never is.
    const deadShm = `ipckit.${name('dead-shm')}`;
    const swept = (): boolean => !existsSync(`/dev/shm/${deadShm}`);
    if (byName.has(deadShm)) expect(byName.get(deadShm)).toMatchObject({ kind: 'listener', state: 'stale' });
    else expect(swept()).toBe(true);
    /** The stale names, with the shm listener's only while nobody swept it. */
    const staleNow = (names: string[]): void => {
      const others = [name('dead-pipe'), name('dead-region'), name('dead-slot')];
      expect(names.filter((n) => n !== deadShm).sort()).toEqual(others.sort());
      if (!names.includes(deadShm)) expect(swept()).toBe(true);
    };
    expect(byName.get(name('dead-region'))).toMatchObject({ kind: 'region', state: 'stale', size: 4096 });
    expect(byName.get(name('kept'))).toMatchObject({ kind: 'region', state: 'kept', size: 4096 });
    expect(byName.has(name('foreign'))).toBe(false);
    expect(listed.length - (byName.has(deadShm) ? 1 : 0)).toBe(7);

    // The table says the same, stale ones marked.
    const table = await runCli(['ls', `${prefix}-*`]);
    expect(table.stdout).toMatch(new RegExp(`^pipe +pipe://${name('dead-pipe')} +stale`, 'm'));
    expect(table.stdout).toMatch(/\b[34] stale: `ipckit clean` removes them/);

    // --dry-run says what, removes nothing.
    const dry = await runCli(['clean', '--dry-run', `${prefix}-*`]);
    expect(dry.code, dry.stderr).toBe(0);
    const wouldRemove = dry.stdout.split('\n').filter((l) => l.startsWith('would remove'));
    expect(wouldRemove.length).toBeGreaterThanOrEqual(3);
    expect(wouldRemove.length).toBeLessThanOrEqual(4);
    staleNow((await ls(`${prefix}-*`)).filter((o) => o.state === 'stale').map((o) => o.name));

    const clean = await runCli(['clean', '--json', `${prefix}-*`]);
    expect(clean.code, clean.stderr).toBe(0);
    const report = JSON.parse(clean.stdout) as { removed: Listed[]; notRemoved: Listed[] };
    staleNow(report.removed.map((o) => o.name));
    expect(report.notRemoved).toEqual([]);
    expect(existsSync(`/dev/shm/${name('dead-region')}`)).toBe(false);
    expect(existsSync(`/dev/shm/${name('dead-region')}.ipckit-owner`)).toBe(false);

    // What is left: the live ones (still serving), the kept region, and the foreign object untouched.
    const left = await ls(`${prefix}-*`);
    expect(left.map((o) => `${o.kind} ${o.state}`).sort()).toEqual(['listener live', 'mailslot live', 'pipe live', 'region kept']);
    expect(existsSync(foreign)).toBe(true);
    expect((await runCli(['send', `pipe://${name('live-pipe')}`, 'still here'])).code).toBe(0);
    expect((await runCli(['send', `shm://${name('live-shm')}`, 'still here'])).code).toBe(0);
    expect((await runCli(['send', `mailslot://${name('live-slot')}`, 'still here'])).code).toBe(0);
    await live.pipe.waitForLine('still here');
    await live.shm.waitForLine('still here');
    await live.mailslot.waitForLine('still here');

    // Nothing more to clean.
    const again = await runCli(['clean', `${prefix}-*`]);
    expect(again.stdout.trim()).toBe('nothing stale');
  });
});
