/**
 * A second local user, for the adversarial tests: objects another user
 * plants (a FIFO in /dev/shm, a fake ownership record, a symlink in a sticky
 * directory) must be refused. Creating the user needs root, which CI has;
 * where this process is not root, {@link anotherUser} returns undefined and
 * the caller's `describe.runIf` says why those tests do not run.
 */
import { spawnSync } from 'node:child_process';

/** The name of the second user the tests create (a system user without a home or a login shell). */
export const OTHER_USER = 'ipckit-other';

/** A second local user: its name and uid. */
export interface OtherUser {
  name: string;
  uid: number;
}

let cached: OtherUser | null | undefined;

/**
 * The second user, created with useradd on first use; undefined on Windows
 * or when this process is not root (it cannot create one, nor act as one).
 */
export function anotherUser(): OtherUser | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  // Windows has no getuid: undefined there too.
  if (process.getuid?.() !== 0) return undefined;
  let id = spawnSync('id', ['-u', OTHER_USER], { encoding: 'utf8' });
  if (id.status !== 0) {
    const add = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', OTHER_USER], { encoding: 'utf8' });
    id = spawnSync('id', ['-u', OTHER_USER], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error(`useradd ${OTHER_USER} failed: ${add.stderr || add.error?.message || add.status}`);
  }
  cached = { name: OTHER_USER, uid: Number(id.stdout.trim()) };
  return cached;
}

/**
 * Runs `command` with /bin/sh as the second user (runuser) and returns its
 * stdout; throws with its stderr when it fails.
 */
export function asAnotherUser(command: string): string {
  const user = anotherUser();
  if (!user) throw new Error('no second user here (this process is not root)');
  const r = spawnSync('runuser', ['-u', user.name, '--', '/bin/sh', '-c', command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`as ${user.name}: ${command}\nexit ${r.status}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}
