import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PeerProcess, within } from '@ipckit/core/testing';

/** The command as users run it: the bin npm links, which loads dist/cli.js (the test target builds it first). */
export const BIN = fileURLToPath(new URL('../bin/ipckit.js', import.meta.url));

/** No colour unless a test asks for it; no terminal anyway (pipes). */
const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' };

let counter = 0;
/** A name no other test (or test run, or agent on this machine) uses. */
export function uniqueName(tag = 'cli'): string {
  return `ipckit-cli-${tag}-${process.pid}-${++counter}`;
}

/** What a finished command did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ipckit ...args` to its end, `input` on its stdin; the watchdog kills it after `timeoutMs`. */
export async function runCli(args: string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...ENV, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  try {
    return { code: await within(options.timeoutMs ?? 30_000, `ipckit ${args.join(' ')}`, code), stdout, stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\nstdout: ${stdout}\nstderr: ${stderr}`, { cause: error });
  }
}

/** Starts a long-running `ipckit ...args` (listen, send from stdin); its stdout lines are read as they come. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): PeerProcess {
  return new PeerProcess(process.execPath, [BIN, ...args], { label: `ipckit ${args.join(' ')}`, env: { ...ENV, ...env }, timeoutMs: 20_000 });
}

/** Waits until the process has said on stderr that it listens (`ipckit: listening on ADDRESS (...)`); returns ADDRESS. */
export async function listening(peer: PeerProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /listening on (\S+) /.exec(peer.stderr);
    if (match?.[1] !== undefined) return match[1];
    if (peer.ended) throw new Error(`${peer.label} ended before it listened: ${peer.stderr}`);
    if (Date.now() > deadline) throw new Error(`${peer.label} did not listen within ${timeoutMs} ms: ${peer.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Stops a long-running command the way a user does (SIGTERM, or Ctrl-C's SIGINT) and returns its exit code. */
export async function stop(peer: PeerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!peer.ended) peer.child.kill(signal);
  return peer.exit(20_000);
}

/** The error lines a command wrote: what `ipckit:` prints for a failure. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('ipckit: ') && !/listening on|connected|closed|stopped/.test(l));
}
