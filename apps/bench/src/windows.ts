/**
 * `--windows`: the same CLI, run by Windows Node (node.exe) under Wine through
 * the Windows lane's runner (tools/windows/wine.mjs: runWindowsNode). The
 * inner run writes its JSON to a file (node.exe's stdio must be files under
 * Wine); this side reads it back and reports it, labelled as win32 under Wine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, release, tmpdir, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BACKEND } from '@ipckit/sys';
import { checkRun } from './report/compare.js';
import type { BenchRun } from './results.js';
import type { Progress } from './runner.js';
// Types only (erased at build): the lane module is loaded at run time from the repository (laneModulePath).
import type * as WineLane from '../../../tools/windows/wine.mjs';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

/** <repo>/tools/windows/wine.mjs, found from this file (apps/bench/dist/windows.js). */
export function laneModulePath(): string {
  return resolve(dirname(CLI), '..', '..', '..', 'tools', 'windows', 'wine.mjs');
}

function wineVersion(): string | undefined {
  for (const wine of ['/usr/lib/wine/wine64', 'wine64', 'wine']) {
    const r = spawnSync(wine, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

/**
 * Runs `cli.js <args>` under node.exe in Wine and returns its run. `args`
 * are the user's, without --windows/--json/--html (this side writes those).
 */
export async function runUnderWine(args: string[], progress: Progress, timeoutMs: number): Promise<BenchRun> {
  const log = (line: string): void => progress.note(line);
  if (BACKEND === 'win32') throw new Error('--windows runs Windows Node under Wine from Linux; on Windows, run the benchmark directly');
  const lanePath = laneModulePath();
  if (!existsSync(lanePath)) throw new Error(`the Windows lane is not there (${lanePath}); --windows needs tools/windows/wine.mjs`);
  const lane = (await import(pathToFileURL(lanePath).href)) as typeof WineLane;
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-bench-win-'));
  const jsonFile = join(dir, 'run.json');
  const version = wineVersion();
  // node.exe's stderr is a file under Wine: follow it for the inner run's `[n/N] case` lines.
  const stderrFile = join(lane.LOG_DIR, 'bench.stderr.txt');
  let shown = 0;
  const follow = setInterval(() => {
    let text: string;
    try {
      text = readFileSync(stderrFile, 'utf8');
    } catch {
      return;
    }
    const lines = text.split('\n');
    for (; shown < lines.length - 1; shown++) {
      const m = /^\[\s*(\d+)\/(\d+)\] (.*)$/.exec(lines[shown] ?? '');
      if (m) progress.start(`win32/Wine: ${m[3]}`, Number(m[1]) - 1, Number(m[2]));
    }
  }, 500);
  try {
    rmSync(stderrFile, { force: true });
    log('starting the benchmark under Windows Node in Wine (the first run prepares Wine and node.exe; peers start slowly under Wine)');
    const result = await lane.runWindowsNode({
      args: [
        lane.toWindowsPath(CLI),
        ...args,
        '--json',
        lane.toWindowsPath(jsonFile),
        '--progress',
        'lines',
        '--under-wine',
        ...(version ? ['--wine-version', version] : []),
      ],
      cwd: lane.REPO_ROOT,
      timeoutMs,
      logName: 'bench',
      log: (line) => log(`[windows] ${line}`),
    });
    if (result.timedOut) throw new Error(`node.exe did not finish within ${Math.round(timeoutMs / 1000)} s (log: ${result.stdoutFile})`);
    if (!existsSync(jsonFile)) {
      throw new Error(
        `node.exe exited with ${result.code ?? result.signal} and wrote no JSON:\n${(result.stdout + result.stderr).trim().split('\n').slice(-30).join('\n')}`,
      );
    }
    const run = checkRun(JSON.parse(readFileSync(jsonFile, 'utf8')), jsonFile);
    if (!run.environment.underWine) throw new Error('the inner run does not say it ran under Wine');
    run.environment.host = `${type()} ${release()} ${arch()} (the host Wine runs on)`;
    return run;
  } finally {
    clearInterval(follow);
    rmSync(dir, { recursive: true, force: true });
    try {
      lane.killWineserver();
    } catch {
      // nothing left to stop
    }
  }
}
