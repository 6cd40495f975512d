/**
 * Native pointers as koffi hands them out, and the two things ipckit does
 * with them: see the memory behind one as an ArrayBuffer, and tell a null
 * (or MAP_FAILED) pointer.
 */
import koffi from 'koffi';

/** A native pointer as koffi hands it out (an opaque External). */
export type Pointer = unknown;

/**
 * The `length` bytes at `pointer` as an ArrayBuffer over that memory (no
 * copy; koffi.view). It reads and writes the memory directly: it must not be
 * used after the memory is unmapped (detach it first, see @ipckit/native).
 */
export function viewOf(pointer: Pointer, length: number): ArrayBuffer {
  return koffi.view(pointer, length);
}

/** The address of a pointer as a bigint (0n for NULL). */
export function addressOf(pointer: Pointer): bigint {
  return pointer === null ? 0n : koffi.address(pointer);
}

/** True for NULL. */
export function isNull(pointer: Pointer): boolean {
  return addressOf(pointer) === 0n;
}
