/** Where a run happened: recorded in the JSON and shown in every report. */
import { readdirSync, readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, hostname, release, totalmem, type, version } from 'node:os';
import { PLATFORM } from '@ipckit/sys';
import type { Environment } from './results.js';

export const WINE_LABEL = 'win32 under Wine — absolute numbers are not Windows numbers';

/** CPU 0's last-level cache from Linux sysfs ("32768K"), bytes; undefined elsewhere. */
function lastLevelCache(): number | undefined {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  try {
    let best: { level: number; bytes: number } | undefined;
    for (const entry of readdirSync(dir)) {
      if (!entry.startsWith('index')) continue;
      const level = Number(readFileSync(`${dir}/${entry}/level`, 'utf8'));
      const m = /^(\d+)([KMG]?)/.exec(readFileSync(`${dir}/${entry}/size`, 'utf8').trim());
      if (!m) continue;
      const unit: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
      const bytes = Number(m[1]) * (unit[m[2] ?? ''] ?? 1);
      if (!best || level > best.level) best = { level, bytes };
    }
    return best?.bytes;
  } catch {
    return undefined;
  }
}

/** `underWine` comes from the --windows launcher (node.exe cannot tell on its own without FFI). */
export function collectEnvironment(options: { underWine?: boolean; wineVersion?: string } = {}): Environment {
  const cpuList = cpus();
  const underWine = options.underWine === true;
  const cacheBytes = lastLevelCache();
  return {
    label: underWine ? WINE_LABEL : `${PLATFORM} ${arch()}`,
    platform: PLATFORM,
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
    ...(cacheBytes ? { cacheBytes } : {}),
    hostname: hostname(),
    clock: 'process.hrtime.bigint() (CLOCK_MONOTONIC on Linux, QueryPerformanceCounter on Windows: one clock for every process)',
  };
}
