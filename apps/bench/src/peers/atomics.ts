/**
 * The JavaScript floor: a bare Atomics ping-pong over a shared mapping
 * between two processes. Each round trip copies the message into the mapping,
 * flips a sequence number with Atomics.store, and the other side spins on
 * Atomics.load, copies the message out and back in, and flips the reply
 * number. Nothing a transport does can be cheaper than this in JavaScript.
 *
 * Atomics.wait needs a SharedArrayBuffer, which a mapping is not, so both
 * sides spin (each holds a core while it waits; this machine has two).
 * The echo spins only during a phase (between `begin` and the pinger's stop flag).
 *
 * Layout: Int32 words [0] ping sequence, [2] stop flag, [3] size (the pinger's cache line),
 * [16] pong sequence (the echo's line); ping data at 128, pong data at 128 + maxSize.
 */
import type { ControlClient } from '../control.js';
import { createMapping, openMapping, type SharedMapping } from '../mapping.js';
import { bytePayload, encodeSamples, pingLoopSync, snapshot, since, type CpuSnapshot } from './common.js';
import type { PeerSpec } from './spec.js';

const HEADER = 128;
/** Written by the pinger (one cache line)... */
const PING = 0;
const STOP = 2;
const SIZE = 3;
/** ...and by the echo (the next line), so neither spins on a line the other is writing to. */
const PONG = 16;

function mappingSize(maxSize: number): number {
  return HEADER + 2 * maxSize;
}

export function atomicsPeer(spec: PeerSpec, control: ControlClient): { close(): Promise<void> } {
  let mapping: SharedMapping | undefined;
  const deadlineNs = BigInt(spec.watchdogMs) * 1_000_000n;

  function words(): Int32Array {
    if (!mapping) throw new Error('no mapping yet');
    return new Int32Array(mapping.bytes.buffer, mapping.bytes.byteOffset, HEADER / 4);
  }

  if (spec.role === 'echo') {
    let phaseCpu: CpuSnapshot | undefined;
    /** What the phase threw, boxed: a thrown value can be anything, even falsy. */
    let phaseFailure: { error: unknown } | undefined;
    control.on('listen', async (args) => {
      mapping = await createMapping(String(args['name']), mappingSize(spec.maxSize));
      return { connectName: String(args['name']), source: mapping.source };
    });
    const echoUntilStop = (): void => {
      const h = words();
      const bytes = mapping!.bytes;
      const local = new Uint8Array(spec.maxSize);
      // The last sequence answered: a ping that arrived before this phase began is still answered.
      let last = Atomics.load(h, PONG);
      const start = process.hrtime.bigint();
      let spins = 0;
      for (;;) {
        const seq = Atomics.load(h, PING);
        if (seq !== last) {
          last = seq;
          const size = Atomics.load(h, SIZE);
          local.set(bytes.subarray(HEADER, HEADER + size));
          bytes.set(local.subarray(0, size), HEADER + spec.maxSize);
          Atomics.store(h, PONG, seq);
          spins = 0;
          continue;
        }
        if (Atomics.load(h, STOP) === 1) {
          Atomics.store(h, STOP, 0);
          return;
        }
        if (++spins === 1 << 22) {
          spins = 0;
          if (process.hrtime.bigint() - start > deadlineNs) throw new Error('atomics echo: no stop flag before the watchdog');
        }
      }
    };
    control.on('begin', () => {
      const c0 = snapshot();
      phaseCpu = undefined;
      phaseFailure = undefined;
      // Start spinning once this reply has been written.
      setImmediate(() => {
        try {
          echoUntilStop();
        } catch (error) {
          phaseFailure = { error };
        }
        phaseCpu = since(c0);
      });
      return {};
    });
    control.on('end', async () => {
      while (phaseCpu === undefined) await new Promise((resolve) => setImmediate(resolve));
      if (phaseFailure) throw phaseFailure.error;
      return { cpu: phaseCpu };
    });
  } else if (spec.role === 'pinger') {
    control.on('connect', async (args) => {
      mapping = await openMapping(String(args['name']), mappingSize(spec.maxSize));
      return {};
    });
    control.on('pp', (args) => {
      const h = words();
      const bytes = mapping!.bytes;
      const size = Number(args['size']);
      const payload = bytePayload(size);
      const received = new Uint8Array(size);
      const pong = bytes.subarray(HEADER + spec.maxSize, HEADER + spec.maxSize + size);
      Atomics.store(h, SIZE, size);
      let seq = Atomics.load(h, PING);
      const start = process.hrtime.bigint();
      const roundTrip = (): void => {
        bytes.set(payload, HEADER);
        seq = (seq + 1) | 0;
        Atomics.store(h, PING, seq);
        let spins = 0;
        while (Atomics.load(h, PONG) !== seq) {
          if (++spins === 1 << 22) {
            spins = 0;
            if (process.hrtime.bigint() - start > deadlineNs) throw new Error('atomics pinger: no pong before the watchdog');
          }
        }
        received.set(pong);
      };
      try {
        const result = pingLoopSync(roundTrip, { count: Number(args['count']), budgetMs: Number(args['budgetMs'] ?? 0), record: args['record'] === true });
        return { count: result.count, elapsedNs: result.elapsedNs, cpu: result.cpu, ...(result.samples ? { samples: encodeSamples(result.samples) } : {}) };
      } finally {
        Atomics.store(h, STOP, 1);
      }
    });
  } else {
    throw new Error(`the Atomics floor has no ${spec.role} role (ping-pong only)`);
  }
  return {
    async close() {
      mapping?.close();
    },
  };
}
