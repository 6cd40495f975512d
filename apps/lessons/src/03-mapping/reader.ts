/**
 * Lesson 3, the reader: opens the region by name, read-only, reads the student record, and maps a
 * second, small view at offset 70,000, which is not a multiple of the allocation granularity.
 *
 *   node dist/03-mapping/reader.js <name>
 *
 * Windows: OpenFileMappingW(FILE_MAP_READ) and MapViewOfFile(FILE_MAP_READ). POSIX: shm_open(O_RDONLY)
 * and mmap(PROT_READ). Either way the view's offset must be a multiple of the granularity (64 KiB on
 * Windows, the page size on POSIX): ipckit maps from the multiple below and skips the difference.
 */
import { openRegion, viewGranularity } from '@ipckit/shared-memory';
import { arg, decode, say } from '../common/say.js';
import { FAR_OFFSET, Student } from './student.js';

const name = arg(0, 'region name');

// #region read
const region = await openRegion(name, { readOnly: true });
const student = region.readStruct(Student);
say(`read {ID: ${String(student.ID)}, name: "${student.name}"}`);

const granularity = await viewGranularity();
const from = Math.floor(FAR_OFFSET / granularity) * granularity;
const view = region.view(FAR_OFFSET, 32, { readOnly: true });
const text = decode(view.read()).split('\0')[0] ?? '';
say(`a view at offset ${String(FAR_OFFSET)}: "${text}"`);
say(`(the OS mapped it from ${String(from)}, a multiple of ${String(granularity)}; the first ${String(FAR_OFFSET - from)} bytes are skipped)`);
view.close();
region.close();
// #endregion read
