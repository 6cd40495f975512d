/**
 * What a command writes to and is stopped by: stdout for data, stderr for
 * what happens (connections, errors), each with its own colour decision,
 * and a signal that Ctrl-C (SIGINT) or SIGTERM aborts.
 */
import { stylesFor, type Styles } from './style.js';

/** The command's surroundings. */
export interface Context {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  /** Styles for stdout and for stderr (each decided by its own stream). */
  readonly outStyle: Styles;
  readonly errStyle: Styles;
  /** Aborted by SIGINT or SIGTERM; `reason` is the signal's name. */
  readonly signal: AbortSignal;
  /** Writes a line to stdout. */
  print(line: string): void;
  /** Writes a line to stderr, prefixed `ipckit: `. */
  note(line: string): void;
}

/** The context of this process: its stdio and its signals. */
export function processContext(): Context {
  const stop = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.on(name, () => {
      // The first one asks the command to stop cleanly; a second one ends the process at once.
      if (stop.signal.aborted) process.exit(130);
      stop.abort(name);
    });
  }
  const errStyle = stylesFor(process.stderr);
  return {
    out: process.stdout,
    err: process.stderr,
    outStyle: stylesFor(process.stdout),
    errStyle,
    signal: stop.signal,
    print: (line) => process.stdout.write(`${line}\n`),
    note: (line) => process.stderr.write(`${errStyle.dim('ipckit:')} ${line}\n`),
  };
}

/** Resolves when `signal` aborts (never rejects). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
