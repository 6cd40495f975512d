import { types } from 'node:util';
import { closedError, fromNative, invalidArgument, invalidValue } from './errors.js';
import { loadNative, type NativeWaiterHandle } from './loader.js';

/**
 * How a wait ended.
 * - `woken`: a wake() arrived, or (rarely) a spurious wake-up: re-read the word.
 * - `not-equal`: the word did not hold `expected` when the wait began (or after a signal).
 * - `timed-out`: `timeoutMs` passed with the word unchanged and no wake().
 * - `closed`: close() was called while the wait was pending (async wait only).
 */
export type WaitResult = 'woken' | 'not-equal' | 'timed-out' | 'closed';

/** Longest name accepted, in UTF-8 bytes (Windows object names allow MAX_PATH; the prefix takes some). */
export const MAX_NAME_BYTES = 200;

const encoder = new TextEncoder();

function checkWord(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x8000_0000 || value > 0xffff_ffff) {
    throw invalidValue('expected must be a 32-bit integer', value);
  }
  return value >>> 0;
}

function checkTimeout(value: unknown): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw invalidValue('timeoutMs must be a number >= 0 or Infinity', value);
  }
  return value;
}

/**
 * A 32-bit word in memory shared between processes, with a kernel wait and
 * wake on it: a futex on Linux, a named event on Windows.
 *
 * The protocol that keeps wake-ups from being lost:
 * - the waker stores the new value in the word (e.g. `Atomics.store`), THEN calls {@link wake};
 * - the waiter reads the word and calls {@link wait} with the value it read.
 *   The wait returns `not-equal` at once if the word changed in between, and a
 *   wake() that lands between the check and the sleep is kept by the kernel.
 * After any result the waiter re-reads the word: `woken` may be spurious.
 *
 * One object serves both sides: a consumer waits, a producer (in another
 * process) opens the same word and name and wakes.
 *
 * ## Platform-specific behaviour
 * - Linux: FUTEX_WAIT / FUTEX_WAKE without FUTEX_PRIVATE_FLAG on the word,
 *   which works across processes for MAP_SHARED file or shm mappings. `name`
 *   is only validated. `wake(count)` wakes up to `count` waiters. close()
 *   interrupts its own pending wait with a FUTEX_WAKE, so other waiters on the
 *   same word may see one spurious `woken`.
 * - Windows: WaitOnAddress does not cross processes, so the sleep is on the
 *   named auto-reset event `Local\ipckit-<name>` (one per session). Both sides
 *   must pass the same name. The event releases ONE waiter per wake(), whatever
 *   `count` is, and remembers a wake() that found nobody asleep (the next wait
 *   then returns `woken` at once): give each sleeping side its own name.
 */
export class Waiter {
  #handle: NativeWaiterHandle | undefined;

  /** @internal use {@link openWaiter}. */
  constructor(handle: NativeWaiterHandle) {
    this.#handle = handle;
  }

  #open(): NativeWaiterHandle {
    if (this.#handle === undefined) throw closedError();
    return this.#handle;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#handle === undefined;
  }

  /**
   * Sleeps on a background thread while the word holds `expected`, at most
   * `timeoutMs` (default: no limit), and resolves through the event loop.
   * One pending wait per Waiter (a second rejects with IpcError EINVAL); open
   * another Waiter on the same word for concurrent waits. While pending, the
   * wait keeps the process alive unless {@link unref} was called.
   */
  wait(expected: number, timeoutMs?: number): Promise<WaitResult> {
    try {
      const handle = this.#open();
      const word = checkWord(expected);
      const timeout = checkTimeout(timeoutMs);
      return (handle.wait(word, timeout) as Promise<WaitResult>).catch((error: unknown) => {
        throw fromNative(error);
      });
    } catch (error: unknown) {
      return Promise.reject(fromNative(error));
    }
  }

  /**
   * The blocking form of {@link wait}, for worker threads. It blocks the
   * calling thread: never call it on the main thread of a server. It does not
   * return `closed` (close() cannot run on the thread it blocks).
   */
  waitSync(expected: number, timeoutMs?: number): Exclude<WaitResult, 'closed'> {
    const handle = this.#open();
    const word = checkWord(expected);
    const timeout = checkTimeout(timeoutMs);
    try {
      return handle.waitSync(word, timeout) as Exclude<WaitResult, 'closed'>;
    } catch (error: unknown) {
      throw fromNative(error);
    }
  }

  /**
   * Wakes up to `count` waiters on the word (default 1; `Infinity` for all).
   * Store the new value in the word BEFORE calling this. Windows: one waiter.
   */
  wake(count = 1): void {
    const handle = this.#open();
    if (typeof count !== 'number' || !(count >= 1) || (Number.isFinite(count) && !Number.isInteger(count))) {
      throw invalidValue('count must be a positive integer or Infinity', count);
    }
    try {
      handle.wake(count);
    } catch (error: unknown) {
      throw fromNative(error);
    }
  }

  /** The word's current value as an unsigned 32-bit integer (an atomic load). */
  load(): number {
    return this.#open().load();
  }

  /**
   * Closes the OS handles and stops the background thread. A pending
   * {@link wait} resolves `closed`. Idempotent. Close the waiter before
   * unmapping the memory that holds the word.
   */
  close(): void {
    const handle = this.#handle;
    this.#handle = undefined;
    handle?.close();
  }

  /** A pending wait keeps the process alive (the default). */
  ref(): this {
    this.#open().ref();
    return this;
  }

  /** A pending wait no longer keeps the process alive on its own, like `timer.unref()`. */
  unref(): this {
    this.#open().unref();
    return this;
  }
}

/**
 * Opens the 32-bit word at `byteOffset` of `buffer` for waits and wakes.
 *
 * @param buffer The shared region as an ArrayBuffer, e.g. `koffi.view(pointer, length)`
 *   over a MAP_SHARED / MapViewOfFile mapping. It must stay mapped until close().
 * @param byteOffset Offset of the word; the word's address must be 4-byte aligned.
 * @param name Names the Windows event (`Local\ipckit-<name>`); both processes
 *   pass the same. Non-empty, at most {@link MAX_NAME_BYTES} UTF-8 bytes, no
 *   `\`, `/` or control characters. Validated but unused on Linux.
 * @throws IpcError EINVAL for a bad argument (before any syscall), or
 *   the OS's error (an IpcError with `errno`, `osCode` and `syscall`) if the event cannot be created; ENOTSUP when no addon loads here.
 */
export function openWaiter(buffer: ArrayBuffer, byteOffset: number, name: string): Waiter {
  if (!types.isArrayBuffer(buffer)) {
    throw invalidArgument('buffer must be an ArrayBuffer (for example from koffi.view)');
  }
  if (typeof byteOffset !== 'number' || !Number.isInteger(byteOffset) || byteOffset < 0) {
    throw invalidValue('byteOffset must be a non-negative integer', byteOffset);
  }
  if (byteOffset % 4 !== 0) throw invalidArgument(`byteOffset ${byteOffset} is not a multiple of 4`);
  if (byteOffset + 4 > buffer.byteLength) {
    throw invalidArgument(`byteOffset ${byteOffset} leaves no room for a 32-bit word in ${buffer.byteLength} bytes`);
  }
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument('name must be a non-empty string');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f/\\]/.test(name)) {
    throw invalidArgument(`name ${JSON.stringify(name)} holds a path separator or control character`);
  }
  if (encoder.encode(name).length > MAX_NAME_BYTES) {
    throw invalidArgument(`name is longer than ${MAX_NAME_BYTES} UTF-8 bytes`);
  }
  const { NativeWaiter } = loadNative();
  try {
    return new Waiter(new NativeWaiter(buffer, byteOffset, name));
  } catch (error: unknown) {
    throw fromNative(error);
  }
}
