/**
 * Lesson 3, a file-backed mapping: the same calls with a real file behind the memory instead of the
 * paging file (Windows) or /dev/shm (Linux). What is written through the mapping is in the file.
 *
 *   node dist/03-mapping/file.js <path>
 *
 * Windows: CreateFileW, CreateFileMappingW(file), MapViewOfFile, FlushViewOfFile. POSIX: open,
 * ftruncate, mmap(MAP_SHARED), msync.
 */
import { basename } from 'node:path';
import { openFileRegion } from '@ipckit/shared-memory';
import { arg, encode, say } from '../common/say.js';

const path = arg(0, 'file path');

// #region file
const region = await openFileRegion(path, { size: 4096, create: true });
region.write(encode('written through a mapping\n'));
region.flush(); // FlushViewOfFile + FlushFileBuffers / msync(MS_SYNC): on disk now
region.close();
say(`mapped ${basename(path)} (4096 bytes), wrote a line through the mapping, flushed, closed`);
// #endregion file
