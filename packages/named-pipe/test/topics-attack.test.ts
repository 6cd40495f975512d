/**
 * Issue 19: another local user cannot subscribe to, publish on, or squat a
 * pipe:// topic. A topic is served like a channel, from a socket in the
 * per-user 0700 directory, so the other user can neither reach the
 * publisher's socket nor put one of its own in that directory; and where it
 * made the directory first (a shared /tmp without XDG_RUNTIME_DIR), publish
 * and subscribe refuse it with EACCES and send nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publish, subscribe, uniqueName, type Publisher } from '@ipckit/core';
import { PeerProcess, anotherUser, peerAsAnotherUser, useSharedTmpDir, type SharedTmpDir } from '@ipckit/core/testing';
import { pipePath } from '@ipckit/named-pipe';
import { runtimeDirectory } from '@ipckit/sys';

const other = anotherUser();

/** As the other user: connect to a socket path, say hello as a subscriber would, print what happened. */
const INTRUDER = `
const net = require('node:net');
const [path] = process.argv.slice(1);
const socket = net.connect(path);
socket.on('connect', () => { socket.write(Buffer.from('IPKT')); console.log('connected'); });
socket.on('data', () => console.log('data'));
socket.on('error', (error) => { console.log(error.code); process.exit(0); });
`;

/** As the other user: bind a socket at a path (a squat inside the victim's directory). */
const BINDER = `
const net = require('node:net');
const [path] = process.argv.slice(1);
net.createServer().on('error', (error) => { console.log(error.code); process.exit(0); }).listen(path, () => console.log('listening'));
`;

/** As the other user: make the victim's socket directory first and serve the topic name in it, logging what comes. */
const SQUATTER = `
const { mkdirSync, appendFileSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const [dir, path, log] = process.argv.slice(1);
mkdirSync(dir, { mode: 0o700 });
writeFileSync(log, '');
createServer((socket) => socket.on('data', (data) => appendFileSync(log, data.toString('latin1')))).listen(path, () => console.log('listening'));
`;

describe.runIf(other !== undefined)('another user and a pipe:// topic', () => {
  const peers: PeerProcess[] = [];
  let publisher: Publisher | undefined;

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.kill()));
    await publisher?.close();
    publisher = undefined;
  });

  it('cannot subscribe to a topic: its socket is out of reach (EACCES), and the publisher counts nobody', async () => {
    const name = uniqueName('topic-attack');
    publisher = await publish(`pipe://${name}`);
    const path = await pipePath(name);
    const intruder = peerAsAnotherUser(process.execPath, ['-e', INTRUDER, path]);
    peers.push(intruder);
    expect(await intruder.nextLine()).toBe('EACCES');
    expect(publisher.subscriberCount).toBe(0);
    // The topic works for its own user all the while.
    const mine = await subscribe(`pipe://${name}`);
    await publisher.send(new TextEncoder().encode('mine'));
    expect(new TextDecoder().decode((await mine.receive())?.data)).toBe('mine');
    await mine.close();
  });

  it('cannot publish on a topic name: no socket of its own can go in the directory (EACCES)', async () => {
    const name = uniqueName('topic-attack');
    const path = await pipePath(name);
    // The directory exists (a publish made it); the topic is not being published now.
    await (await publish(`pipe://${uniqueName('topic-attack')}`)).close();
    const binder = peerAsAnotherUser(process.execPath, ['-e', BINDER, path]);
    peers.push(binder);
    expect(await binder.nextLine()).toBe('EACCES');
    await expect(subscribe(`pipe://${name}`)).rejects.toMatchObject({ code: 'ENOENT' });
    publisher = await publish(`pipe://${name}`);
    expect(publisher.subscriberCount).toBe(0);
  });

  describe('a socket directory the other user made first', () => {
    let tmp: SharedTmpDir;

    beforeAll(() => {
      tmp = useSharedTmpDir();
    });

    afterAll(() => {
      tmp.restore();
    });

    it('publish and subscribe refuse it with EACCES and send it nothing', async () => {
      const dir = runtimeDirectory();
      expect(dir.startsWith(tmp.path)).toBe(true);
      const name = uniqueName('topic-squat');
      const log = join(tmp.path, 'stolen.log');
      const squatter = peerAsAnotherUser(process.execPath, ['-e', SQUATTER, dir, join(dir, name), log]);
      peers.push(squatter);
      await squatter.waitForLine('listening');

      await expect(subscribe(`pipe://${name}`)).rejects.toMatchObject({ code: 'EACCES', path: dir });
      await expect(subscribe(`pipe://${name}`, { waitForPublisher: true, timeoutMs: 2_000 })).rejects.toMatchObject({ code: 'EACCES' });
      await expect(publish(`pipe://${name}`)).rejects.toMatchObject({ code: 'EACCES' });
      expect(readFileSync(log, 'latin1')).toBe('');
    });
  });
});
