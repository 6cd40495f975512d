/**
 * Issue 12, item 4: without XDG_RUNTIME_DIR the socket directory is
 * `<tmpdir>/ipckit-<uid>`, and another user can make it before the victim's
 * first listen and serve the victim's names in it. listen refused such a
 * directory already; connect did not check it and handed the victim's
 * messages to the other user. Connect must refuse it (EACCES) and send nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, anotherUser, peerAsAnotherUser, useSharedTmpDir, type SharedTmpDir } from '@ipckit/core/testing';
import { connectStream, transport } from '@ipckit/named-pipe';
import { runtimeDirectory } from '@ipckit/sys';

const other = anotherUser();

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
  let tmp: SharedTmpDir;
  let squatter: PeerProcess | undefined;

  beforeAll(() => {
    tmp = useSharedTmpDir();
  });

  afterAll(async () => {
    await squatter?.kill();
    tmp.restore();
  });

  it('connect refuses it with EACCES and sends nothing; listen refuses it too', async () => {
    const dir = runtimeDirectory();
    expect(dir.startsWith(tmp.path)).toBe(true);
    const name = uniqueName('squat');
    const log = join(tmp.path, 'stolen.log');
    squatter = peerAsAnotherUser(process.execPath, ['-e', SQUATTER, dir, join(dir, name), log]);
    await squatter.waitForLine('listening');

    await expect(transport.connect(name)).rejects.toMatchObject({ code: 'EACCES', path: dir });
    await expect(connectStream(name)).rejects.toMatchObject({ code: 'EACCES' });
    await expect(transport.listen(name)).rejects.toMatchObject({ code: 'EACCES' });
    expect(readFileSync(log, 'latin1')).toBe('');
  });
});
