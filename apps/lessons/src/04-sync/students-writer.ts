/**
 * Lesson 4, the students writer: creates the region, fills 30 records while holding the mutex, sets
 * the manual-reset event "ready", and keeps everything open until the reader sets "done" (a Windows
 * object goes with its last handle; a POSIX one with its creator's close).
 *
 *   node dist/04-sync/students-writer.js <base name>
 */
import { createRegion } from '@ipckit/shared-memory';
import { openOrCreateEvent, openOrCreateMutex } from '@ipckit/sync';
import { arg, say } from '../common/say.js';
import { COUNT, Student, names, student } from './students.js';

const n = names(arg(0, 'base name'));

// #region writer
const ready = await openOrCreateEvent(n.ready, { manualReset: true });
const done = await openOrCreateEvent(n.done);
const region = await createRegion(n.region, COUNT * Student.size);
const lock = await openOrCreateMutex(n.lock);
{
  using _guard = await lock.acquire({ timeoutMs: 10_000 });
  for (let i = 0; i < COUNT; i++) region.writeStruct(Student, student(i), i * Student.size);
}
say(`wrote ${String(COUNT)} records of ${String(Student.size)} bytes under the mutex; setting "ready"`);
ready.set();
await done.wait({ timeoutMs: 30_000 });
say('the reader set "done": closing everything');
for (const o of [lock, region, ready, done]) o.close();
// #endregion writer
