/**
 * The record lessons 4's programs share, in Node and in C (c/sync.h): fixed-width fields, so it is 32
 * bytes on every OS, unlike the article's `long` (lesson 3). A consistent record is {1, "AAA…"} or
 * {2, "BBB…"}: the name's letter matches the ID. Anything else was caught half-written.
 */
import { defineStruct } from '@ipckit/shared-memory';

// #region record
export const Record = defineStruct({ ID: 'int32', name: 'char[28]' }); // struct record { int32_t ID; char name[28]; }
export const A = { ID: 1, name: 'A'.repeat(27) };
export const B = { ID: 2, name: 'B'.repeat(27) };

/** True when the name is all one letter and that letter goes with the ID. */
export function consistent(r: { ID: number; name: string }): boolean {
  const expected = r.ID === 1 ? A.name : r.ID === 2 ? B.name : undefined;
  return r.name === expected;
}
// #endregion record

/** A record as the lessons print it. */
export const show = (r: { ID: number; name: string }): string => `{ID: ${String(r.ID)}, name: "${r.name}"}`;
