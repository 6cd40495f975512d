/**
 * The topic tests' processes: a publisher (fixtures/topic-publisher.mjs, core's
 * publish) and long-running `ipckit` commands, each a real child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from '@ipckit/core/testing';
import { BIN } from './helpers.js';

const PUBLISHER = fileURLToPath(new URL('./fixtures/topic-publisher.mjs', import.meta.url));
const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' };

/** A child process whose output is collected, with a way to wait for a line. */
export interface Child {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern` (the watchdog fails the test after many seconds). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  readonly exit: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...ENV, ...env } });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (t: string) => {
    stdout += t;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    stderr += t;
    for (const w of waiters) w();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit,
    line: (pattern, timeoutMs = 30_000) =>
      within(
        timeoutMs,
        `a line like ${String(pattern)} from ${args.join(' ')}`,
        new Promise<string>((resolve) => {
          const check = (): void => {
            const found = stdout.split('\n').find((l) => pattern.test(l));
            if (found !== undefined) resolve(found);
          };
          waiters.push(check);
          check();
        }),
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nstdout: ${stdout}\nstderr: ${stderr}`, { cause: error });
      }),
  };
}

/**
 * A publisher on `address` that waits for `subscribers` subscribers, sends
 * `messages` in order and closes (with `hold`: stays until killed); resolves once it serves, with the name served.
 */
export async function startPublisher(
  address: string,
  subscribers: number,
  messages: readonly Uint8Array[],
  options: { hold?: boolean } = {},
): Promise<Child & { name: string }> {
  const hex = messages.map((m) => Buffer.from(m).toString('hex'));
  const publisher = start([PUBLISHER, address, String(subscribers), ...hex], options.hold === true ? { TOPIC_PUBLISHER_HOLD: '1' } : {});
  const ready = JSON.parse(await publisher.line(/"ready"/)) as { name: string };
  return Object.assign(publisher, { name: ready.name });
}

/** A long-running `ipckit ...args`. */
export function startCli(args: string[]): Child {
  return start([BIN, ...args]);
}

/** Ends `child` (SIGKILL) if a failed test left it running. */
export function reap(children: Child[]): void {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
}
