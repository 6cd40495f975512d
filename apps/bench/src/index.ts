/**
 * @ipckit/bench as a library: run the benchmark and render its reports from
 * your own program. The command line is `ipckit-bench` (cli.ts).
 */
export { runBench, type Progress, type RunConfig } from './runner.js';
export { PROFILES, DEFAULT_SIZES, QUICK_SIZES, type Profile } from './profile.js';
export { TARGETS, TRANSPORT_IDS, BASELINE_IDS, type TargetDef, type Probe } from './targets.js';
export { renderTable } from './report/table.js';
export { renderHtml } from './report/html.js';
export { renderCompare, checkRun } from './report/compare.js';
export * from './results.js';
