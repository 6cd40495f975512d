import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isIpcError, uniqueName, type Listener } from '@ipckit/core';
import { openRegion, transport } from '../src/index.js';
import { Child, fixture, shmLeftovers, watchdog } from './helpers.js';

const linux = process.platform === 'linux';
const children: Child[] = [];
const listeners: Listener[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
  for (const l of listeners.splice(0)) await l.close();
});
afterAll(() => {
  expect(shmLeftovers()).toEqual([]);
});

const inShm = (osName: string): boolean => existsSync(`/dev/shm${osName}`);

async function killedListener(name: string): Promise<void> {
  const child = Child.node(fixture('channel-peer.mjs'), 'listen-hold', name);
  children.push(child);
  expect(await child.line()).toBe('ready');
  await child.kill();
}

describe.runIf(linux)('a listener that was killed (POSIX: its objects outlive it)', () => {
  it("connect reports ENOENT at once and removes the dead listener's control region and ownership record", async () => {
    const name = uniqueName('shms');
    await killedListener(name);
    // SIGKILL ran no cleanup: the control region and its record are still there.
    expect([inShm(`/ipckit.${name}`), inShm(`/ipckit.${name}.ipckit-owner`)]).toEqual([true, true]);
    const error = await watchdog(
      transport.connect(name, { timeoutMs: 60_000 }).catch((e: unknown) => e),
      5_000,
      'connect to a dead listener',
    );
    expect(isIpcError(error, 'ENOENT'), String(error)).toBe(true);
    expect([inShm(`/ipckit.${name}`), inShm(`/ipckit.${name}.ipckit-owner`)]).toEqual([false, false]);
    // And the name can be served again.
    const listener = await transport.listen(name);
    listeners.push(listener);
    const client = await watchdog(transport.connect(name), 5_000, 'connect to the new listener');
    await client.close();
  });

  it('listen on any name sweeps stale ipckit control regions of dead processes', async () => {
    const dead = uniqueName('shms');
    await killedListener(dead);
    expect(inShm(`/ipckit.${dead}`)).toBe(true);
    listeners.push(await transport.listen(uniqueName('shms')));
    expect([inShm(`/ipckit.${dead}`), inShm(`/ipckit.${dead}.ipckit-owner`)]).toEqual([false, false]);
  });

  it("a region under a control name that is not ipckit's (a native program's, no ownership record) is never removed", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipckit-stale-'));
    try {
      const exe = join(dir, 'student');
      execFileSync('cc', ['-O1', '-o', exe, fixture('student.c')], { stdio: 'pipe' });
      const name = uniqueName('shms');
      const c = Child.exe(exe, 'create', `/ipckit.${name}`, '5', 'native');
      children.push(c);
      expect(await c.line()).toBe('ready');
      const error = await watchdog(
        transport.connect(name).catch((e: unknown) => e),
        5_000,
        'connect to a native region',
      );
      expect(isIpcError(error, 'ENOENT'), String(error)).toBe(true);
      listeners.push(await transport.listen(uniqueName('shms'))); // a sweep
      expect(inShm(`/ipckit.${name}`)).toBe(true);
      const r = await openRegion(`ipckit.${name}`);
      expect(r.read(8, 6)).toEqual(new TextEncoder().encode('native'));
      r.close();
      c.proc.stdin?.end('quit\n');
      expect(await watchdog(c.exited, 10_000, 'C program exit')).toBe(0);
      expect(inShm(`/ipckit.${name}`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a client killed after making its pair region leaves nothing once the listener notices', async () => {
    const name = uniqueName('shms');
    const listener = await transport.listen(name);
    listeners.push(listener);
    const child = Child.node(fixture('channel-peer.mjs'), 'pair-only', name);
    children.push(child);
    const pairName = await child.line();
    expect(pairName).toMatch(/^ipckit\.p\./);
    expect(inShm(`/${pairName}`)).toBe(true);
    await child.kill();
    // The next listen() sweeps pair regions of dead clients too.
    listeners.push(await transport.listen(uniqueName('shms')));
    expect([inShm(`/${pairName}`), inShm(`/${pairName}.ipckit-owner`)]).toEqual([false, false]);
  });
});
