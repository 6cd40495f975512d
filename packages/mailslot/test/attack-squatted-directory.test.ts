/**
 * Issue 12, item 4, for mailslot:// on POSIX: without XDG_RUNTIME_DIR the
 * socket directories are `<tmpdir>/ipckit-<uid>` and its `mailslot/`, and
 * another user can make them before the victim's first listen and bind the
 * victim's names there. Connect must refuse them (EACCES) and send nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, anotherUser, peerAsAnotherUser, useSharedTmpDir, type SharedTmpDir } from '@ipckit/core/testing';
import { mailslotPath, transport } from '@ipckit/mailslot';
import { runtimeDirectory } from '@ipckit/sys';

const other = anotherUser();

/** The other user's reader, in Perl (Node has no datagram Unix sockets): makes both directories, binds, logs what comes. */
const SQUATTER = `
use strict; use Socket; use IO::Handle;
my ($dir, $path, $log) = @ARGV;
mkdir $dir, 0700; mkdir "$dir/mailslot", 0700;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
bind($s, pack_sockaddr_un($path)) or die "bind: $!";
open(my $out, '>', $log) or die "log: $!"; $out->autoflush(1);
STDOUT->autoflush(1); print "listening\\n";
while (defined(recv($s, my $buf, 65536, 0))) { print $out $buf; }
`;

describe.runIf(other !== undefined && process.platform !== 'win32')('mailslot directories another user made first', () => {
  let tmp: SharedTmpDir;
  let squatter: PeerProcess | undefined;

  beforeAll(() => {
    tmp = useSharedTmpDir();
  });

  afterAll(async () => {
    await squatter?.kill();
    tmp.restore();
  });

  it('connect refuses them with EACCES and sends nothing; listen refuses them too', async () => {
    const dir = runtimeDirectory();
    expect(dir.startsWith(tmp.path)).toBe(true);
    const name = uniqueName('squat');
    const path = await mailslotPath(name);
    const log = join(tmp.path, 'stolen.log');
    squatter = peerAsAnotherUser('/usr/bin/perl', ['-e', SQUATTER, dir, path, log]);
    await squatter.waitForLine('listening');

    await expect(transport.connect(name)).rejects.toMatchObject({ code: 'EACCES', path: dir });
    await expect(transport.listen(name)).rejects.toMatchObject({ code: 'EACCES' });
    expect(readFileSync(log, 'latin1')).toBe('');
  });
});
