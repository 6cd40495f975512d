/**
 * Lesson 4, a reader of the shared record: reads it again and again and counts the reads that caught
 * it half-written (torn). Without a lock it reads until it has seen one (at most 10 s); with --lock it
 * takes the mutex <name>.lock for each read, <count> times.
 *
 *   node dist/04-sync/peek.js <name> [--lock <count>]
 */
import { openRegion } from '@ipckit/shared-memory';
import { openMutex } from '@ipckit/sync';
import { arg, say } from '../common/say.js';
import { Record, consistent, show } from './record.js';

const name = arg(0, 'region name');
const lockAt = process.argv.indexOf('--lock');
const region = await openRegion(name, { readOnly: true });

if (lockAt < 0) {
  // #region torn
  let reads = 0;
  let torn = 0;
  let example;
  const deadline = Date.now() + 10_000;
  while ((torn === 0 || reads < 100_000) && Date.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      const r = region.readStruct(Record); // no lock: the writer may be halfway through
      reads++;
      if (!consistent(r)) {
        torn++;
        example ??= r;
      }
    }
  }
  say(`read ${String(reads)} times without the lock: ${String(torn)} torn${example ? `, e.g. ${show(example)}` : ''}`);
  // #endregion torn
} else {
  const count = Number(process.argv[lockAt + 1] ?? 1000);
  const lock = await openMutex(`${name}.lock`);
  // #region locked
  let torn = 0;
  for (let i = 0; i < count; i++) {
    const guard = lock.acquireSync({ timeoutMs: 10_000 });
    const r = region.readStruct(Record);
    guard.release();
    if (!consistent(r)) torn++;
  }
  say(`read ${String(count)} times with the lock: ${String(torn)} torn`);
  // #endregion locked
  lock.close();
}
region.close();
