// One process of a lesson, as the runner sees it: started with piped stdio, its stdout and stderr
// read line by line, each line kept with the time it was printed (the `@<ns> ` stamp the lesson
// programs add under LESSON_CLOCK=1, see src/common/say.ts and c/lesson.h; for an unstamped line,
// the time the runner read it), so that the lines of several processes can be shown in the order
// they happened. Waits always have a watchdog.
import { spawn } from 'node:child_process';

const STAMP = /^@(\d+) (.*)$/s;

/** The watchdog of every wait, stretched by IPCKIT_TIMEOUT_SCALE (the Windows lane sets it: Wine starts processes slowly). */
export function scaled(ms) {
  const scale = Number(process.env.IPCKIT_TIMEOUT_SCALE);
  return Math.round(ms * (scale > 0 ? scale : 1));
}

export class LessonProcess {
  /**
   * Every line so far, with the time it was printed.
   * @type {Array<{ t: bigint, seq: number, text: string, stream: 'out' | 'err' }>}
   */
  lines = [];
  /**
   * Lines not yet shown by the runner.
   * @type {Array<{ t: bigint, seq: number, text: string, stream: 'out' | 'err' }>}
   */
  pending = [];
  /** How far expect() has read. */
  #cursor = 0;
  #wakers = [];
  #ended = false;
  #stderrTail = '';
  #onLine;

  /**
   * @param {string} label  how the runner names the process on each line
   * @param {string} file   the program
   * @param {string[]} args
   * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, sequence: () => number, onLine?: () => void }} options
   */
  constructor(label, file, args, options) {
    this.label = label;
    this.file = file;
    this.args = args;
    this.#onLine = options.onLine;
    this.child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      cwd: options.cwd,
      env: { ...process.env, ...options.env, LESSON_CLOCK: '1' },
    });
    this.pid = this.child.pid;
    const sequence = options.sequence;
    const reader = (stream, kind) => {
      let buffered = '';
      stream.setEncoding('utf8');
      const take = (raw) => {
        const line = raw.replace(/\r$/, '');
        if (kind === 'err') this.#stderrTail = (this.#stderrTail + line + '\n').slice(-4000);
        if (line.trim() === '') return;
        const stamp = STAMP.exec(line);
        const entry = stamp
          ? { t: BigInt(stamp[1]), seq: sequence(), text: stamp[2], stream: kind }
          : { t: process.hrtime.bigint(), seq: sequence(), text: line, stream: kind };
        this.lines.push(entry);
        this.pending.push(entry);
      };
      stream.on('data', (text) => {
        buffered += text;
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          take(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
        this.#wake();
      });
      stream.on('end', () => {
        if (buffered !== '') take(buffered);
        buffered = '';
        this.#wake();
      });
    };
    reader(this.child.stdout, 'out');
    reader(this.child.stderr, 'err');
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.#ended = true;
        this.code = code;
        this.signal = signal;
        this.#wake();
        resolve(code);
      });
      this.child.on('error', (error) => {
        this.#stderrTail += `could not start ${file}: ${error.message}\n`;
        this.#ended = true;
        this.code = null;
        this.#wake();
        resolve(null);
      });
    });
  }

  get ended() {
    return this.#ended;
  }

  #wake() {
    for (const wake of this.#wakers.splice(0)) wake();
    this.#onLine?.();
  }

  /** Writes one command line to the process's stdin. */
  send(line) {
    this.child.stdin.write(`${line}\n`);
  }

  /** Closes the process's stdin (end of input). */
  endInput() {
    this.child.stdin.end();
  }

  /**
   * The next stdout line, from where the last expect() stopped, that matches (a string: the line
   * contains it; a RegExp; a function). Rejects when the process ends first or the watchdog fires.
   */
  async expect(match, timeoutMs = scaled(20_000)) {
    const test = typeof match === 'string' ? (t) => t.includes(match) : match instanceof RegExp ? (t) => match.test(t) : match;
    return this.#until(`a line ${typeof match === 'function' ? 'that matches' : JSON.stringify(String(match))}`, timeoutMs, () => {
      for (let i = this.#cursor; i < this.lines.length; i++) {
        const line = this.lines[i];
        if (line.stream === 'out' && test(line.text)) {
          this.#cursor = i + 1;
          return line.text;
        }
      }
      return undefined;
    });
  }

  /** Waits for the process to end; resolves with its exit code (null after a signal). */
  async exit(timeoutMs = scaled(20_000)) {
    await this.#until('end', timeoutMs, () => (this.#ended ? true : undefined), true);
    return this.code;
  }

  /** Waits for the end and checks the exit code. */
  async done(expected = 0, timeoutMs = scaled(20_000)) {
    const code = await this.exit(timeoutMs);
    if (code !== expected) throw this.error(`${this.label} ended with ${code === null ? `signal ${this.signal}` : `exit code ${code}`}, not ${expected}`);
  }

  /** Kills the process (SIGKILL on POSIX, TerminateProcess on Windows) and waits for it to be gone. */
  async kill() {
    if (!this.#ended) this.child.kill('SIGKILL');
    await this.exit(scaled(10_000)).catch(() => undefined);
  }

  async #until(what, timeoutMs, find, endedIsFine = false) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(this.error(`watchdog: no ${what} from ${this.label} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([
        (async () => {
          for (;;) {
            const found = find();
            if (found !== undefined) return found;
            if (this.#ended && !endedIsFine) throw this.error(`${this.label} ended (exit code ${this.code}) before ${what}`);
            await new Promise((resolve) => this.#wakers.push(resolve));
          }
        })(),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** An error naming the process, with its last lines and its stderr. */
  error(message) {
    const last = this.lines
      .slice(-8)
      .map((l) => `  ${l.stream === 'err' ? '!' : ' '} ${l.text}`)
      .join('\n');
    const stderr = this.#stderrTail.trim() ? `\nstderr:\n${this.#stderrTail.trimEnd()}` : '';
    return new Error(`${message}\n${this.file} ${this.args.join(' ')}${last ? `\nlast lines:\n${last}` : ''}${stderr}`);
  }
}
