/**
 * Peers for @ipckit/shared-memory's synchronous API (ShmChannel.sendSync /
 * receiveSync), which blocks its thread and is meant for worker threads. So
 * each peer runs the channel in a worker thread (shm-sync-worker.ts); this
 * main thread keeps the side channel and relays commands to the worker.
 * CPU and memory are per process, so they include both threads.
 *
 * The reader's worker blocks in receiveSync for good; `arm` reaches it
 * through a SharedArrayBuffer it checks per message.
 */
import { Worker } from 'node:worker_threads';
import type { ControlClient } from '../control.js';
import type { PeerSpec } from './spec.js';

type Json = Record<string, unknown>;

export function shmSyncPeer(spec: PeerSpec, control: ControlClient): { close(): Promise<void> } {
  const until = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(until, 0, -1);
  const worker = new Worker(new URL('./shm-sync-worker.js', import.meta.url), { workerData: { spec, until } });
  let seq = 0;
  const pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  let failure: Error | undefined;
  worker.on('message', (message: Json) => {
    if (message['event'] === 'reached') {
      void control.emit('reached', { count: message['count'], bytes: message['bytes'], tEnd: message['tEnd'] });
      return;
    }
    if (message['event'] === 'failed') {
      void control.emit('failed', { message: message['message'] });
      return;
    }
    const waiter = pending.get(message['seq'] as number);
    if (!waiter) return;
    pending.delete(message['seq'] as number);
    if (message['ok']) waiter.resolve((message['result'] ?? {}) as Json);
    else waiter.reject(new Error(String(message['error'])));
  });
  const fail = (error: Error): void => {
    failure = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => fail(new Error(`the shm sync worker exited (${code})`)));
  const relay =
    (cmd: string) =>
    (args: Json): Promise<Json> => {
      if (failure) return Promise.reject(failure);
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ seq: id, cmd, args });
      });
    };
  for (const cmd of ['listen', 'connect', 'pp', 'send']) control.on(cmd, relay(cmd));
  control.on('arm', async (args) => {
    Atomics.store(until, 0, Number(args['until']));
    const { snapshot } = await import('./common.js');
    return snapshot();
  });
  return {
    async close() {
      await worker.terminate();
    },
  };
}
