/**
 * Lesson 4, a process that dies holding the lock: takes the mutex <name>.lock, starts an update (the
 * ID only), says so, and waits to be killed before it writes the name.
 *
 *   node dist/04-sync/holder.js <name>
 */
import { defineStruct, openRegion } from '@ipckit/shared-memory';
import { openMutex } from '@ipckit/sync';
import { arg, say } from '../common/say.js';

const name = arg(0, 'region name');
const region = await openRegion(name);
const lock = await openMutex(`${name}.lock`);

// #region hold
await lock.acquire({ timeoutMs: 10_000 });
region.writeStruct(defineStruct({ ID: 'int32' }), { ID: 2 }); // the first half of the update...
say('holding the lock; wrote ID 2, not yet the name');
setInterval(() => undefined, 60_000); // something to wait for: this process does not end, it is ended
await new Promise(() => undefined); // ...and the process is killed here
// #endregion hold
