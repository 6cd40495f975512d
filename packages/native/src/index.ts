/**
 * @ipckit/native: cross-process wake-ups on a 32-bit word in shared memory
 * (futex on Linux, a named event on Windows), delivered to JavaScript through
 * the event loop, plus a blocking form for worker threads; and detach(), to
 * put an ArrayBuffer over memory about to be unmapped out of JavaScript's reach.
 */
export { openWaiter, Waiter, MAX_NAME_BYTES, type WaitResult } from './waiter.js';
export { detach, isDetached } from './detach.js';
export { SyncThread, type SyncOutcome, type WaitWord } from './sync-thread.js';
export { namedSemaphore, robustMutex } from './robust-mutex.js';
export {
  addonCandidates,
  candidatePaths,
  glibcVersion,
  loadedFrom,
  loadedKind,
  prebuildMismatch,
  requireNative,
  type AddonCandidate,
  type AddonKind,
} from './loader.js';

import { loadNative } from './loader.js';

/** The kernel primitive behind waits on this OS: `futex`, `event`, or `none` (unsupported OS). */
export function primitive(): 'futex' | 'event' | 'none' {
  return loadNative().primitive;
}
