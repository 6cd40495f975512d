/**
 * Commands on stdin, one a line: how the lesson runner (or you, typing) tells a long-running lesson
 * program what to do next, so that each step happens when the narration says so.
 */
import { createInterface } from 'node:readline';

/**
 * The lines of stdin, in order; `next()` resolves with the next one, or undefined at end of input.
 * `close()` stops reading, so that stdin no longer keeps the process alive.
 */
export function commands(): { next(): Promise<string | undefined>; close(): void } {
  const reader = createInterface({ input: process.stdin });
  const lines = reader[Symbol.asyncIterator]();
  return {
    async next() {
      const r = await lines.next();
      return r.done === true ? undefined : r.value.trim();
    },
    close() {
      reader.close();
      process.stdin.destroy();
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
