/**
 * The record of the series' file-mapping article, `struct student { long ID; char name[20]; }`, laid
 * out as the C compiler lays it out: 24 bytes on Windows, where `long` is 4 bytes (LLP64), and 32 on
 * 64-bit Linux, where it is 8 (LP64) and the struct is padded to a multiple of 8. A program that
 * shares it across the two must use fixed-width types (int32_t, int64_t) instead.
 */
import { defineStruct } from '@ipckit/shared-memory';

// #region struct
export const Student = defineStruct({ ID: 'long', name: 'char[20]' }); // this OS's layout
export const layouts = {
  Windows: defineStruct({ ID: 'long', name: 'char[20]' }, { platform: 'win32' }),
  'Linux (64-bit)': defineStruct({ ID: 'long', name: 'char[20]' }, { platform: 'posix' }),
};
// #endregion struct

/** Where the writer puts a second message, past the first 64 KiB, for views at an odd offset. */
export const FAR_OFFSET = 70_000;
/** The region's size: room for the far message. */
export const REGION_BYTES = 128 * 1024;
