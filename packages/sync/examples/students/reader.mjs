// The reader of the IPC series' shared-memory article, done right: started before the writer, it
// waits on the "ready" event (no polling, no sleeping and hoping), takes the mutex, reads the 30
// student records, and tells the writer it is done.
//
//   node reader.mjs <base name>
import { openRegion } from '@ipckit/shared-memory';
import { openMutex, openOrCreateEvent } from '@ipckit/sync';
import { COUNT, Student, names } from './student.mjs';

const base = process.argv[2] ?? 'students';
const n = names(base);
const ready = await openOrCreateEvent(n.ready, { manualReset: true });
const done = await openOrCreateEvent(n.done);
console.log(JSON.stringify({ event: 'waiting' }));
await ready.wait({ timeoutMs: 30_000 });
const region = await openRegion(n.region);
const lock = await openMutex(n.lock);
const students = [];
const guard = await lock.acquire({ timeoutMs: 10_000 });
try {
  for (let i = 0; i < COUNT; i++) students.push(region.readStruct(Student, i * Student.size));
} finally {
  guard.release();
}
console.log(JSON.stringify({ event: 'read', count: students.length, first: students[0], last: students[COUNT - 1] }));
done.set();
for (const o of [lock, region, ready, done]) o.close();
