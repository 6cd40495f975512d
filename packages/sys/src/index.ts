/**
 * @ipckit/sys: the only FFI in ipckit. Import `@ipckit/sys/win32` or
 * `@ipckit/sys/posix` from a transport's OS backend; each loads its library
 * on first use. This entry holds the OS-neutral error helpers.
 */
export { errnoName, portableErrnoCode, win32Code, win32ErrorName } from './errors.js';
