import { types } from 'node:util';
import { fromNative, invalidArgument } from './errors.js';
import { loadNative } from './loader.js';

function checkBuffer(buffer: unknown): ArrayBuffer {
  if (!types.isArrayBuffer(buffer)) throw invalidArgument('buffer must be an ArrayBuffer');
  return buffer;
}

/**
 * Detaches `buffer` (Node-API `napi_detach_arraybuffer`): its `byteLength`
 * becomes 0 and every typed array and DataView over it reads as empty
 * (indexing gives `undefined`, `Atomics` and new views throw TypeError). Use
 * it on an ArrayBuffer over foreign memory (e.g. `koffi.view` of a mapping)
 * before unmapping that memory, so no JavaScript can reach it afterwards.
 *
 * Returns true when the buffer is detached afterwards (also when it already
 * was) and false when V8 refuses to detach it (a WebAssembly.Memory's buffer,
 * or one made non-detachable): then the memory must stay valid. Waiters
 * ({@link openWaiter}) on a detached buffer throw ECLOSED.
 *
 * ## Platform-specific behaviour
 * None in the call itself: it is V8's. Checked detachable: `koffi.view`
 * buffers under Node 20 (Linux) and Node 22 (Windows, under Wine).
 */
export function detach(buffer: ArrayBuffer): boolean {
  const b = checkBuffer(buffer);
  try {
    return loadNative().detach(b);
  } catch (error: unknown) {
    throw fromNative(error);
  }
}

/** True when `buffer` is detached (its memory is out of JavaScript's reach). */
export function isDetached(buffer: ArrayBuffer): boolean {
  const b = checkBuffer(buffer);
  return loadNative().isDetached(b);
}
