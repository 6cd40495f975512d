/**
 * What every lesson program uses to talk: one line at a time on stdout.
 *
 * Run by hand, a line is just the text. Run by the lesson runner (bin/lesson.mjs sets
 * LESSON_CLOCK=1), each line starts with `@<ns> `, the time it was printed on the machine's
 * monotonic clock (process.hrtime, which is CLOCK_MONOTONIC on Linux and QueryPerformanceCounter on
 * Windows, the same clock in every process): the runner reads several processes at once and shows
 * their lines in the order they happened, whatever order the pipes deliver them in. The C programs
 * do the same (c/lesson.h).
 */
import { isIpcError } from '@ipckit/core';

const stamped = process.env.LESSON_CLOCK === '1';

/** Prints one line. */
export function say(text: string): void {
  process.stdout.write(stamped ? `@${String(process.hrtime.bigint())} ${text}\n` : `${text}\n`);
}

/**
 * An error as a lesson shows it: the portable code, and what the OS said (its error number and the
 * call that failed) when it said something.
 */
export function explain(error: unknown): string {
  if (isIpcError(error)) {
    const os = error.osCode !== undefined ? ` (${error.syscall ?? 'the OS'}: ${error.osCode})` : '';
    return `${error.code}${os}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The command-line argument at `index` (0 is the first after the script), or exits saying what is missing. */
export function arg(index: number, what: string): string {
  const value = process.argv[2 + index];
  if (value === undefined) {
    process.stderr.write(`missing argument ${String(index + 1)}: ${what}\n`);
    process.exit(2);
  }
  return value;
}

/** Text as bytes, and back. */
export const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
export const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
