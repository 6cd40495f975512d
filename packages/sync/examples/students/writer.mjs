// The writer of the IPC series' shared-memory article, done right: it creates the region, fills
// 30 student records while holding the mutex, sets the "ready" event, and keeps everything open
// until the reader says it is done (the objects go with their last handle on Windows, and with
// their creator's close on POSIX).
//
//   node writer.mjs <base name>        (start reader.mjs first, or after: either order works)
import { createRegion } from '@ipckit/shared-memory';
import { openOrCreateEvent, openOrCreateMutex } from '@ipckit/sync';
import { COUNT, Student, names, student } from './student.mjs';

const base = process.argv[2] ?? 'students';
const n = names(base);
const ready = await openOrCreateEvent(n.ready, { manualReset: true });
const done = await openOrCreateEvent(n.done);
const region = await createRegion(n.region, COUNT * Student.size);
const lock = await openOrCreateMutex(n.lock);
const guard = await lock.acquire({ timeoutMs: 10_000 });
try {
  for (let i = 0; i < COUNT; i++) region.writeStruct(Student, student(i), i * Student.size);
} finally {
  guard.release();
}
console.log(JSON.stringify({ event: 'written', count: COUNT, recordBytes: Student.size }));
ready.set();
await done.wait({ timeoutMs: 30_000 });
for (const o of [lock, region, ready, done]) o.close();
console.log(JSON.stringify({ event: 'done' }));
