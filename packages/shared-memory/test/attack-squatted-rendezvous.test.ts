/**
 * Issue 12, item 4, for shm://: another user serves the victim's name first
 * (a real ipckit listener of theirs, so /dev/shm/ipckit.<name> is theirs and
 * looks alive). The victim's connect must fail at once with EACCES, not
 * connect to the other user nor wait for an answer. The region code refuses
 * other users' regions; this proves connect inherits that.
 */
import { readdirSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, anotherUser, peerAsAnotherUser, within } from '@ipckit/core/testing';
import { transport } from '@ipckit/shared-memory';

const other = anotherUser();

/** The other user's listener: ipckit itself, loaded from this checkout by path. */
const SQUATTER = `
const { transport } = await import(process.argv[1]);
const listener = await transport.listen(process.argv[2]);
console.log('listening');
for await (const channel of listener) {
  for await (const message of channel) console.log('stolen ' + message.length);
}
`;

describe.runIf(other !== undefined && process.platform === 'linux')('an shm:// name another user serves first', () => {
  let squatter: PeerProcess | undefined;
  const name = uniqueName('squat');
  afterAll(async () => {
    await squatter?.kill();
    // What the killed listener left: its control region (and its bells' objects), all the other user's.
    for (const file of readdirSync('/dev/shm').filter((f) => f.startsWith(`ipckit.${name}`))) rmSync(`/dev/shm/${file}`, { force: true });
  });

  it('connect fails at once with EACCES and sends nothing', async () => {
    const moduleUrl = new URL('../dist/index.js', import.meta.url).href;
    squatter = peerAsAnotherUser(process.execPath, ['--input-type=module', '-e', SQUATTER, moduleUrl, name], {
      cwd: '/',
    });
    await squatter.waitForLine('listening');
    // A long connect timeout: only a refusal ends this within the watchdog, not giving up on an answer.
    await within(
      10_000,
      'connect to a name another user serves',
      expect(transport.connect(name, { timeoutMs: 60_000 })).rejects.toMatchObject({ code: 'EACCES' }),
    );
    expect(squatter.lines.filter((line) => line.startsWith('stolen'))).toEqual([]);
  });
});
