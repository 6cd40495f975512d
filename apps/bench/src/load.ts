/**
 * The contention scenario's load: N busy processes, each a `for (;;) {}`
 * loop in its own Node process (what issue 13 measured by hand with
 * `node -e 'for(;;){}'`), started for one case and stopped after it.
 *
 * A busy process must never outlive the run that started it, even when the
 * run is killed: every few milliseconds the loop checks that its parent is
 * still there (on POSIX an orphan's ppid changes; on Windows it does not,
 * so the parent's pid is probed too) and that its own deadline has not
 * passed, and exits if not.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The loop: says it is ready (once written), then spins; exits when orphaned or past its deadline. */
function script(deadlineMs: number): string {
  return `
const parent = process.ppid;
const end = Date.now() + ${Math.round(deadlineMs)};
const gone = () => {
  if (process.ppid !== parent || Date.now() > end) return true;
  try { process.kill(parent, 0); return false; } catch (error) { return error.code !== 'EPERM'; }
};
process.stderr.write('spinning\\n', () => {
  for (let i = 1; ; i++) if ((i & 0xfffff) === 0 && gone()) process.exit(0);
});
`;
}

/** The busy processes could not be started: the case is not measured, the peers are fine. */
export class LoadStartError extends Error {
  override name = 'LoadStartError';
}

/** N busy processes, running until stop(). */
export class Load {
  private constructor(private readonly children: ChildProcess[]) {}

  /** Starts `count` busy processes and waits until each one spins (or fails to start within `timeoutMs`). */
  static async start(count: number, timeoutMs: number): Promise<Load> {
    const children: ChildProcess[] = [];
    const load = new Load(children);
    try {
      await Promise.all(
        Array.from({ length: count }, () => {
          const child = spawn(process.execPath, ['-e', script(Math.max(timeoutMs, 60_000) * 10)], {
            stdio: ['ignore', 'ignore', 'pipe'],
            windowsHide: true,
          });
          children.push(child);
          return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`a busy process did not start within ${timeoutMs} ms`)), timeoutMs);
            child.stderr.once('data', () => {
              clearTimeout(timer);
              resolve();
            });
            child.once('error', (error) => {
              clearTimeout(timer);
              reject(error);
            });
            child.once('exit', (code, signal) => {
              clearTimeout(timer);
              reject(new Error(`a busy process exited before it spun (${signal ?? code})`));
            });
          });
        }),
      );
    } catch (error) {
      await load.stop();
      throw new LoadStartError(`could not start ${count} busy processes: ${error instanceof Error ? error.message : String(error)}`);
    }
    return load;
  }

  /** Kills every busy process and waits until each is gone. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    this.children.length = 0;
  }
}
