/**
 * The one helper for tests that run another program: a peer script in its
 * own Node process, an inline ES module, or a native executable (a C twin, a
 * cross-compiled .exe). It keeps everything the program printed on stdout,
 * line by line and parsed where a line is a JSON object, waits for a line or
 * event with a watchdog, keeps the tail of stderr for error messages, writes
 * to stdin, and kills (SIGKILL on POSIX, TerminateProcess on Windows).
 *
 * Peer scripts report with report() and runPeer() from ./report.ts: one
 * `{"event": "ready" | "done" | "error", ...}` line per event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { within } from './watchdog.js';

/**
 * A JSON object a program printed on a line of its own. Peer scripts report
 * `{"event": "ready" | "done" | "error", ...}`; other programs print any object.
 */
export interface PeerEvent {
  event?: string;
  [key: string]: unknown;
}

/** How to start a program. */
export interface PeerProcessOptions {
  /** Names the process in error messages; defaults to the program's file name and first argument. */
  label?: string;
  /**
   * The watchdog of every wait, in ms, unless the call gives its own. Default
   * 20 s times IPCKIT_TIMEOUT_SCALE (the Windows lane sets it: a node.exe
   * starts slowly under Wine). `Infinity` sets none, for a caller whose own
   * watchdog covers the whole test.
   */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What PeerProcess.run() returns. */
export interface RunResult {
  code: number | null;
  /** The non-empty stdout lines, trimmed, joined with '\n'. */
  stdout: string;
  /** The tail of stderr. */
  stderr: string;
}

/** A line to wait for: the whole line, a pattern, or a test. */
export type LineMatch = string | RegExp | ((line: string) => boolean);
/** An event to wait for: its `event` field, or a test. */
export type EventMatch = string | ((event: PeerEvent) => boolean);

/** How much of stderr is kept for error messages. */
const STDERR_TAIL = 8_000;

function defaultTimeoutMs(): number {
  const scale = Number(process.env.IPCKIT_TIMEOUT_SCALE);
  return 20_000 * (scale > 0 ? scale : 1);
}

/** A program running in its own OS process, its stdout read line by line. */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly label: string;
  readonly timeoutMs: number;
  /** Every non-empty stdout line so far, trimmed, in order. */
  readonly lines: string[] = [];
  /** The lines that are JSON objects, parsed, in order. */
  readonly events: PeerEvent[] = [];
  /**
   * Resolves with the exit code once the process ended and its stdout was
   * read to the end; null when a signal ended it or it never started.
   */
  readonly exited: Promise<number | null>;
  #stderr = '';
  #ended = false;
  #spawnFailed = false;
  /** How many lines nextLine() has handed out. */
  #read = 0;
  #wakers: Array<() => void> = [];

  /** Runs a Node script (a path or a file: URL) with this process's own node. */
  static node(script: string | URL, args: readonly string[] = [], options: PeerProcessOptions = {}): PeerProcess {
    const path = typeof script === 'string' ? script : fileURLToPath(script);
    return new PeerProcess(process.execPath, [path, ...args], { label: labelOf(path, args), ...options });
  }

  /**
   * Runs `source` as an ES module in a new Node process
   * (`node --input-type=module -e`); it sees `args` as process.argv[1...].
   */
  static module(source: string, args: readonly string[] = [], options: PeerProcessOptions = {}): PeerProcess {
    return new PeerProcess(process.execPath, ['--input-type=module', '-e', source, ...args], { label: 'inline module', ...options });
  }

  /** Runs a program to its end with stdin closed. */
  static async run(file: string, args: readonly string[] = [], options: PeerProcessOptions = {}): Promise<RunResult> {
    const proc = new PeerProcess(file, args, options);
    proc.endInput();
    const code = await proc.exit();
    return { code, stdout: proc.lines.join('\n'), stderr: proc.stderr };
  }

  /**
   * Starts `program` (a native executable, or node itself) with `args`; or
   * watches a ChildProcess someone else started (with piped stdout and
   * stderr; `args`, `env` and `cwd` are then unused).
   */
  constructor(program: string | ChildProcess, args: readonly string[] = [], options: PeerProcessOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs();
    let child: ChildProcess;
    if (typeof program === 'string') {
      this.label = options.label ?? labelOf(program, args);
      child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, env: options.env, cwd: options.cwd });
    } else {
      child = program;
      this.label = options.label ?? labelOf(child.spawnfile, child.spawnargs.slice(1));
    }
    this.child = child;
    let buffered = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffered += text;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        this.#take(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
      this.#wake();
    });
    child.stdout?.on('end', () => {
      // A last line without a newline still counts.
      this.#take(buffered);
      buffered = '';
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
    // A child that exits without reading its stdin must not fail our writes with EPIPE.
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes after stdout is drained, so no line is lost.
      child.on('close', (code) => {
        this.#ended = true;
        this.#wake();
        resolve(code);
      });
      child.on('error', (error) => {
        this.#stderr += `spawn error: ${error.message}\n`;
        this.#spawnFailed = true;
        this.#ended = true;
        this.#wake();
        resolve(null);
      });
    });
  }

  /** The tail of what the process wrote to stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** True once the process ended and its output was read to the end. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The next stdout line that nextLine() has not handed out yet, in order:
   * for programs that answer line by line.
   */
  nextLine(timeoutMs = this.timeoutMs): Promise<string> {
    return this.#until('its next line', timeoutMs, () => {
      const line = this.lines[this.#read];
      if (line !== undefined) this.#read++;
      return line;
    });
  }

  /** The first stdout line (printed so far or later) that matches. */
  waitForLine(match: LineMatch, timeoutMs = this.timeoutMs): Promise<string> {
    const test = typeof match === 'string' ? (line: string) => line === match : match instanceof RegExp ? (line: string) => match.test(line) : match;
    return this.#until(`a line ${typeof match === 'function' ? 'that matches' : JSON.stringify(String(match))}`, timeoutMs, () => this.lines.find(test));
  }

  /**
   * The first JSON event (printed so far or later) that matches. Rejects at
   * once when the process reports `{"event": "error"}`, and when it ends first.
   */
  waitForEvent(match: EventMatch, timeoutMs = this.timeoutMs): Promise<PeerEvent> {
    const test = typeof match === 'string' ? (event: PeerEvent) => event.event === match : match;
    return this.#until(typeof match === 'string' ? `"${match}"` : 'an event that matches', timeoutMs, () => {
      const found = this.events.find(test);
      if (found !== undefined) return found;
      const failed = this.events.find((event) => event.event === 'error');
      if (failed !== undefined) throw this.#error(`${this.label} failed: ${String(failed.code)} ${String(failed.message)}`);
      return undefined;
    });
  }

  /** Waits for the `done` event and a zero exit status (what a peer script run by runPeer() does on success). */
  async finished(timeoutMs = this.timeoutMs): Promise<PeerEvent> {
    const done = await this.waitForEvent('done', timeoutMs);
    const code = await this.exit(timeoutMs);
    if (code !== 0) throw this.#error(`${this.label} ended with ${this.#status()} after "done"`);
    return done;
  }

  /** Writes `text` to the process's stdin as it is (add the '\n' a line-reading program needs). */
  write(text: string): void {
    this.child.stdin?.write(text);
  }

  /** Closes the process's stdin. */
  endInput(): void {
    this.child.stdin?.end();
  }

  /** Waits for the process to end; resolves with its exit code (null when a signal ended it). */
  exit(timeoutMs = this.timeoutMs): Promise<number | null> {
    return this.#watch(timeoutMs, 'the end', this.exited);
  }

  /** Kills the process (SIGKILL on POSIX, TerminateProcess on Windows) and waits for it to be gone. */
  async kill(timeoutMs = this.timeoutMs): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.#watch(timeoutMs, 'the end after a kill', this.exited);
  }

  #take(raw: string): void {
    const line = raw.trim();
    if (line === '') return;
    this.lines.push(line);
    if (!line.startsWith('{')) return;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null) this.events.push(value as PeerEvent);
    } catch {
      // Not JSON after all: it stays a plain line.
    }
  }

  #wake(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }

  /** Resolves with the first value `find` gives; rejects when the process ends first or the watchdog fires. */
  #until<T>(what: string, timeoutMs: number, find: () => T | undefined): Promise<T> {
    return this.#watch(
      timeoutMs,
      what,
      (async () => {
        for (;;) {
          const found = find();
          if (found !== undefined) return found;
          if (this.#ended) throw this.#error(`${this.label} ended (${this.#status()}) before ${what}`);
          await new Promise<void>((resolve) => this.#wakers.push(resolve));
        }
      })(),
    );
  }

  /** `within`, with what the process printed added to a timeout's message. */
  async #watch<T>(timeoutMs: number, what: string, promise: Promise<T>): Promise<T> {
    try {
      return await within(timeoutMs, `${what} of ${this.label}`, promise);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('watchdog:')) throw this.#error(error.message);
      throw error;
    }
  }

  #status(): string {
    // A failed spawn leaves a negative errno as exitCode: not an exit status.
    if (this.#spawnFailed) return 'never started';
    if (this.child.exitCode !== null) return `exit code ${this.child.exitCode}`;
    if (this.child.signalCode !== null) return `signal ${this.child.signalCode}`;
    return 'still running';
  }

  /** An error naming the process, with its last stdout lines and its stderr. */
  #error(message: string): Error {
    const lastLines = this.lines.slice(-5).join('\n  ');
    const output = lastLines ? `\nlast stdout lines:\n  ${lastLines}` : '\nno stdout';
    const stderr = this.#stderr.trim() ? `\nstderr:\n${this.#stderr.trimEnd()}` : '';
    return new Error(`${message}${output}${stderr}`);
  }
}

function labelOf(file: string, args: readonly string[]): string {
  return [basename(file), args[0]].filter((part) => part !== undefined && part !== '').join(' ');
}
