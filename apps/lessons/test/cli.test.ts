/**
 * `npm run lesson -- <n | name>` as people use it: piped, it runs straight through with plain text;
 * on a terminal (a pseudo-terminal made by util-linux `script`) it colours the lines and waits for
 * Enter after each step.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_DIR } from '../lib/programs.mjs';

const LESSON = join(APP_DIR, 'bin', 'lesson.mjs');

describe.runIf(process.platform === 'linux')('bin/lesson.mjs', () => {
  it('lists the lessons', () => {
    const r = spawnSync(process.execPath, [LESSON, '--list'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const slug of ['mailslots', 'pipes', 'memory-mapped-files', 'synchronization', 'choosing-and-measuring', 'publish-subscribe'])
      expect(r.stdout).toContain(slug);
  });

  it('lists the lessons in Chinese on request, header and all', () => {
    const r = spawnSync(process.execPath, [LESSON, '--list', '--lang', 'zh-CN'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('IPC 系列（npm run lesson -- <编号或名字>）：');
    expect(r.stdout).toContain('第 1 课 · 邮槽');
    expect(r.stdout).not.toContain('The IPC series');
  });

  it('refuses a lesson that does not exist, and says which exist', () => {
    const r = spawnSync(process.execPath, [LESSON, 'sockets', '--no-build'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no lesson "sockets"');
    expect(r.stdout).toContain('mailslots');
  });

  it('piped, runs a lesson by its name straight through, in plain text, narrated in Chinese on request', () => {
    const r = spawnSync(process.execPath, [LESSON, 'mailslots', '--lang', 'zh-CN', '--no-build'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('第 1 课 · 邮槽');
    expect(r.stdout).toContain('8/8');
    expect(r.stdout).toMatch(/^server {6}│ created /m);
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout).not.toContain('Enter: next step');
  });

  it('on a terminal, colours each process and pauses after each step until Enter (q quits)', async () => {
    // script(1) runs the lesson in a pseudo-terminal and forwards what we write to it as typed keys.
    const child = spawn('script', ['-qfec', `${process.execPath} ${LESSON} 1 --no-build`, '/dev/null'], { env: { ...process.env, TERM: 'xterm' } });
    let screen = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => (screen += text));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const waitFor = async (text: string, after = 0): Promise<number> => {
      const deadline = Date.now() + 60_000;
      while (screen.indexOf(text, after) < 0) {
        if (Date.now() > deadline) throw new Error(`no "${text}" on the terminal; it shows:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return screen.indexOf(text, after) + text.length;
    };
    const firstPrompt = await waitFor('Enter: next step');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(screen).toContain('1/8');
    expect(screen).not.toContain('2/8'); // it waits
    expect(screen.includes('\x1b[')).toBe(true); // colours (ANSI escapes)
    child.stdin.write('\r');
    await waitFor('2/8', firstPrompt);
    await waitFor('Enter: next step', firstPrompt);
    child.stdin.write('q\r');
    expect(await exited).toBe(0);
    expect(screen).not.toContain('3/8');
  });
});
