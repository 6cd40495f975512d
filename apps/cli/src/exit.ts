/**
 * Exit codes scripts can rely on, and errors as one line. The table is
 * documented in docs/cli.md and `ipckit --help`; change neither alone.
 */
import { isIpcError } from '@ipckit/core';

/** The exit codes of every `ipckit` command. */
export const EXIT = {
  /** It did what was asked. */
  OK: 0,
  /** It failed: an IpcError or another error while doing it (the line on stderr says which). */
  FAILURE: 1,
  /** The command line was wrong: an unknown command or option, a missing or bad argument, a malformed address (EINVAL). */
  USAGE: 2,
  /** Nothing is there: nobody serves the address, no such region (ENOENT). */
  NOT_FOUND: 3,
  /** Time ran out: no reply, no listener within the wait (ETIMEDOUT). */
  TIMEOUT: 4,
  /** Interrupted by Ctrl-C (SIGINT) before it was done. */
  INTERRUPTED: 130,
} as const;

/** The help text's table of exit codes. */
export const EXIT_CODES_HELP = `Exit codes
  0    done
  1    failed (the IpcError's code is on the line printed to stderr)
  2    usage: a bad command, option, argument or address (EINVAL)
  3    not found: nobody serves the address, no such region (ENOENT)
  4    timed out (ETIMEDOUT)
  130  interrupted (Ctrl-C)`;

/** A mistake in the command line that the parser cannot see (a bad --struct, a one-way transport for a request). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The exit code an error stands for. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (isIpcError(error)) {
    switch (error.code) {
      case 'EINVAL':
        return EXIT.USAGE;
      case 'ENOENT':
        return EXIT.NOT_FOUND;
      case 'ETIMEDOUT':
        return EXIT.TIMEOUT;
      default:
        return EXIT.FAILURE;
    }
  }
  return EXIT.FAILURE;
}

/**
 * An error as one line, always `CODE: message`: an IpcError's message
 * already starts with its code (`ENOENT: nobody serves ...`); a usage error
 * is EINVAL; any other error is named by its code or name. A message over
 * several lines (the addon's list of paths tried) is joined with "; ", and
 * a code the message repeats at its end (`... (ENOENT)`) is said once.
 */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  let line = message
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join('; ');
  const code = isIpcError(error) ? error.code : error instanceof UsageError ? 'EINVAL' : (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (line.endsWith(` (${code})`)) line = line.slice(0, -` (${code})`.length);
    return line.startsWith(`${code}: `) ? line : `${code}: ${line}`;
  }
  return error instanceof Error && !line.startsWith(error.name) ? `${error.name}: ${line}` : line;
}
