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

/** Where the loader looks, in order: the local node-gyp build, then the shipped prebuild. */
export function candidatePaths(platform: string = PLATFORM, arch: string = ARCH): string[] {
  return [join(packageRoot, 'build', 'Release', 'ipckit_native.node'), join(packageRoot, 'prebuilds', `${platform}-${arch}`, 'ipckit_native.node')];
}

let cached: { binding: NativeBinding; path: string } | undefined;

/**
 * Loads the addon once: the local build if there is one, else the prebuild
 * for this platform. When none loads, the error names every path tried and
 * why it failed (the approach of node-pty's `loadNativeModule`).
 */
export function loadNative(): NativeBinding {
  if (cached !== undefined) return cached.binding;
  const failures: string[] = [];
  for (const path of candidatePaths()) {
    try {
      const binding = require(path) as NativeBinding;
      cached = { binding, path };
      return binding;
    } catch (error: unknown) {
      const e = error as { code?: unknown; message?: unknown };
      const why = e.code === 'MODULE_NOT_FOUND' ? 'not found' : String(e.message ?? error);
      failures.push(`  ${path}: ${why}`);
    }
  }
  throw new IpcError(
    'ENOTSUP',
    `@ipckit/native: no addon could be loaded for ${PLATFORM}-${ARCH}; tried:\n${failures.join('\n')}\n` +
      'Build it with `npm rebuild @ipckit/native` (needs a C++ toolchain and Python for node-gyp).',
  );
}

/** The file the addon was loaded from, or undefined before the first load. */
export function loadedFrom(): string | undefined {
  return cached?.path;
}
