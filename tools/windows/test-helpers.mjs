// What the packages' Windows tests (packages/*/test/win32/*.test.mjs) need beyond @ipckit/core/testing:
// the lane's timeout scale, telling Wine from Windows, and the cross-compiled native programs. They run
// under node.exe in Wine (the Windows lane), or on Windows with `node --test "test/win32/*.test.mjs"`.
// Peers and native programs run through PeerProcess, peer scripts report with report()/runPeer(), and
// the watchdog is within(): all from @ipckit/core/testing, the same helpers the Vitest tests use.
// Not a test file itself.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIpcError } from '@ipckit/core';

/** The lane stretches every watchdog (a node.exe peer starts slowly under Wine). */
const SCALE = Number(process.env.IPCKIT_TIMEOUT_SCALE) > 0 ? Number(process.env.IPCKIT_TIMEOUT_SCALE) : 1;
export const ms = (n) => Math.round(n * SCALE);

/**
 * True under Wine. Wine's loader puts WINECONFIGDIR and WINELOADER into every Windows process's
 * environment; Windows never sets them. Used only where Wine is known to differ from Windows
 * (tools/windows/README.md, "What Wine does not prove"), to assert Wine's behaviour there.
 */
export const underWine = process.env.WINECONFIGDIR !== undefined || process.env.WINELOADER !== undefined;

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
    throw new Error(
      `no IPCKIT_NATIVE_DIR and \`gcc ${source}\` failed (${cc.error?.message ?? cc.stderr}): put mingw-w64 gcc on PATH, or run the Windows lane`,
    );
  }
  built.set(name, out);
  return out;
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
