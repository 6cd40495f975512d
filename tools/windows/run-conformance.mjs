// Runs one transport's conformance suite under node:test. The Windows lane starts it with node.exe
// under Wine (lane.mjs), but it is plain Node and runs anywhere:
//   node --test-reporter=tap tools/windows/run-conformance.mjs named-pipe
// The argument is the package name, with or without the @ipckit/ scope. node:test runs the tests
// it registers when the script ends, so the reporter's counts are the suite's real counts.
//
// IPCKIT_TIMEOUT_SCALE multiplies every watchdog of the suite (ConformanceOptions.timeoutScale);
// the lane sets it because starting a peer node.exe under Wine takes far longer than on Linux.
import { describe, it } from 'node:test';
import { runConformance, runTopicConformance } from '@ipckit/core/testing';

const name = process.argv[2];
if (!name) {
  console.error('usage: run-conformance.mjs <package>   e.g. named-pipe or @ipckit/tcp');
  process.exit(2);
}
const specifier = `${name.startsWith('@') ? name : `@ipckit/${name}`}/testing`;
const { conformanceOptions } = await import(specifier);
if (!conformanceOptions) throw new Error(`${specifier} exports no conformanceOptions`);

const scale = Number(process.env.IPCKIT_TIMEOUT_SCALE ?? '');
const options =
  Number.isFinite(scale) && scale > 0 ? { ...conformanceOptions, timeoutScale: (conformanceOptions.timeoutScale ?? 1) * scale } : conformanceOptions;

const api = { describe, test: (testName, fn, timeoutMs) => it(testName, { timeout: timeoutMs }, fn) };
runConformance(api, options);
// The topics section: every rule where the transport has topics, ENOTSUP where it has none.
await runTopicConformance(api, options);
