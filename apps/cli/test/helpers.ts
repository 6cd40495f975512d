import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PeerProcess, within } from '@ipckit/core/testing';

/**
 * The command as users run it: the bin npm links, which loads dist/cli.js (the test target builds
 * it first). IPCKIT_CLI_BIN runs the same tests against another build of the command (an older
 * one, to see a test fail before its fix).
 */
export const BIN = process.env.IPCKIT_CLI_BIN ?? fileURLToPath(new URL('../bin/ipckit.js', import.meta.url));

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

/** What a finished command did, its stdout as bytes. */
export interface CliBytes {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `ipckit ...args` to its end with `input` (bytes) on its stdin; stdout is kept as bytes. */
export async function runCliBytes(args: string[], input: Uint8Array = new Uint8Array(0), timeoutMs = 60_000): Promise<CliBytes> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: ENV });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  try {
    return { code: await within(timeoutMs, `ipckit ${args.join(' ')}`, code), stdout: Buffer.concat(out), stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\nstderr: ${stderr}`, { cause: error });
  }
}

/** A long-running `ipckit ...args` whose stdout is kept as bytes (for --format raw and length-prefixed). */
export function startCliBytes(args: string[]): { child: ChildProcess; stdout: () => Buffer; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exit = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { child, stdout: () => Buffer.concat(out), stderr: () => stderr, exit };
}

/** Waits until `read()` (a process's stderr) matches `pattern`; the watchdog is generous and says what it saw. */
export async function waitFor(read: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`${String(pattern)} did not appear within ${timeoutMs} ms in: ${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The messages of a `--format length-prefixed` output (u32 little-endian length, then the bytes). */
export function lengthPrefixed(bytes: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUInt32LE(at);
    messages.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return messages;
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

/** The error lines a command wrote: what `ipckit:` prints for a failure (`ipckit: CODE: message`). */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('ipckit: ') &&
        !/listening on|relaying|#\d+ connected|#\d+ closed|stopped \(|connected to|not valid UTF-8|the peer closed the channel$/.test(l),
    );
}
