/** Number formatting shared by the table, the HTML report and compare. */

const SIZE_UNITS: Array<[number, string]> = [
  [1024 * 1024, 'MiB'],
  [1024, 'KiB'],
];

/** 8 -> "8 B", 65536 -> "64 KiB", 1048576 -> "1 MiB". */
export function formatSize(bytes: number): string {
  for (const [unit, name] of SIZE_UNITS) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit} ${name}`;
  }
  for (const [unit, name] of SIZE_UNITS) {
    if (bytes >= unit) return `${(bytes / unit).toFixed(1)} ${name}`;
  }
  return `${bytes} B`;
}

/** "8", "64", "1k", "64k", "1m", "1mib", "512b" -> bytes. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(text);
  if (!match) throw new Error(`bad message size ${JSON.stringify(text)} (examples: 8, 512, 4k, 64KiB, 1m)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const bytes = Math.round(value * factor);
  if (bytes < 1) throw new Error(`message size ${text} is below 1 byte`);
  return bytes;
}

/** Nanoseconds as "850 ns", "12.3 µs", "4.56 ms", "1.23 s" (3 significant digits). */
export function formatNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '–';
  if (ns < 1_000) return `${sig(ns)} ns`;
  if (ns < 1_000_000) return `${sig(ns / 1_000)} µs`;
  if (ns < 1_000_000_000) return `${sig(ns / 1_000_000)} ms`;
  return `${sig(ns / 1_000_000_000)} s`;
}

/** 3 significant digits, no exponent. */
export function sig(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** 1234567 -> "1.23 M", 4321 -> "4.32 k". */
export function formatCount(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  if (value >= 1e9) return `${sig(value / 1e9)} G`;
  if (value >= 1e6) return `${sig(value / 1e6)} M`;
  if (value >= 1e3) return `${sig(value / 1e3)} k`;
  return sig(value);
}

/** Megabytes per second (10^6 bytes). */
export function formatMBps(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value >= 1000 ? `${(value / 1000).toFixed(value >= 10_000 ? 1 : 2)} GB/s` : `${sig(value)} MB/s`;
}

/** Bytes as MiB with one decimal. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '–';
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A ratio as "×2.35" (or "–"). */
export function formatRatio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `×${sig(value)}`;
}

/** A percentage of one core as "0.38 %" (or "–"). */
export function formatPercent(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${sig(value)} %`;
}
