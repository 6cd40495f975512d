import type { ConformanceOptions } from '@ipckit/core/testing';

/** How the conformance suite runs on this transport (used by Vitest and by the Windows lane). */
export const conformanceOptions: ConformanceOptions = {
  label: 'named-pipe',
  moduleUrl: new URL('./index.js', import.meta.url).href,
  // Over the 255-byte name limit on every OS (Windows allows 247 characters after \\.\pipe\, POSIX ~100 bytes of path).
  badNames: ['x'.repeat(300)],
};
