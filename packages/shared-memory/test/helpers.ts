import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PeerProcess, within } from '@ipckit/core/testing';

export const fixture = (file: string): string => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));

/** Fails `promise` after `ms` with a clear message: core's within(), in this package's argument order. */
export function watchdog<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return within(ms, what, promise);
}

/** A child process whose stdout lines can be awaited: core's PeerProcess, under this package's names. */
export class Child {
  readonly #peer: PeerProcess;

  /** Watches a process already started with piped stdio, or wraps a PeerProcess. */
  constructor(proc: ChildProcess | PeerProcess) {
    this.#peer = proc instanceof PeerProcess ? proc : new PeerProcess(proc, [], { timeoutMs: 10_000 });
  }

  static node(script: string, ...args: string[]): Child {
    return new Child(PeerProcess.node(script, args, { timeoutMs: 10_000 }));
  }

  static exe(path: string, ...args: string[]): Child {
    return new Child(new PeerProcess(path, args, { timeoutMs: 10_000 }));
  }

  get proc(): ChildProcess {
    return this.#peer.child;
  }

  get stderr(): string {
    return this.#peer.stderr;
  }

  /** The exit code, once the process ended and its output was read. */
  get exited(): Promise<number | null> {
    return this.#peer.exited;
  }

  /** The next stdout line (each line is handed out once). */
  line(ms = 10_000): Promise<string> {
    return this.#peer.nextLine(ms);
  }

  async kill(): Promise<void> {
    await this.#peer.kill();
  }
}

/**
 * Shared-memory objects this test process (or its children, which take their
 * names from it) left in /dev/shm: names made by uniqueName() carry our pid, and
 * pair regions `ipckit.p.<pid>.…`. Linux only (elsewhere objects cannot be
 * listed; Windows objects go with their last handle anyway).
 */
export function shmLeftovers(pids: number[] = [process.pid]): string[] {
  if (process.platform !== 'linux') return [];
  return readdirSync('/dev/shm').filter((f) => pids.some((pid) => f.includes(`-${pid}-`) || f.startsWith(`ipckit.p.${pid}.`)));
}
