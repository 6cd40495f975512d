/**
 * @ipckit/sys: every OS fact ipckit relies on. This entry holds what needs no
 * FFI: which OS this is and the chooser of a transport's OS backend, OS error
 * numbers and their portable codes, and the per-user socket directory. The
 * FFI bindings are `@ipckit/sys/win32` (kernel32) and `@ipckit/sys/posix`
 * (libc); import them only from an OS backend, so the other OS's library is
 * never loaded.
 */
export { ARCH, BACKEND, C_LONG_BYTES, IS_LINUX, PLATFORM, backendLoader, byBackend } from './platform.js';
export { ERRNO, errnoError, errnoName, portableErrnoCode, systemError, win32Code, win32CodeError, win32ErrorName } from './errors.js';
export { posixObjectName, win32ObjectName } from './object-names.js';
export { MAX_SOCKET_PATH_BYTES, checkPrivateDirectory, ensurePrivateDirectory, runtimeDirectory, socketPath } from './runtime-dir.js';
