/**
 * Lesson 4, exercise: a seqlock. One writer, any number of readers, and no lock: the writer makes a
 * sequence number odd before it writes and even again after; a reader copies the record and keeps the
 * copy only if the number was even and unchanged across the copy, else it tries again. Readers never
 * block the writer (unlike a mutex); they pay by retrying.
 *
 *   node dist/exercises/ex4-seqlock.js write <name>            flips the record until `stop` on stdin
 *   node dist/exercises/ex4-seqlock.js read <name> <count>     reads <count> consistent copies
 */
import { createRegion, openRegion } from '@ipckit/shared-memory';
import { setImmediate } from 'node:timers/promises';
import { A, B, Record, consistent } from '../04-sync/record.js';
import { arg, say } from '../common/say.js';

const [mode, name] = [arg(0, 'write or read'), arg(1, 'region name')];
const RECORD_AT = 8; // the sequence number is the first 4 bytes; the record starts at byte 8

// #region solution
if (mode === 'write') {
  const region = await createRegion(name, RECORD_AT + Record.size);
  const seq = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 1);
  region.writeStruct(Record, A, RECORD_AT);
  say('writing, with a sequence number around each write');
  const input = { stop: false };
  process.stdin.on('data', () => (input.stop = true));
  for (let n = 0; !input.stop; n++) {
    Atomics.add(seq, 0, 1); // odd: a write is under way
    region.writeStruct(Record, n % 2 === 0 ? B : A, RECORD_AT);
    Atomics.add(seq, 0, 1); // even: the record is whole again
    if (n % 200 === 0) await setImmediate();
  }
  process.stdin.destroy();
  region.close();
} else {
  const region = await openRegion(name);
  const seq = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 1);
  let torn = 0;
  let retries = 0;
  for (let i = 0; i < Number(arg(2, 'count')); i++) {
    for (;;) {
      const before = Atomics.load(seq, 0);
      const copy = region.readStruct(Record, RECORD_AT);
      if (before % 2 === 0 && Atomics.load(seq, 0) === before) {
        if (!consistent(copy)) torn++;
        break;
      }
      retries++; // the writer was at work: copy again
    }
  }
  say(`read ${arg(2, 'count')} copies: ${String(torn)} torn, after ${String(retries)} retries`);
  region.close();
}
// #endregion solution
