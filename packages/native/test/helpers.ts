import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Rejects after `ms`: a watchdog so a broken wake-up fails instead of hanging. */
export function watchdog<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export interface Peer {
  /** Resolves with the first JSON line for which `pick` returns true. */
  line(pick: (o: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
}

/** Starts test/fixtures/peer.mjs in a separate node process. */
export function startPeer(mode: string, r: Region, offset: number, name: string): Peer {
  const child = spawn(process.execPath, [PEER, mode, r.file, String(SIZE), String(offset), name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
      for (const l of listeners) l();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => {
      // let the last stdout chunk arrive
      setImmediate(() => {
        resolve({ code, signal, stderr });
        for (const l of listeners) l();
      });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    line(pick) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(pick);
          if (found !== undefined) {
            listeners.delete(check);
            resolve(found);
          } else if (done) {
            listeners.delete(check);
            reject(new Error(`peer exited without the expected line; stderr:\n${stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    exited,
    kill() {
      child.kill('SIGKILL');
    },
  };
}

/**
 * Calls `wake()` every few ms until `promise` settles. A single wake() can
 * come before the other side is asleep, and then (with the word unchanged)
 * it is rightly lost; repeating it makes the test wait for a real wake-up.
 */
export async function wakeUntil<T>(wake: () => void, promise: Promise<T>, ms = 10_000): Promise<T> {
  const timer = setInterval(wake, 5);
  try {
    return await watchdog(promise, ms, 'wake-up');
  } finally {
    clearInterval(timer);
  }
}
