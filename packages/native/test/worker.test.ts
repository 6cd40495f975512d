import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { within } from '@ipckit/core/testing';
import { openWaiter } from '../src/index.js';
import { region, SIZE, uniqueName, wakeUntil, WORKER } from './helpers.js';

describe.runIf(process.platform === 'linux')('waitSync in a worker thread', () => {
  it('blocks the worker until the main thread wakes it, without blocking the main thread', async () => {
    const r = region();
    const name = uniqueName();
    const w = openWaiter(r.buffer, 32, name);
    const worker = new Worker(WORKER, { workerData: { file: r.file, size: SIZE, offset: 32, name } });
    const messages: Record<string, unknown>[] = [];
    const result = new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.on('message', (m: Record<string, unknown>) => {
        messages.push(m);
        if ('result' in m) resolve(m);
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`worker exited (${code}) before its result`)));
    });
    try {
      expect(await wakeUntil(() => w.wake(), result, 15_000)).toEqual({ result: 'woken' });
      expect(messages[0]).toEqual({ ready: true });
      // the main thread kept running timers while the worker slept
      expect(await within(5_000, 'timer', new Promise((res) => setTimeout(() => res('tick'), 1)))).toBe('tick');
    } finally {
      await worker.terminate();
      w.close();
      r.dispose();
    }
  });
});
