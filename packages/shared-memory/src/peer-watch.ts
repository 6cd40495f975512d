/**
 * One watch per peer process, shared by every channel to it (issue 17 §6).
 * A channel asks its peer watch `alive()` on every sleep and every
 * WATCHDOG_MS; with N channels to one peer that was N kill(2) calls and N
 * /proc reads each time (Windows: N process handles and waits). Here all
 * channels to a pid share one backend watch: one OS exit watch (pidfd /
 * process handle) whose callback reaches every channel, and one liveness
 * check per peer at most every WATCHDOG_MS, whose answer they all reuse.
 * A peer once seen dead stays dead.
 */
import type { ProcessWatch, ShmBackend } from './backend.js';
import { WATCHDOG_MS } from './channel.js';

/** The shared state of one peer process. */
interface Peer {
  readonly raw: ProcessWatch;
  readonly exits: Set<() => void>;
  users: number;
  dead: boolean;
  checkedAt: number;
  armed: boolean;
}

const peers = new WeakMap<ShmBackend, Map<number, Peer>>();

/**
 * A {@link ProcessWatch} on `pid` that shares the backend's watch with every
 * other one of this thread on the same pid. `now` is the clock the check
 * interval is read on (tests pass their own).
 */
export function watchPeer(backend: ShmBackend, pid: number, now: () => number = () => performance.now()): ProcessWatch {
  let byPid = peers.get(backend);
  if (byPid === undefined) peers.set(backend, (byPid = new Map<number, Peer>()));
  let peer = byPid.get(pid);
  if (peer === undefined) {
    peer = { raw: backend.watchProcess(pid), exits: new Set(), users: 0, dead: false, checkedAt: -Infinity, armed: false };
    byPid.set(pid, peer);
  }
  const shared = peer;
  const table = byPid;
  shared.users++;
  const mine = new Set<() => void>();
  let open = true;
  const exited = (): void => {
    shared.dead = true;
    for (const callback of [...shared.exits]) callback();
  };
  return {
    alive(): boolean {
      if (shared.dead) return false;
      const t = now();
      if (t - shared.checkedAt < WATCHDOG_MS) return true;
      shared.checkedAt = t;
      if (!shared.raw.alive()) shared.dead = true;
      return !shared.dead;
    },
    onExit(callback: () => void): void {
      if (!open) return;
      mine.add(callback);
      shared.exits.add(callback);
      if (!shared.armed) {
        shared.armed = true;
        shared.raw.onExit(exited);
      }
    },
    close(): void {
      if (!open) return;
      open = false;
      for (const callback of mine) shared.exits.delete(callback);
      mine.clear();
      if (--shared.users > 0) return;
      if (table.get(pid) === shared) table.delete(pid);
      shared.raw.close();
    },
  };
}
