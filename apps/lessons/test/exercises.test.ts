/**
 * Each exercise's solution, run: what the lesson text shows is what works. (Windows:
 * test/win32/exercises.test.mjs.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRun } from '../lib/bench.mjs';
import { LessonProcess } from '../lib/proc.mjs';
import { APP_DIR, cProgram, nodeScript } from '../lib/programs.mjs';

let sequence = 0;
const procs: LessonProcess[] = [];
const start = (label: string, file: string, args: string[]): LessonProcess => {
  const proc = new LessonProcess(label, file, args, { sequence: () => sequence++ });
  procs.push(proc);
  return proc;
};
const node = (script: string, ...args: string[]): LessonProcess => start(script, process.execPath, [nodeScript(script), ...args]);
const name = (what: string): string => `ex-${what}-${String(process.pid)}-${Math.random().toString(36).slice(2, 8)}`;

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

describe.runIf(process.platform === 'linux')('the exercises’ solutions (Linux)', () => {
  it('1: a request and its reply through two mailslots', async () => {
    const n = name('slot');
    const server = node('exercises/ex1-reply', 'serve', n, '1');
    await server.expect('serving');
    const client = node('exercises/ex1-reply', 'ask', n, 'how long is this question');
    expect(await client.expect('answer:')).toBe('answer: you asked "how long is this question"; the answer is 25 characters long');
    await client.done();
    await server.done();
  });

  it('2: a frame written by hand reaches the lesson’s pipe server, and its reply comes back', async () => {
    const n = name('pipe');
    const server = node('02-pipes/server', n);
    await server.expect('listening on');
    const client = node('exercises/ex2-frame', n, 'by hand');
    expect(await client.expect('the reply frame')).toBe('the reply frame: 4 + 7 bytes, "BY HAND"');
    await client.done();
    expect(await server.expect('got')).toBe('got 7 bytes: "by hand"');
    server.send('close');
    await server.done();
  });

  it('3: a view at offset 70,000 mapped by hand in C', async () => {
    const n = name('map');
    const writer = node('03-mapping/writer', n);
    await writer.expect('wrote "far from the start"');
    const view = start('ex3_view', cProgram('ex3_view'), [n, '70000', '32']);
    expect(await view.expect('mapped from')).toBe('mapped from 69632 (a multiple of 4096), skipped 368 bytes: "far from the start"');
    await view.done();
    writer.send('close');
    await writer.done();
  });

  it('4: a seqlock: readers retry instead of locking, and no copy is torn', async () => {
    const n = name('seq');
    const writer = node('exercises/ex4-seqlock', 'write', n);
    await writer.expect('writing');
    const reader = node('exercises/ex4-seqlock', 'read', n, '200000');
    expect(await reader.expect('copies')).toMatch(/^read 200000 copies: 0 torn, after \d+ retries$/);
    await reader.done(0, 60_000);
    writer.send('stop');
    await writer.done();
  });

  it('5: the ratios computed from the saved bench run', async () => {
    const runFile = join(APP_DIR, 'bench', 'run.json');
    const ratios = node('exercises/ex5-ratios', runFile);
    await ratios.done();
    const run = loadRun(runFile);
    const p50 = (target: string, size: number): number | undefined =>
      run.results.find(
        (r: { target: string; scenario: string; sizeBytes: number }) => r.target === target && r.scenario === 'ping-pong' && r.sizeBytes === size,
      )?.latencyNs.p50;
    const expected = run.options.sizes
      .filter((size) => p50('pipe', size) !== undefined && p50('shm-sync', size) !== undefined)
      .map((size) => `×${((p50('pipe', size) ?? 0) / (p50('shm-sync', size) ?? 1)).toPrecision(3)}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(ratios.lines.map((l) => /×\S+$/.exec(l.text)?.[0])).toEqual(expected);
    expect((JSON.parse(readFileSync(runFile, 'utf8')) as { schema: string }).schema).toBe('ipckit-bench/1');
  });
});
