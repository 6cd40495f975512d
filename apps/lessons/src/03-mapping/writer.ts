/**
 * Lesson 3, the writer: creates a named region, writes the article's student record at offset 0 and
 * a line of text at offset 70,000, then keeps the region until stdin says `close`.
 *
 *   node dist/03-mapping/writer.js <name>
 *
 * Windows: CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, size, name), backed by
 * the paging file, then MapViewOfFile. POSIX: shm_open(O_CREAT | O_EXCL, 0600), ftruncate, mmap.
 */
import { createRegion } from '@ipckit/shared-memory';
import { commands } from '../common/commands.js';
import { arg, encode, say } from '../common/say.js';
import { FAR_OFFSET, REGION_BYTES, Student, layouts } from './student.js';

const name = arg(0, 'region name');

for (const [os, layout] of Object.entries(layouts)) {
  const [id, text] = layout.fields;
  const padding = layout.size - (text?.offset ?? 0) - (text?.size ?? 0);
  say(
    `struct student on ${os}: ${String(layout.size)} bytes (ID: ${String(id?.size)} bytes at 0, name: 20 bytes at ${String(text?.offset)}, ${String(padding)} bytes of padding)`,
  );
}

// #region write
// Created exclusively: EADDRINUSE if the name exists, never someone else's region by surprise.
const region = await createRegion(name, REGION_BYTES);
say(`created the region "${name}", ${String(region.size)} bytes`);
region.writeStruct(Student, { ID: 99041232, name: 'SecBug' });
say(`wrote {ID: 99041232, name: "SecBug"} at offset 0, ${String(Student.size)} bytes`);
region.write(encode('far from the start\0'), FAR_OFFSET);
say(`wrote "far from the start" at offset ${String(FAR_OFFSET)}`);
// #endregion write

const input = commands();
for (let line = await input.next(); line !== undefined && line !== 'close'; line = await input.next());
input.close();
// #region close
region.close(); // UnmapViewOfFile + CloseHandle; on POSIX munmap, close and (the creator) shm_unlink
say('closed the region');
// #endregion close
