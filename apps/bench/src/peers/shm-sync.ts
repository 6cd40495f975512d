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
import { WorkerRpc, type Json } from './worker-rpc.js';

export function shmSyncPeer(spec: PeerSpec, control: ControlClient): { close(): Promise<void> } {
  const until = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(until, 0, -1);
  const worker = new Worker(new URL('./shm-sync-worker.js', import.meta.url), { workerData: { spec, until } });
  const rpc = new WorkerRpc(worker, 'the shm sync worker', (message) => {
    if (message['event'] === 'reached') void control.emit('reached', { count: message['count'], bytes: message['bytes'], tEnd: message['tEnd'] });
    else if (message['event'] === 'failed') void control.emit('failed', { message: message['message'] });
  });
  const relay =
    (cmd: string) =>
    (args: Json): Promise<Json> =>
      rpc.call(cmd, args);
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
