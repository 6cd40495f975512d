import type { ConformanceOptions } from '@ipckit/core/testing';

/** How the conformance suite runs on this transport (used by Vitest and by the Windows lane). */
export const conformanceOptions: ConformanceOptions = {
  label: 'shared-memory',
  moduleUrl: new URL('./index.js', import.meta.url).href,
  badNames: ['x'.repeat(101)],
};
