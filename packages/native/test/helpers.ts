import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerProcess, within } from '@ipckit/core/testing';
import { mapShared, type SharedMapping } from './fixtures/shm.mjs';

export const PEER = fileURLToPath(new URL('./fixtures/peer.mjs', import.meta.url));
export const WORKER = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
export const SIZE = 4096;

let counter = 0;
/** A name no other test (or test run) uses. */
export function uniqueName(): string {
  return `native-test-${process.pid}-${++counter}`;
}

export interface Region extends SharedMapping {
  file: string;
  dispose(): void;
}

/** A fresh zeroed file-backed shared mapping. */
export function region(): Region {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-native-'));
  const file = join(dir, 'region');
  const map = mapShared(file, SIZE, true);
  return {
    ...map,
    file,
    dispose() {
      map.unmap();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts test/fixtures/peer.mjs in a separate node process; it prints one JSON line per event. */
export function startPeer(mode: string, r: Region, offset: number, name: string): PeerProcess {
  return PeerProcess.node(PEER, [mode, r.file, String(SIZE), String(offset), name], { timeoutMs: 15_000 });
}

/**
 * Calls `wake()` every few ms until `promise` settles. A single wake() can
 * come before the other side is asleep, and then (with the word unchanged)
 * it is rightly lost; repeating it makes the test wait for a real wake-up.
 */
export async function wakeUntil<T>(wake: () => void, promise: Promise<T>, ms = 10_000): Promise<T> {
  const timer = setInterval(wake, 5);
  try {
    return await within(ms, 'wake-up', promise);
  } finally {
    clearInterval(timer);
  }
}
