import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixture = (file: string): string => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));

/** Fails `promise` after `ms` with a clear message. */
export async function watchdog<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`watchdog: ${what} took over ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A child process whose stdout lines can be awaited. */
export class Child {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #waiters: Array<() => void> = [];

  constructor(readonly proc: ChildProcess) {
    let buffered = '';
    proc.stdout?.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      let i: number;
      while ((i = buffered.indexOf('\n')) >= 0) {
        this.lines.push(buffered.slice(0, i).trim());
        buffered = buffered.slice(i + 1);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    proc.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => {
      for (const w of this.#waiters.splice(0)) w();
      resolve(code);
    }));
  }

  static node(script: string, ...args: string[]): Child {
    return new Child(spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  static exe(path: string, ...args: string[]): Child {
    return new Child(spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  async line(ms = 10_000): Promise<string> {
    const take = async (): Promise<string> => {
      for (;;) {
        const line = this.lines.shift();
        if (line !== undefined) return line;
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`child exited (${this.proc.exitCode ?? this.proc.signalCode}) without output: ${this.stderr}`);
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    };
    return watchdog(take(), ms, 'child output');
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Shared-memory objects this test process (or its children, which take their
 * names from it) left in /dev/shm: names made by uniqueName() carry our pid, and
 * pair regions `ipckit.p.<pid>.…`. Linux only (elsewhere objects cannot be
 * listed; Windows objects go with their last handle anyway).
 */
export function shmLeftovers(pids: number[] = [process.pid]): string[] {
  if (process.platform !== 'linux') return [];
  return readdirSync('/dev/shm').filter((f) => pids.some((pid) => f.includes(`-${pid}-`) || f.startsWith(`ipckit.p.${pid}.`)));
}
