/**
 * Lesson 4, the writer that never stops: flips the shared record between {1, "AAA…"} and {2, "BBB…"}
 * as fast as it can, until stdin says `stop`. With --lock it holds the named mutex <name>.lock around
 * each write. With --still it only keeps the record {1, "AAA…"} and the mutex, for others to use. It
 * creates the region <name> (and the mutex) and removes them when it stops.
 *
 *   node dist/04-sync/flipper.js <name> [--lock] [--still]
 */
import { createRegion } from '@ipckit/shared-memory';
import { createMutex } from '@ipckit/sync';
import { setImmediate } from 'node:timers/promises';
import { sleep } from '../common/commands.js';
import { arg, say } from '../common/say.js';
import { A, B, Record } from './record.js';

const name = arg(0, 'region name');
const still = process.argv.includes('--still');
const locked = still || process.argv.includes('--lock');

const region = await createRegion(name, Record.size);
region.writeStruct(Record, A);
const lock = locked ? await createMutex(`${name}.lock`) : undefined;
say(
  still
    ? 'created the record {1, "AAA…"} and its mutex; not writing'
    : `flipping the record between {1, "AAA…"} and {2, "BBB…"}${locked ? ', holding the mutex for each write' : ', no lock'}`,
);

const input = { stop: false }; // any line on stdin stops it
process.stdin.on('data', () => (input.stop = true));
let writes = 0;
while (!input.stop) {
  if (still) {
    await sleep(20);
    continue;
  }
  // #region flip
  for (let i = 0; i < 200; i++) {
    const guard = lock?.acquireSync({ timeoutMs: 10_000 });
    region.writeStruct(Record, writes % 2 === 0 ? B : A); // a struct copy: 32 bytes, not one atomic store
    guard?.release();
    writes++;
  }
  // #endregion flip
  await setImmediate(); // let stdin's `stop` in; the lock is free meanwhile
}
process.stdin.destroy();
lock?.close();
region.close();
say(still ? 'stopped' : `stopped after ${String(writes)} writes`);
