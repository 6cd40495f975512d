/**
 * The worker thread of a shm sync-API peer: listens or connects on shm://,
 * then uses only ShmChannel.sendSync / receiveSync. See shm-sync.ts.
 *
 * With `spec.receiveInto`, every receive is `receiveSync(into)` into one
 * array made once: no allocation per message, the way to receive large ones.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect, listen, type Channel } from '@ipckit/core';
import type { ShmChannel } from '@ipckit/shared-memory';
import { bytePayload, encodeSamples, pingLoopSync, since, snapshot } from './common.js';
import type { PeerSpec } from './spec.js';

/** What this worker uses of a shm:// channel (reached through core's connect/listen). */
type SyncChannel = Channel & Pick<ShmChannel, 'sendSync' | 'receiveSync'>;

type Json = Record<string, unknown>;

const { spec, until } = workerData as { spec: PeerSpec; until: Int32Array };
const port = parentPort!;
const options = { maxMessageBytes: Math.max(spec.maxSize, 1024) };
/** receiveSync(into)'s array: the largest message this peer will see. */
const into = spec.receiveInto ? new Uint8Array(options.maxMessageBytes) : undefined;
let channel: SyncChannel | undefined;

function asSync(ch: Channel): SyncChannel {
  const sync = ch as Partial<SyncChannel>;
  if (typeof sync.sendSync !== 'function' || typeof sync.receiveSync !== 'function') throw new Error('this shm channel has no sendSync/receiveSync');
  return ch as SyncChannel;
}

/**
 * A receive that allocates nothing with `into`: the message is `into`'s first
 * `length` bytes, and the view of them is made once per new length (one size
 * per phase here), as a real receiver of fixed-size messages would.
 */
function receiver(ch: SyncChannel, timeoutMs?: number): () => Uint8Array | undefined {
  if (into === undefined) return () => ch.receiveSync(timeoutMs);
  let view = into.subarray(0, 0);
  return () => {
    const length = ch.receiveSync(into, timeoutMs);
    if (length === undefined) return undefined;
    if (view.length !== length) view = into.subarray(0, length);
    return view;
  };
}

/** Blocks this thread: echoes everything until the peer closes. */
function echo(ch: SyncChannel): void {
  const receive = receiver(ch);
  for (;;) {
    const message = receive();
    if (message === undefined) return;
    ch.sendSync(message);
  }
}

/** Blocks this thread: counts everything until the peer closes; reports when the armed count is reached. */
function count(ch: SyncChannel): void {
  const receive = receiver(ch);
  let n = 0;
  let bytes = 0;
  for (;;) {
    const message = receive();
    if (message === undefined) return;
    bytes += message.byteLength;
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
        const ch = asSync(accepted);
        // One channel is all this peer serves: free the name now (accepted channels outlive their
        // listener), since the thread is about to block and may be terminated without cleaning up.
        await listener.close();
        // Let this command's reply go out, then block the thread for good.
        setImmediate(() => {
          try {
            if (spec.role === 'echo') echo(ch);
            else count(ch);
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
    channel = asSync(await connect(`shm://${String(args['name'])}`, options));
    return {};
  },
  pp(args) {
    const ch = channel!;
    const payload = bytePayload(Number(args['size']));
    const timeout = spec.watchdogMs;
    const receive = receiver(ch, timeout);
    const roundTrip = (): void => {
      ch.sendSync(payload, timeout);
      if (receive() === undefined) throw new Error('the channel closed during the round trip');
    };
    const r = pingLoopSync(roundTrip, { count: Number(args['count']), budgetMs: Number(args['budgetMs'] ?? 0), record: args['record'] === true });
    return { count: r.count, elapsedNs: r.elapsedNs, cpu: r.cpu, ...(r.samples ? { samples: encodeSamples(r.samples) } : {}) };
  },
  send(args) {
    const ch = channel!;
    const payload = bytePayload(Number(args['size']));
    const n = Number(args['count']);
    const c0 = snapshot();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) ch.sendSync(payload, spec.watchdogMs);
    const t1 = process.hrtime.bigint();
    return { t0: t0.toString(), t1: t1.toString(), cpu: since(c0) };
  },
};

port.on('message', (message: { seq: number; cmd: string; args: Json }) => {
  void (async () => {
    try {
      const handler = handlers[message.cmd];
      if (!handler) throw new Error(`unknown command ${message.cmd}`);
      port.postMessage({ seq: message.seq, ok: true, result: await handler(message.args) });
    } catch (error) {
      const e = error as { code?: string; message?: unknown };
      port.postMessage({ seq: message.seq, ok: false, error: `${e.code ? `${e.code} ` : ''}${String(e.message ?? error)}` });
    }
  })();
});
