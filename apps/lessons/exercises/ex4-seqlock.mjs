// Lesson 4, exercise: a seqlock. Complete the TODOs, then check your attempt: npm run lesson -- check 4
// (the solution: src/exercises/ex4-seqlock.ts)
//
//   node ex4-seqlock.mjs write <name>            flips the record until a line on stdin, says "writing"
//   node ex4-seqlock.mjs read <name> <count>     prints "read <count> copies: <n> torn, after <n> retries"
//
// The region: a 4-byte sequence number at byte 0, the record at byte 8: an Int32 ID and 28 bytes of
// name, {1, "AAA…"} or {2, "BBB…"}. A copy is torn when its name is not all one letter or does not
// match its ID.
import { createRegion, openRegion } from '@ipckit/shared-memory';
import { setImmediate } from 'node:timers/promises';

const [mode, name, count] = process.argv.slice(2);
const RECORD_AT = 8;
const SIZE = 32;
const record = (id) => {
  const bytes = new Uint8Array(SIZE);
  new DataView(bytes.buffer).setInt32(0, id, true);
  bytes.fill(id === 1 ? 65 : 66, 4);
  return bytes;
};
const torn = (copy) => {
  const id = new DataView(copy.buffer, copy.byteOffset).getInt32(0, true);
  const letter = id === 1 ? 65 : id === 2 ? 66 : -1;
  return copy.subarray(4).some((b) => b !== letter);
};

if (mode === 'write') {
  const region = await createRegion(name, RECORD_AT + SIZE);
  region.bytes.set(record(1), RECORD_AT);
  console.log('writing');
  let stop = false;
  process.stdin.on('data', () => (stop = true));
  for (let id = 2; !stop; id = 3 - id) {
    // TODO: make the sequence number odd before the write and even after it (Atomics on an Int32Array
    //       over the region's first 4 bytes).
    region.bytes.set(record(id), RECORD_AT);
    await setImmediate();
  }
  await region.close();
} else {
  const region = await openRegion(name);
  let tornCopies = 0;
  const retries = 0;
  for (let i = 0; i < Number(count); i++) {
    // TODO: keep a copy only if the sequence number was even and unchanged across it; else retry.
    const copy = region.bytes.slice(RECORD_AT, RECORD_AT + SIZE);
    if (torn(copy)) tornCopies++;
    if (i % 1000 === 0) await setImmediate();
  }
  console.log(`read ${count} copies: ${tornCopies} torn, after ${retries} retries`);
  await region.close();
}
