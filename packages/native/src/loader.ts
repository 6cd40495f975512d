import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { IpcError } from '@ipckit/core';
import { ARCH, PLATFORM } from '@ipckit/sys';

/** What the compiled addon (src/addon.cc) exports. */
export interface NativeBinding {
  /** The kernel primitive behind waits: `futex` (Linux), `event` (Windows), `none` elsewhere. */
  readonly primitive: 'futex' | 'event' | 'none';
  /** The Node-API version the addon was built against. */
  readonly napiVersion: number;
  /** Detaches an ArrayBuffer (napi_detach_arraybuffer); false when V8 refuses. */
  detach(buffer: ArrayBuffer): boolean;
  /** True when the ArrayBuffer is detached. */
  isDetached(buffer: ArrayBuffer): boolean;
  readonly NativeWaiter: new (buffer: ArrayBuffer, byteOffset: number, name: string) => NativeWaiterHandle;
  readonly NativeSyncThread: new () => NativeSyncThreadHandle;
  /** sizeof(pthread_mutex_t); 0 where process-shared robust mutexes are not supported (Windows). */
  readonly mutexSize: number;
  mutexInit(buffer: ArrayBuffer, byteOffset: number): void;
  mutexTryLock(buffer: ArrayBuffer, byteOffset: number): 'acquired' | 'abandoned' | 'busy';
  mutexLock(buffer: ArrayBuffer, byteOffset: number, timeoutMs: number): 'acquired' | 'abandoned' | 'timed-out';
  mutexUnlock(buffer: ArrayBuffer, byteOffset: number): void;
  semPost(address: bigint, count: number): void;
}

/** How a blocking operation of a {@link NativeSyncThreadHandle} ended, and on which object. */
export interface NativeOutcome {
  result: 'done' | 'abandoned' | 'not-equal' | 'timed-out' | 'cancelled';
  index: number;
}

/** The addon's sync thread; {@link SyncThread} wraps it. */
export interface NativeSyncThreadHandle {
  waitHandles(handles: bigint[], timeoutMs: number): Promise<NativeOutcome>;
  waitHandlesSync(handles: bigint[], timeoutMs: number): NativeOutcome;
  releaseMutex(handle: bigint): void;
  semWait(address: bigint, timeoutMs: number): Promise<NativeOutcome>;
  semWaitSync(address: bigint, timeoutMs: number): NativeOutcome;
  waitWords(buffers: ArrayBuffer[], offsets: number[], expected: number[], timeoutMs: number): Promise<NativeOutcome>;
  waitWordsSync(buffers: ArrayBuffer[], offsets: number[], expected: number[], timeoutMs: number): NativeOutcome;
  wakeWord(buffer: ArrayBuffer, offset: number, count: number): void;
  cancel(): void;
  close(): void;
  ref(): NativeSyncThreadHandle;
  unref(): NativeSyncThreadHandle;
}

/** The addon's waiter object; {@link Waiter} wraps it. */
export interface NativeWaiterHandle {
  wait(expected: number, timeoutMs: number): Promise<string>;
  waitSync(expected: number, timeoutMs: number): string;
  wake(count: number): void;
  load(): number;
  close(): void;
  ref(): NativeWaiterHandle;
  unref(): NativeWaiterHandle;
}

const require = createRequire(import.meta.url);
// src/ and dist/ both sit one level below the package root.
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where an addon comes from: a prebuild shipped in the package, or a build from source on this machine. */
export type AddonKind = 'prebuild' | 'source';

/** One place the loader looks. */
export interface AddonCandidate {
  /** The `.node` file. */
  readonly path: string;
  readonly kind: AddonKind;
}

/** The platforms whose wait primitives the addon implements (everything else builds a stub). */
const SUPPORTED_PLATFORMS: readonly string[] = ['linux', 'win32'];

/**
 * Where the loader looks, in order: the prebuild shipped for this platform
 * (`prebuilds/<platform>-<arch>/`, node-gyp-build's layout), then a build
 * from source (`build/Release/`, made by `npm rebuild @ipckit/native` where no
 * prebuild fits). The prebuild comes first because it is what the package's
 * tests ran on. The environment variable `IPCKIT_NATIVE_ADDON=source` (or
 * `prebuild`) makes the loader try only that one.
 */
export function addonCandidates(
  platform: string = PLATFORM,
  arch: string = ARCH,
  only: string | undefined = process.env['IPCKIT_NATIVE_ADDON'],
): AddonCandidate[] {
  const all: AddonCandidate[] = [
    { path: join(packageRoot, 'prebuilds', `${platform}-${arch}`, 'ipckit_native.node'), kind: 'prebuild' },
    { path: join(packageRoot, 'build', 'Release', 'ipckit_native.node'), kind: 'source' },
  ];
  return only === 'prebuild' || only === 'source' ? all.filter((c) => c.kind === only) : all;
}

/** The paths of {@link addonCandidates}, in the order they are tried. */
export function candidatePaths(platform: string = PLATFORM, arch: string = ARCH): string[] {
  return addonCandidates(platform, arch).map((c) => c.path);
}

/** What prebuilds/manifest.json (written by scripts/prebuild.mjs) says about one prebuild. */
interface PrebuildFacts {
  libc?: string;
  /** The newest glibc symbol version it needs. */
  glibc?: string;
}

function prebuildFacts(platform: string, arch: string): PrebuildFacts | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'prebuilds', 'manifest.json'), 'utf8')) as { targets?: Record<string, PrebuildFacts> };
    return manifest.targets?.[`${platform}-${arch}`];
  } catch {
    return undefined;
  }
}

/** "2.17" < "2.28": negative, zero or positive. */
function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The version of the running glibc, or undefined when the C library is not
 * glibc (musl: Alpine) or cannot be told. Node's diagnostic report has it
 * (the method detect-libc uses first).
 */
export function glibcVersion(): string | undefined {
  // Without the network section: it resolves the names of open sockets, which can take seconds.
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean };
  const excluded = report.excludeNetwork;
  report.excludeNetwork = true;
  try {
    return (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  } finally {
    report.excludeNetwork = excluded;
  }
}

/**
 * Why the prebuild cannot serve this system, or undefined when it can. A
 * Linux prebuild is linked against glibc: loading it under musl can crash
 * the process instead of failing, so it is not even tried there.
 */
export function prebuildMismatch(platform: string = PLATFORM, arch: string = ARCH, glibc: () => string | undefined = glibcVersion): string | undefined {
  if (platform !== 'linux') return undefined;
  const facts = prebuildFacts(platform, arch);
  if (facts?.libc !== 'glibc') return undefined;
  const running = glibc();
  if (running === undefined) return 'skipped: built for glibc, and this C library is not glibc (musl?)';
  if (facts.glibc !== undefined && compareVersions(running, facts.glibc) < 0) return `skipped: needs glibc >= ${facts.glibc}, this system has ${running}`;
  return undefined;
}

let cached: { binding: NativeBinding; candidate: AddonCandidate } | undefined;
let failure: IpcError | undefined;

/** The advice that ends a failed load: what to do on this platform. */
function advice(): string {
  if (!SUPPORTED_PLATFORMS.includes(PLATFORM)) {
    return `${PLATFORM} is not supported: ipckit's shared memory and sync need Linux (glibc) or Windows.`;
  }
  return (
    'No prebuild fits this system. Build the addon from source with `npm rebuild @ipckit/native` ' +
    '(needs Python 3 and a C++17 compiler; npm 11 runs it once allowed: `npm install-scripts approve @ipckit/native`).'
  );
}

/**
 * Loads the addon once: the prebuild for this platform if it fits, else a
 * build from source. When none loads, it throws IpcError ENOTSUP naming
 * every path tried and why each failed (the approach of node-pty's
 * `loadNativeModule`), and keeps throwing the same error.
 */
export function loadNative(): NativeBinding {
  if (cached !== undefined) return cached.binding;
  if (failure !== undefined) throw failure;
  const tried: string[] = [];
  for (const candidate of addonCandidates()) {
    const mismatch = candidate.kind === 'prebuild' ? prebuildMismatch() : undefined;
    if (mismatch !== undefined) {
      tried.push(`  ${candidate.path}: ${mismatch}`);
      continue;
    }
    try {
      const binding = require(candidate.path) as NativeBinding;
      cached = { binding, candidate };
      return binding;
    } catch (error: unknown) {
      const e = error as { code?: unknown; message?: unknown };
      const why = e.code === 'MODULE_NOT_FOUND' ? 'not found' : String(e.message ?? error).split('\n')[0];
      tried.push(`  ${candidate.path}: ${why}`);
    }
  }
  failure = new IpcError('ENOTSUP', `@ipckit/native: no addon could be loaded for ${PLATFORM}-${ARCH}; tried:\n${tried.join('\n')}\n${advice()}`);
  throw failure;
}

/**
 * The addon, for a feature that cannot work without it: call it before
 * creating anything (a region, a socket), so that on a platform where the
 * addon is missing nothing is left behind. Throws IpcError ENOTSUP, naming
 * `feature`, when the addon cannot be loaded (with every path tried) or has
 * no cross-process wait primitive on this OS.
 *
 * ## Platform-specific behaviour
 * Linux (glibc) and Windows only. macOS and other systems fail here, as does
 * Linux with musl unless the addon was built from source there.
 */
export function requireNative(feature: string): NativeBinding {
  let binding: NativeBinding;
  try {
    binding = loadNative();
  } catch (error: unknown) {
    if (error instanceof IpcError) {
      const detail = error.message.replace(/^ENOTSUP: @ipckit\/native: /, '');
      throw new IpcError('ENOTSUP', `${feature} needs @ipckit/native, and ${detail}`, { cause: error });
    }
    throw error;
  }
  if (binding.primitive === 'none') {
    throw new IpcError(
      'ENOTSUP',
      `${feature} needs cross-process waits, which @ipckit/native implements on Linux and Windows only (this is ${PLATFORM}; the addon came from ${cached?.candidate.path})`,
    );
  }
  return binding;
}

/** The file the addon was loaded from, or undefined before the first load. */
export function loadedFrom(): string | undefined {
  return cached?.candidate.path;
}

/** Whether the loaded addon is the shipped prebuild or a build from source; undefined before the first load. */
export function loadedKind(): AddonKind | undefined {
  return cached?.candidate.kind;
}
