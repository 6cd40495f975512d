// The records of the IPC series' file-mapping article: `struct student { long ID; char name[20]; }`,
// 24 bytes on Windows (a 4-byte long) and 32 on 64-bit Linux (an 8-byte long, then padding).
import { defineStruct } from '@ipckit/shared-memory';

export const Student = defineStruct({ ID: 'long', name: 'char[20]' });
export const COUNT = 30;

/** The objects of one run, all named after `base`. */
export function names(base) {
  return { region: base, lock: `${base}.lock`, ready: `${base}.ready`, done: `${base}.done` };
}

/** Student i as the writer fills it in. */
export function student(i) {
  return { ID: 99041200 + i, name: `student-${String(i).padStart(2, '0')}` };
}
