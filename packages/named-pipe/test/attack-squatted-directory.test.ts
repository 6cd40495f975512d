/**
 * Issue 12, item 4: without XDG_RUNTIME_DIR the socket directory is
 * `<tmpdir>/ipckit-<uid>`, and another user can make it before the victim's
 * first listen and serve the victim's names in it. listen refused such a
 * directory already; connect did not check it and handed the victim's
 * messages to the other user. Connect must refuse it (EACCES) and send nothing.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, anotherUser } from '@ipckit/core/testing';
import { connectStream, transport } from '@ipckit/named-pipe';
import { runtimeDirectory } from '@ipckit/sys';

const other = anotherUser();

/**
 * setpriv's arguments that run a program as the other user. Not runuser: it
 * forks and waits, so killing it would leave the program running; setpriv
 * execs it in place, so the test's kill reaches it.
 */
function asOther(): string[] {
  const gid = Number(spawnSync('id', ['-g', other?.name ?? ''], { encoding: 'utf8' }).stdout.trim());
  return [`--reuid=${other?.uid}`, `--regid=${gid}`, '--clear-groups', '--'];
}

/** The other user's server: makes the directory, serves `path` in it, and writes down whatever it is sent. */
const SQUATTER = `
const { mkdirSync, appendFileSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const [dir, path, log] = process.argv.slice(1);
mkdirSync(dir, { mode: 0o700 });
writeFileSync(log, '');
createServer((socket) => socket.on('data', (data) => appendFileSync(log, data.toString('latin1')))).listen(path, () => console.log('listening'));
`;

describe.runIf(other !== undefined)('a socket directory another user made first', () => {
  const saved = { TMPDIR: process.env.TMPDIR, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR };
  let shared: string;
  let squatter: PeerProcess | undefined;

  beforeAll(() => {
    // A fresh world-writable sticky directory, as /tmp is, standing in for it.
    shared = mkdtempSync('/tmp/ipckit-squat-');
    chmodSync(shared, 0o1777);
    process.env.TMPDIR = shared;
    delete process.env.XDG_RUNTIME_DIR;
  });

  afterAll(async () => {
    await squatter?.kill();
    if (saved.TMPDIR === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved.TMPDIR;
    if (saved.XDG_RUNTIME_DIR !== undefined) process.env.XDG_RUNTIME_DIR = saved.XDG_RUNTIME_DIR;
    rmSync(shared, { recursive: true, force: true });
  });

  it('connect refuses it with EACCES and sends nothing; listen refuses it too', async () => {
    const dir = runtimeDirectory();
    expect(dir.startsWith(shared)).toBe(true);
    const name = uniqueName('squat');
    const log = join(shared, 'stolen.log');
    squatter = new PeerProcess('setpriv', [...asOther(), process.execPath, '-e', SQUATTER, dir, join(dir, name), log]);
    await squatter.waitForLine('listening');

    await expect(transport.connect(name)).rejects.toMatchObject({ code: 'EACCES', path: dir });
    await expect(connectStream(name)).rejects.toMatchObject({ code: 'EACCES' });
    await expect(transport.listen(name)).rejects.toMatchObject({ code: 'EACCES' });
    expect(readFileSync(log, 'latin1')).toBe('');
  });
});
