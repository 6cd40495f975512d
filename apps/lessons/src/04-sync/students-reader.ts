/**
 * Lesson 4, the students reader: started before the writer, it waits on the event "ready" (asleep in
 * the kernel, no polling), reads the 30 records under the mutex, and sets "done".
 *
 *   node dist/04-sync/students-reader.js <base name>
 */
import { openRegion } from '@ipckit/shared-memory';
import { openMutex, openOrCreateEvent } from '@ipckit/sync';
import { arg, say } from '../common/say.js';
import { COUNT, Student, names } from './students.js';

const n = names(arg(0, 'base name'));

// #region reader
const ready = await openOrCreateEvent(n.ready, { manualReset: true });
const done = await openOrCreateEvent(n.done);
say('waiting for "ready"');
await ready.wait({ timeoutMs: 30_000 });
const region = await openRegion(n.region);
const lock = await openMutex(n.lock);
const students = [];
{
  using _guard = await lock.acquire({ timeoutMs: 10_000 });
  for (let i = 0; i < COUNT; i++) students.push(region.readStruct(Student, i * Student.size));
}
const [first, last] = [students[0], students[COUNT - 1]];
say(
  `read ${String(students.length)} records: first {ID: ${String(first?.ID)}, name: "${String(first?.name)}"}, last {ID: ${String(last?.ID)}, name: "${String(last?.name)}"}`,
);
done.set();
for (const o of [lock, region, ready, done]) o.close();
// #endregion reader
