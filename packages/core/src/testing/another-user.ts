/**
 * A second local user, for the adversarial tests: objects another user
 * plants (a FIFO in /dev/shm, a fake ownership record, a symlink in a sticky
 * directory) must be refused. Creating the user needs root, which CI has;
 * where this process is not root, {@link anotherUser} returns undefined and
 * the caller's `describe.runIf` says why those tests do not run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { PeerProcess, type PeerProcessOptions } from './peer-process.js';

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

/**
 * Starts `program args` as the second user, as a {@link PeerProcess}. It uses
 * setpriv, not runuser: runuser forks and waits, so killing it would leave the
 * program running; setpriv execs the program in place, so `kill()` reaches it.
 * Linux only, as root (see {@link anotherUser}).
 */
export function peerAsAnotherUser(program: string, args: readonly string[], options: PeerProcessOptions = {}): PeerProcess {
  const user = anotherUser();
  if (!user) throw new Error('no second user here (this process is not root)');
  const gid = Number(spawnSync('id', ['-g', user.name], { encoding: 'utf8' }).stdout.trim());
  return new PeerProcess('setpriv', [`--reuid=${user.uid}`, `--regid=${gid}`, '--clear-groups', '--', program, ...args], {
    label: `${program} as ${user.name}`,
    ...options,
  });
}

/** A world-writable sticky directory standing in for /tmp, made the only place this process's socket directory can go. */
export interface SharedTmpDir {
  /** The directory (mode 1777, like /tmp). */
  readonly path: string;
  /** Puts TMPDIR and XDG_RUNTIME_DIR back as they were and removes the directory. */
  restore(): void;
}

/**
 * Makes a fresh sticky world-writable directory (as /tmp is), points TMPDIR
 * at it and unsets XDG_RUNTIME_DIR, so that ipckit's per-user socket directory
 * is `<it>/ipckit-<uid>`, a place another user can reach first.
 */
export function useSharedTmpDir(): SharedTmpDir {
  const saved = { TMPDIR: process.env.TMPDIR, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR };
  const path = mkdtempSync('/tmp/ipckit-squat-');
  chmodSync(path, 0o1777);
  process.env.TMPDIR = path;
  delete process.env.XDG_RUNTIME_DIR;
  return {
    path,
    restore(): void {
      if (saved.TMPDIR === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved.TMPDIR;
      if (saved.XDG_RUNTIME_DIR !== undefined) process.env.XDG_RUNTIME_DIR = saved.XDG_RUNTIME_DIR;
      rmSync(path, { recursive: true, force: true });
    },
  };
}
