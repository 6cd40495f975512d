/** Where a run happened: recorded in the JSON and shown in every report. */
import { arch, availableParallelism, cpus, hostname, release, totalmem, type, version } from 'node:os';
import type { Environment } from './results.js';

export const WINE_LABEL = 'win32 under Wine — absolute numbers are not Windows numbers';

/** `underWine` comes from the --windows launcher (node.exe cannot tell on its own without FFI). */
export function collectEnvironment(options: { underWine?: boolean; wineVersion?: string } = {}): Environment {
  const cpuList = cpus();
  const underWine = options.underWine === true;
  return {
    label: underWine ? WINE_LABEL : `${process.platform} ${arch()}`,
    platform: process.platform,
    arch: arch(),
    underWine,
    ...(options.wineVersion ? { wineVersion: options.wineVersion } : {}),
    cpuModel: cpuList[0]?.model.trim() || 'unknown',
    cores: availableParallelism(),
    totalMemoryBytes: totalmem(),
    os: { type: type(), release: release(), version: version() },
    kernel: `${type()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
    hostname: hostname(),
    clock: 'process.hrtime.bigint() (CLOCK_MONOTONIC on Linux, QueryPerformanceCounter on Windows: one clock for every process)',
  };
}
