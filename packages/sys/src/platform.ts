/**
 * The one place ipckit asks which OS it runs on. Transports choose their OS
 * backend through {@link backendLoader} and pick per-OS values with
 * {@link byBackend}; nothing else reads `process.platform`.
 */
import type { Backend } from '@ipckit/core';

/** Node's name for this OS (`linux`, `win32`, `darwin`, ...). */
export const PLATFORM: NodeJS.Platform = process.platform;

/** Node's name for this CPU architecture (`x64`, `arm64`, ...). */
export const ARCH: string = process.arch;

/** Which family of OS APIs ipckit's backends use here: the Win32 API on Windows, POSIX elsewhere. */
export const BACKEND: Backend = PLATFORM === 'win32' ? 'win32' : 'posix';

/** True on Linux, where POSIX shared memory objects are files in /dev/shm that can be listed and inspected. */
export const IS_LINUX: boolean = PLATFORM === 'linux';

/** Size in bytes of C `long`: 4 on Windows (LLP64), 8 on 64-bit POSIX (LP64). */
export const C_LONG_BYTES: 4 | 8 = BACKEND === 'win32' ? 4 : 8;

/** The value for this OS's backend, e.g. a Capabilities `primitive` text. */
export function byBackend<T>(choices: Readonly<Record<Backend, T>>): T {
  return choices[BACKEND];
}

/**
 * A loader for a transport's OS backend: the first call imports this OS's
 * module (the other OS's code is never loaded) and every call returns the
 * same promise.
 *
 * ```ts
 * const pipeBackend = backendLoader<PipeBackend>({
 *   win32: async () => (await import('./windows.js')).windowsBackend,
 *   posix: async () => (await import('./posix.js')).posixBackend,
 * });
 * ```
 */
export function backendLoader<T>(loaders: Readonly<Record<Backend, () => Promise<T>>>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= loaders[BACKEND]());
}
