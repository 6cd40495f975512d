/**
 * The worker thread of a shm sync-API peer: listens or connects on shm://,
 * then moves messages only through its target's strategy (peers/shm-io.ts:
 * sendSync/receiveSync(), receiveSync(into), or whatever is added there).
 * See shm-sync.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveCommands, type Json } from './worker-rpc.js';
import { connect, listen, type Channel } from '@ipckit/core';
import { bytePayload, encodeSamples, pingLoopSync, since, snapshot } from './common.js';
import { SYNC_IO, type SyncChannel, type SyncIo, type SyncIoDef } from './shm-io.js';
import type { PeerSpec } from './spec.js';

const { spec, until } = workerData as { spec: PeerSpec; until: Int32Array };
const port = parentPort!;
const options = { maxMessageBytes: Math.max(spec.maxSize, 1024) };
const strategy: SyncIoDef = SYNC_IO[spec.io ?? 'copy'] ?? noStrategy();

function noStrategy(): never {
  throw new Error(`no shm sync io strategy ${String(spec.io)}`);
}
let channelIo: SyncIo | undefined;

function ioOf(ch: Channel): SyncIo {
  const sync = ch as Partial<SyncChannel>;
  if (typeof sync.sendSync !== 'function' || typeof sync.receiveSync !== 'function') throw new Error('this shm channel has no sendSync/receiveSync');
  return strategy.make(ch as unknown as SyncChannel, options.maxMessageBytes);
}

/** Blocks this thread: echoes everything until the peer closes. */
function echo(io: SyncIo): void {
  for (;;) {
    const message = io.receive();
    if (message === undefined) return;
    io.send(message);
    io.release();
  }
}

/** Blocks this thread: counts everything until the peer closes; reports when the armed count is reached. */
function count(io: SyncIo): void {
  let n = 0;
  let bytes = 0;
  for (;;) {
    const message = io.receive();
    if (message === undefined) return;
    bytes += message.byteLength;
    io.release();
    if (++n === Atomics.load(until, 0)) {
      port.postMessage({ event: 'reached', count: n, bytes, tEnd: process.hrtime.bigint().toString() });
    }
  }
}

const handlers: Record<string, (args: Json) => Promise<Json> | Json> = {
  async listen(args) {
    const listener = await listen(`shm://${String(args['name'])}`, options);
    void (async () => {
      for await (const accepted of listener) {
        const io = ioOf(accepted);
        // One channel is all this peer serves: free the name now (accepted channels outlive their
        // listener), since the thread is about to block and may be terminated without cleaning up.
        await listener.close();
        // Let this command's reply go out, then block the thread for good.
        setImmediate(() => {
          try {
            if (spec.role === 'echo') echo(io);
            else count(io);
          } catch (error) {
            port.postMessage({ event: 'failed', message: String((error as { message?: unknown }).message ?? error) });
          }
        });
        return;
      }
    })();
    return { connectName: listener.name };
  },
  async connect(args) {
    channelIo = ioOf(await connect(`shm://${String(args['name'])}`, { ...options, ...strategy.connectOptions?.(options.maxMessageBytes) }));
    return {};
  },
  pp(args) {
    const io = channelIo!;
    const payload = bytePayload(Number(args['size']));
    const timeout = spec.watchdogMs;
    const roundTrip = (): void => {
      io.send(payload, timeout);
      if (io.receive(timeout) === undefined) throw new Error('the channel closed during the round trip');
      io.release();
    };
    const r = pingLoopSync(roundTrip, { count: Number(args['count']), budgetMs: Number(args['budgetMs'] ?? 0), record: args['record'] === true });
    return { count: r.count, elapsedNs: r.elapsedNs, cpu: r.cpu, ...(r.samples ? { samples: encodeSamples(r.samples) } : {}) };
  },
  send(args) {
    const io = channelIo!;
    const payload = bytePayload(Number(args['size']));
    const n = Number(args['count']);
    const c0 = snapshot();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) io.send(payload, spec.watchdogMs);
    const t1 = process.hrtime.bigint();
    return { t0: t0.toString(), t1: t1.toString(), cpu: since(c0) };
  },
};

serveCommands(port, handlers);
