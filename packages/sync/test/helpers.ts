import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';

export const PEER = fileURLToPath(new URL('./fixtures/peer.mjs', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../examples/students/', import.meta.url));

/** A short name of this test process (sync names are region names on POSIX: at most 242 bytes). */
export const fresh = (what: string): string => uniqueName(`sync-${what}`);

/** Starts the peer script in its own process. */
export function peer(...args: string[]): PeerProcess {
  return PeerProcess.node(PEER, args, { timeoutMs: 60_000 });
}

/** POSIX objects this test process left in /dev/shm (Linux only; Windows objects go with their handles). */
export function leftovers(): string[] {
  if (process.platform !== 'linux') return [];
  return readdirSync('/dev/shm').filter((f) => f.includes(`sync-`) && f.includes(`-${process.pid}-`));
}
