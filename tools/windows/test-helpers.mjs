// Helpers for the packages' Windows tests (packages/*/test/win32/*.test.mjs), run by the Windows
// lane under node.exe in Wine, or on Windows with `node --test "test/win32/*.test.mjs"`.
// Not a test file itself.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIpcError } from '@ipckit/core';
import { within } from '@ipckit/core/testing';

/** The lane stretches every watchdog (a node.exe peer starts slowly under Wine). */
const SCALE = Number(process.env.IPCKIT_TIMEOUT_SCALE) > 0 ? Number(process.env.IPCKIT_TIMEOUT_SCALE) : 1;
export const ms = (n) => Math.round(n * SCALE);

/**
 * True under Wine. Wine's loader puts WINECONFIGDIR and WINELOADER into every Windows process's
 * environment; Windows never sets them. Used only where Wine is known to differ from Windows
 * (tools/windows/README.md, "What Wine does not prove"), to assert Wine's behaviour there.
 */
export const underWine = process.env.WINECONFIGDIR !== undefined || process.env.WINELOADER !== undefined;

/** Rejects after `timeout` ms with a message naming `what` (the conformance suite's watchdog). */
export { within };

/** A child process whose stdout lines can be awaited (JSON lines are parsed). */
export class Proc {
  #lines = [];
  #wake = [];
  stderr = '';
  ended = false;

  constructor(file, args, label = file) {
    this.label = label;
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    let buffered = '';
    this.child.stdout.setEncoding('utf8').on('data', (text) => {
      buffered += text;
      let i;
      while ((i = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, i).trim();
        buffered = buffered.slice(i + 1);
        if (line) this.#lines.push(line);
      }
      this.#notify();
    });
    this.child.stderr.setEncoding('utf8').on('data', (text) => (this.stderr = (this.stderr + text).slice(-4000)));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.ended = true;
        this.#notify();
        resolve(code);
      });
      this.child.on('error', (error) => {
        this.stderr += `spawn error: ${error.message}\n`;
        this.ended = true;
        this.#notify();
        resolve(null);
      });
    });
  }

  /** A peer script (a file: URL, e.g. `new URL('peer.mjs', import.meta.url)`), run by this same node.exe. */
  static node(script, ...args) {
    const path = fileURLToPath(script);
    return new Proc(process.execPath, [path, ...args], `${path.split(/[\\/]/).pop()} ${args[0] ?? ''}`);
  }

  #notify() {
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** The next stdout line (raw text). */
  async line(timeout = ms(20_000)) {
    const take = async () => {
      for (;;) {
        const line = this.#lines.shift();
        if (line !== undefined) return line;
        if (this.ended) throw new Error(`${this.label} exited (${this.child.exitCode}) without more output\n${this.stderr}`);
        await new Promise((resolve) => this.#wake.push(resolve));
      }
    };
    return within(timeout, `output of ${this.label}`, take());
  }

  /** The next JSON event; throws on {"event":"error"} or another event than `event`. */
  async event(event, timeout) {
    const line = await this.line(timeout);
    let parsed;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${this.label}: unexpected output ${JSON.stringify(line)}\n${this.stderr}`);
    }
    if (parsed.event !== event) throw new Error(`${this.label}: expected ${event}, got ${line}\n${this.stderr}`);
    return parsed;
  }

  /** Writes a line to its stdin (the peers' "let go now"). */
  say(text = 'quit') {
    this.child.stdin.write(`${text}\n`);
  }

  /** Waits for the exit code. */
  exit(timeout = ms(20_000)) {
    return within(timeout, `exit of ${this.label}`, this.exited);
  }

  /** TerminateProcess (child.kill on Windows), then waits for it to be gone. */
  async kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await within(ms(20_000), `kill of ${this.label}`, this.exited);
  }
}

const built = new Map();

/**
 * The native test program `name` (a C source listed in native.json in the test folder `testDir`,
 * a file: URL such as the test's `import.meta.url`), cross-compiled for win32.
 * The Windows lane builds them with x86_64-w64-mingw32-gcc before the tests and passes their folder
 * in IPCKIT_NATIVE_DIR; on Windows without the lane, a gcc (mingw-w64) on PATH builds them here.
 * Never a skip: without a compiler the test fails and says why.
 */
export function nativeProgram(name, testDir) {
  const dir = process.env.IPCKIT_NATIVE_DIR;
  if (dir) {
    const exe = join(dir, `${name}.exe`);
    if (!existsSync(exe)) throw new Error(`${exe} is missing (the lane builds the programs listed in test/win32/native.json)`);
    return exe;
  }
  if (built.has(name)) return built.get(name);
  const sources = JSON.parse(readFileSync(new URL('./native.json', testDir), 'utf8'));
  if (!sources[name]) throw new Error(`native.json lists no program ${name}`);
  const out = join(mkdtempSync(join(tmpdir(), 'ipckit-native-')), `${name}.exe`);
  const source = fileURLToPath(new URL(sources[name], testDir));
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', out, source], { encoding: 'utf8' });
  if (cc.status !== 0) {
    throw new Error(`no IPCKIT_NATIVE_DIR and \`gcc ${source}\` failed (${cc.error?.message ?? cc.stderr}): put mingw-w64 gcc on PATH, or run the Windows lane`);
  }
  built.set(name, out);
  return out;
}

/** Runs a program to its end; returns { code, stdout, stderr }. */
export async function run(file, args, timeout = ms(20_000)) {
  const proc = new Proc(file, args);
  proc.child.stdin.end();
  const code = await proc.exit(timeout);
  const lines = [];
  for (;;) {
    try {
      lines.push(await proc.line(10));
    } catch {
      break;
    }
  }
  return { code, stdout: lines.join('\n'), stderr: proc.stderr };
}

/** The IpcError `fn` fails with (null when it does not fail; any other error is rethrown). */
export async function errorOf(fn) {
  try {
    await fn();
  } catch (error) {
    if (isIpcError(error)) return error;
    throw error;
  }
  return null;
}

/** The IpcError code `fn` fails with ('no error' when it does not fail). */
export async function codeOf(fn) {
  return (await errorOf(fn))?.code ?? 'no error';
}

/** For peer scripts: writes one JSON event line on stdout; resolves once it is written. */
export function report(event, extra = {}) {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify({ event, ...extra })}\n`, resolve));
}

/** For peer scripts: runs `main`, exits 0, or reports {"event":"error"} with the error's code and exits 1. */
export async function runPeer(main) {
  try {
    await main();
    process.exit(0);
  } catch (error) {
    await report('error', { code: error?.code, message: String(error?.message ?? error) });
    process.exit(1);
  }
}
