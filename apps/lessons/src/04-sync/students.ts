/**
 * The students scenario of the series' articles, done right (after packages/sync/examples/students):
 * a writer fills 30 `struct student` records under a named mutex and says so with a named event; a
 * reader started first waits on that event instead of polling, reads under the mutex, and answers
 * with a second event. The objects of one run are all named after one base name.
 */
import { defineStruct } from '@ipckit/shared-memory';

// #region names
export const Student = defineStruct({ ID: 'long', name: 'char[20]' }); // the article's struct student
export const COUNT = 30;
export const names = (base: string) => ({ region: base, lock: `${base}.lock`, ready: `${base}.ready`, done: `${base}.done` });
// #endregion names

/** Student i as the writer fills it in. */
export const student = (i: number) => ({ ID: 99041200 + i, name: `student-${String(i).padStart(2, '0')}` });
