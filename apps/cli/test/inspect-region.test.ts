import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PeerProcess } from '@ipckit/core/testing';
import { errorLines, listening, runCli, startCli, stop, uniqueName } from './helpers.js';

const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));

interface Side {
  state: string;
  pid: number;
  running: boolean;
  waiting: boolean;
}
interface Ring {
  capacity: number;
  head: number;
  inFlight: number;
  producer: Side;
  consumer: Side;
}
interface Inspection {
  name: string;
  listenerPid: number;
  listenerRunning: boolean;
  state: string;
  slots: unknown[];
  channels?: { name: string; toServer: Ring; toClient: Ring }[];
}

describe('inspect shm://NAME', () => {
  it('shows the listener and, on Linux, each connected channel’s rings', async () => {
    const at = `shm://${uniqueName('inspect')}`;
    const listener = startCli(['listen', at]);
    // A client that stays connected: `send` reading lines from a stdin that stays open.
    const client = startCli(['send', at, '--wait', '15000']);
    try {
      await listening(listener);
      client.write('hello\n');
      await listener.waitForLine('hello');
      const r = await runCli(['inspect', at, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout) as Inspection;
      expect(info).toMatchObject({ name: at.slice('shm://'.length), listenerPid: listener.child.pid, listenerRunning: true, state: 'listening', slots: [] });
      if (process.platform === 'linux') {
        expect(info.channels).toHaveLength(1);
        const channel = info.channels?.[0];
        expect(channel?.toServer).toMatchObject({
          producer: { state: 'open', pid: client.child.pid, running: true },
          consumer: { state: 'open', pid: listener.child.pid },
        });
        expect(channel?.toClient).toMatchObject({ producer: { state: 'open', pid: listener.child.pid }, consumer: { state: 'open', pid: client.child.pid } });
        expect(channel?.toServer.capacity).toBeGreaterThanOrEqual(4096);
        // "hello" went through as one 16-byte record (8-byte header, payload padded to 8).
        expect(channel?.toServer.head).toBe(16);
        expect(channel?.toServer.inFlight).toBeLessThanOrEqual(16);
        // The listener is blocked waiting for the next message: its consumer side sleeps.
        const text = await runCli(['inspect', at]);
        expect(text.stdout).toContain('channels: 1');
        expect(text.stdout).toMatch(/client -> server: capacity \d+ [KM]iB, in flight \d+ B/);
      }
      client.endInput();
      expect(await client.exit()).toBe(0);
    } finally {
      await stop(client);
      expect(await stop(listener)).toBe(0);
    }
  });

  it('nobody serves it: exit 3; not shm://: exit 2', async () => {
    const missing = await runCli(['inspect', `shm://${uniqueName('nobody')}`]);
    expect(missing.code).toBe(3);
    expect(errorLines(missing.stderr)).toEqual([expect.stringMatching(/^ipckit: ENOENT: nobody serves shm:\/\//)]);
    const wrong = await runCli(['inspect', 'pipe://x']);
    expect(wrong.code).toBe(2);
  });
});

describe('region NAME', () => {
  /** A region made by another process, holding two `struct student { long ID; char name[20]; }`. */
  function maker(name: string): PeerProcess {
    const source = `
      import { createRegion, defineStruct } from '@ipckit/shared-memory';
      const Student = defineStruct({ ID: 'long', name: 'char[20]' });
      const region = await createRegion(process.argv[1], 256);
      region.writeStruct(Student, { ID: 99041232, name: 'SecBug' });
      region.writeStruct(Student, { ID: -7, name: 'second' }, Student.size);
      console.log(JSON.stringify({ event: 'ready', size: Student.size }));
      process.stdin.on('data', () => { region.close(); process.exit(0); });`;
    return PeerProcess.module(source, [name], { cwd: CLI_DIR });
  }

  it('reads it through a C struct declaration, as text or JSON', async () => {
    const name = uniqueName('region');
    const owner = maker(name);
    try {
      const { size } = await owner.waitForEvent('ready');
      const r = await runCli(['region', name, '--struct', 'long ID; char name[20]', '--count', '2', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([
        { ID: 99041232, name: 'SecBug' },
        { ID: -7, name: 'second' },
      ]);
      const text = await runCli(['region', name, '-s', 'struct student { long ID; char name[20]; };', '--offset', String(size)]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^ID +-7 {2}long @0$/m);
      expect(text.stdout).toMatch(/^name {2}"second" {2}char\[20\] @\d+$/m);
    } finally {
      owner.write('\n');
      await owner.exit();
    }
  });

  it('dumps it as hex by default', async () => {
    const name = uniqueName('hexregion');
    const owner = maker(name);
    try {
      await owner.waitForEvent('ready');
      const r = await runCli(['region', name, '--length', '16']);
      expect(r.code, r.stderr).toBe(0);
      // 99041232 = 0x05e73fd0, little-endian; then "SecBug" at 4 (Windows, 4-byte long) or 8 (POSIX).
      expect(r.stdout).toMatch(/^00000000 {2}d0 3f e7 05 /m);
      expect(r.stdout).toContain('SecBug');
      expect(r.stdout).toMatch(/^00000010$/m);
    } finally {
      owner.write('\n');
      await owner.exit();
    }
  });

  it('a bad --struct is a usage error (exit 2); a missing region exit 3', async () => {
    const bad = await runCli(['region', 'whatever', '--struct', 'long ID; chr name[20]']);
    expect(bad.code).toBe(2);
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/^ipckit: EINVAL: --struct: unknown C type "chr"/)]);
    const missing = await runCli(['region', uniqueName('absent')]);
    expect(missing.code).toBe(3);
    expect(errorLines(missing.stderr)).toEqual([expect.stringMatching(/^ipckit: ENOENT: /)]);
  });
});
