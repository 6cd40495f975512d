/**
 * Lesson 4, the lock-free ring: a producer writes <count> messages into a ring in a named region, and
 * a consumer in another process (c/ring_consumer.c) reads them. No lock: the producer alone writes
 * `head` (bytes ever produced), the consumer alone writes `tail` (bytes ever consumed); each publishes
 * its own with one atomic store and only reads the other's. This is the ring of every shm:// channel
 * (docs/ring-protocol.md), here without the bells: when the ring is full the producer sleeps a
 * millisecond and looks again, where the channel would sleep on a futex or an event.
 *
 *   node dist/04-sync/ring-producer.js <name> <count>
 * Then on stdin: `go` (the consumer has attached: write), `close` (say what happened, close the region).
 */
import { RingWriter, createRegion, initRing, ringBytes } from '@ipckit/shared-memory';
import { commands, sleep } from '../common/commands.js';
import { arg, encode, say } from '../common/say.js';

const name = arg(0, 'region name');
const count = Number(arg(1, 'message count'));
const CAPACITY = 4096;
/** `head` is the header's word 16 (byte 64), on the producer's cache line; `tail` word 32 (byte 128), on the consumer's. */
const HEAD = 16;
const TAIL = 32;

// #region ring
const region = await createRegion(name, ringBytes(CAPACITY));
const memory = region.bytes.buffer as ArrayBuffer; // the mapping, shared with the consumer
initRing(memory, region.bytes.byteOffset, CAPACITY);
const ring = new RingWriter(memory, region.bytes.byteOffset);
say(`a ring of ${String(CAPACITY)} bytes in the region "${name}"; head = tail = 0`);
// #endregion ring

const input = commands();
await input.next(); // `go`: the consumer has attached

// #region produce
let full = 0;
for (let i = 1; i <= count; i++) {
  const message = encode(`message ${String(i).padStart(4, '0')}`);
  while (!ring.tryWriteWhole(message)) {
    full++; // the consumer's tail is a whole ring behind: wait for it
    await sleep(1);
  }
}
// #endregion produce
await input.next(); // `close`
input.close();
const head = Atomics.load(ring.h, HEAD) >>> 0;
const tail = Atomics.load(ring.h, TAIL) >>> 0;
say(`wrote ${String(count)} messages of 12 bytes; head = ${String(head)}, tail = ${String(tail)}; the ring was full ${String(full)} times`);
region.close();
