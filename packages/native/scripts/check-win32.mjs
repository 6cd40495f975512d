#!/usr/bin/env node
// Runs test/windows/check.mjs under real Windows Node inside Wine, with the
// repo's Windows lane helpers (tools/windows/wine.mjs: Wine, node.exe and the
// prefix are set up and cached in .cache/windows/ on first use).
//
//   node scripts/check-win32.mjs        (after `tsc -b` and `node scripts/prebuild.mjs --target win32-x64`)
//
// Exits 0 when every check passed, 1 otherwise; prints node.exe's output.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const wine = join(root, '..', '..', 'tools', 'windows', 'wine.mjs');
for (const [file, hint] of [
  [wine, 'the Windows lane helpers (tools/windows/wine.mjs) are missing'],
  [join(root, 'dist', 'index.js'), 'dist/ is missing: run `npx tsc -b packages/native` first'],
  [join(root, 'prebuilds', 'win32-x64', 'ipckit_native.node'), 'the prebuild is missing: run `node scripts/prebuild.mjs --target win32-x64`'],
]) {
  if (!existsSync(file)) {
    console.error(`check-win32: ${hint}`);
    process.exit(1);
  }
}
const { runWindowsNode, toWindowsPath } = await import(pathToFileURL(wine).href);
const r = await runWindowsNode({
  args: [toWindowsPath(join(root, 'test', 'windows', 'check.mjs'))],
  cwd: root,
  timeoutMs: 5 * 60_000,
  logName: 'native-check',
});
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
const ok = r.code === 0 && !r.timedOut && /ALL OK/.test(r.stdout);
console.log(`check-win32: ${ok ? 'passed' : `FAILED (exit ${r.code}${r.timedOut ? ', timed out' : ''})`}`);
process.exit(ok ? 0 : 1);
