/**
 * Issue 17 §4: what another user puts in shared places reaches root's
 * terminal through `ls`, `ls --long` and `inspect`, and must arrive escaped
 * (a raw ESC/BEL retitles or clears the terminal, a newline forges a table
 * row); and a socket bound to a path with a newline prints a second "line"
 * in /proc/net/unix, which must not make `clean` keep a stale socket file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerProcess } from '@ipckit/core/testing';
import { openRegion } from '@ipckit/shared-memory';
import { listening, runCli, startCli, stop, uniqueName } from './helpers.js';

const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));
const linux = process.platform === 'linux';
/** Terminal control characters that must never come out raw (ESC, BEL, CSI, and so on). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** A name that retitles the terminal, clears it, and starts a forged row. */
const EVIL = '\u001b]0;pwned\u0007\u001b[2J\nregion db-credentials 4.0 KiB root';

describe.runIf(linux)('names from the OS and from other users, printed', () => {
  const prefix = uniqueName('evil');
  const planted = `/dev/shm/${prefix}${EVIL}.ipckit-owner`;
  const peers: PeerProcess[] = [];
  afterAll(async () => {
    rmSync(planted, { force: true });
    for (const p of peers) await stop(p);
  });

  it('ls and ls --long escape a planted name instead of printing it raw', async () => {
    writeFileSync(planted, 'not a record');
    for (const args of [['ls'], ['ls', '--long']]) {
      const r = await runCli([...args, `${prefix}*`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(RAW_CONTROL);
      // One object, one row (and the header): the newline did not make a second one.
      expect(r.stdout.split('\n').some((line) => line.startsWith('region db-credentials'))).toBe(false);
      expect(r.stdout).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\nregion db-credentials');
    }
  });

  it('inspect escapes a pair name written into a slot of the control region', async () => {
    const channel = uniqueName('evil-slot');
    const listener = startCli(['listen', `shm://${channel}`]);
    peers.push(listener);
    await listening(listener);
    // A client's bytes: slot 0 claimed by a running process (ours), its pair name hostile.
    const control = await openRegion(`ipckit.${channel}`);
    try {
      const words = new Int32Array(control.bytes.buffer, control.bytes.byteOffset, 64);
      control.write(new TextEncoder().encode(EVIL.slice(0, 60)), 128);
      Atomics.store(words, 17, process.pid); // slot 0's client pid (byte 68)
      Atomics.store(words, 16, 1); // slot 0's state: claimed (byte 64)
      const r = await runCli(['inspect', `shm://${channel}`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('\\x1b]0;pwned');
      expect(r.stdout).not.toMatch(RAW_CONTROL);
      expect(r.stdout.split('\n').some((line) => line.startsWith('region db-credentials'))).toBe(false);
      Atomics.store(words, 16, 0);
    } finally {
      control.close();
    }
  });

  it('a forged /proc/net/unix line does not keep a stale socket file from clean', async () => {
    // A short TMPDIR, so the whole forged record fits in a socket path (108 bytes).
    const tmp = mkdtempSync('/tmp/ik');
    const env = { TMPDIR: tmp, XDG_RUNTIME_DIR: '' };
    try {
      // A pipe listener killed with SIGKILL leaves its socket file: stale.
      const stale = uniqueName('st').slice(0, 12);
      const maker = PeerProcess.module(
        `import { transport } from '@ipckit/named-pipe';
         await transport.listen(process.argv[1]);
         console.log(JSON.stringify({ event: 'ready' }));
         setInterval(() => {}, 1000);`,
        [stale],
        { cwd: CLI_DIR, env: { ...process.env, ...env } },
      );
      await maker.waitForEvent('ready');
      maker.child.kill('SIGKILL');
      await maker.exit();
      const stalePath = join(tmp, `ipckit-${process.getuid?.() ?? 0}`, stale);
      // A live socket whose path, printed in /proc/net/unix, adds a line saying the stale path is
      // bound and listening (flags 00010000, stream, inode 9: nobody's).
      const forgedRecord = `0: 0 0 00010000 1 1 9 ${stalePath}`;
      const forgerDir = mkdtempSync('/tmp/ikf');
      mkdirSync(join(forgerDir, `f\n${forgedRecord.slice(0, forgedRecord.lastIndexOf('/'))}`), { recursive: true });
      const forger = PeerProcess.module(
        `import { createServer } from 'node:net';
         createServer().listen(process.argv[1], () => console.log(JSON.stringify({ event: 'ready' })));`,
        [`f\n${forgedRecord}`],
        { cwd: forgerDir },
      );
      peers.push(forger);
      await forger.waitForEvent('ready');
      try {
        const listed = await runCli(['ls', '--json', stale], { env });
        expect(listed.code, listed.stderr).toBe(0);
        expect((JSON.parse(listed.stdout) as { objects: { state: string }[] }).objects.map((o) => o.state)).toEqual(['stale']);
        const clean = await runCli(['clean', '--json', stale], { env });
        expect(clean.code, clean.stderr).toBe(0);
        expect((JSON.parse(clean.stdout) as { removed: { name: string }[] }).removed.map((o) => o.name)).toEqual([stale]);
      } finally {
        await stop(forger);
        rmSync(forgerDir, { recursive: true, force: true });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
