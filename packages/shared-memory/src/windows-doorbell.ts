/**
 * The Windows doorbell: a named auto-reset event per thread,
 * `Local\ipckit-bell-<pid>-<thread>`, that a native thread waits on; a ring
 * is a SetEvent, and it wakes every waiter of that thread (an event carries
 * no token), each of which looks at its ring. See doorbell.ts.
 */
import { threadId } from 'node:worker_threads';
import { SyncThread } from '@ipckit/native';
import { EVENT_MODIFY_STATE, isBadHandle, kernel32, win32Error, type Handle } from '@ipckit/sys/win32';
import type { DoorbellBackend } from './backend.js';

const bellName = (pid: number, thread: number): string => `Local\\ipckit-bell-${pid}-${thread}`;

class WindowsDoorbell implements DoorbellBackend {
  readonly thread = threadId;
  #handle: Handle | undefined;
  #thread: SyncThread | undefined;
  #watching = false;
  #looping = false;
  #onRing: (tokens: readonly number[] | undefined) => void = () => undefined;
  readonly #peers = new Map<string, Handle>();

  start(onRing: (tokens: readonly number[] | undefined) => void): boolean {
    this.#onRing = onRing;
    if (this.#handle === undefined) {
      const name = bellName(process.pid, this.thread);
      const handle = kernel32().CreateEventW(null, 0, 0, name);
      if (isBadHandle(handle)) throw win32Error('CreateEventW', name);
      this.#handle = handle;
      this.#thread = new SyncThread();
    }
    return true;
  }

  resume(): void {
    if (this.#watching || this.#thread === undefined || this.#handle === undefined) return;
    this.#watching = true;
    if (!this.#looping) void this.#loop(this.#thread, BigInt(this.#handle));
  }

  /** Waits on the event while anyone waits (a pause cancels the wait in progress; a resume meanwhile goes on). */
  async #loop(thread: SyncThread, handle: bigint): Promise<void> {
    this.#looping = true;
    try {
      while (this.#watching) {
        const outcome = await thread.waitHandles([handle]);
        if (outcome.result !== 'cancelled') this.#onRing(undefined);
      }
    } finally {
      this.#looping = false;
    }
  }

  pause(): void {
    if (!this.#watching) return;
    this.#watching = false;
    this.#thread?.cancel();
  }

  /** SetEvent at once, deferred or not: an event already set absorbs the next ring anyway. */
  ring(pid: number, thread: number): boolean {
    const k = kernel32();
    const key = `${pid}/${thread}`;
    let peer = this.#peers.get(key);
    if (peer === undefined) {
      const opened = k.OpenEventW(EVENT_MODIFY_STATE, 0, bellName(pid, thread));
      if (isBadHandle(opened)) return false;
      peer = opened;
      this.#peers.set(key, peer);
    }
    return k.SetEvent(peer) !== 0;
  }

  /** Nothing is queued on Windows: a ring is one SetEvent, and an event already set absorbs the next. */
  flush(): void {}

  forget(pid: number): void {
    const prefix = `${pid}/`;
    for (const [key, handle] of this.#peers) {
      if (!key.startsWith(prefix)) continue;
      this.#peers.delete(key);
      kernel32().CloseHandle(handle);
    }
  }
}

let doorbell: WindowsDoorbell | undefined;

/** This thread's doorbell. */
export function windowsDoorbell(): DoorbellBackend {
  return (doorbell ??= new WindowsDoorbell());
}
