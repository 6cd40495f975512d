import type { ConformanceOptions } from '@ipckit/core/testing';

/** How the conformance suite runs on this transport (used by Vitest and by the Windows lane). */
export const conformanceOptions: ConformanceOptions = {
  label: 'mailslot',
  moduleUrl: new URL('./index.js', import.meta.url).href,
  // Within the 255-byte name rule, but over the POSIX sun_path limit and, once
  // prefixed with \\.\mailslot\, over the Windows MAX_PATH limit.
  badNames: ['x'.repeat(250)],
};
