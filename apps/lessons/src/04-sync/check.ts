/**
 * Lesson 4, the next holder: takes the mutex <name>.lock, says whether the previous holder died
 * holding it (abandoned), checks the record and repairs it if it was left half-written.
 *
 *   node dist/04-sync/check.js <name>
 */
import { openRegion } from '@ipckit/shared-memory';
import { openMutex } from '@ipckit/sync';
import { arg, say } from '../common/say.js';
import { A, Record, consistent, show } from './record.js';

const name = arg(0, 'region name');
const region = await openRegion(name);
const lock = await openMutex(`${name}.lock`);

// #region check
{
  using guard = await lock.acquire({ timeoutMs: 10_000 }); // released at the end of the block
  const r = region.readStruct(Record);
  say(`took the lock; abandoned: ${String(guard.abandoned)}; the record is ${consistent(r) ? 'consistent' : 'torn'}: ${show(r)}`);
  if (guard.abandoned || !consistent(r)) {
    region.writeStruct(Record, A);
    say(`repaired it: ${show(A)}`);
  }
}
// #endregion check
lock.close();
region.close();
