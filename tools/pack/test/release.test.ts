import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The release set (tools/pack/release.mjs), as the README tells a user to install it before a
// release exists: the tarballs of `ipckit` and what it depends on, in one `npm install`, into an
// empty project; then one import of 'ipckit' serves and connects, and the command runs. The bench
// and zeromq stay out.

interface ReleaseModule {
  release: (folder: string) => { name: string; version: string; tarball: string }[];
  everydaySet: (packed: { name: string; tarball: string }[]) => string[];
  releaseProblems: () => string[];
}

const RELEASE = new URL('../release.mjs', import.meta.url);
const work = mkdtempSync(join(tmpdir(), 'ipckit-release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string): { code: number | null; out: string } => {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
};

describe('the release set', () => {
  it('agrees on one version, and every @ipckit dependency names the version packed beside it', async () => {
    const { releaseProblems } = (await import(RELEASE.href)) as ReleaseModule;
    expect(releaseProblems()).toEqual([]);
  });

  it('installs into an empty project in one npm install; `ipckit` is one import and the command', async () => {
    const { release, everydaySet } = (await import(RELEASE.href)) as ReleaseModule;
    const packed = release(join(work, 'release'));
    const tarballs = everydaySet(packed);
    expect(packed.map((p) => p.name)).toContain('ipckit');
    const project = join(work, 'app');
    spawnSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = run('npm', ['install', '--prefer-offline', ...tarballs], project);
    expect(install.code, install.out).toBe(0);
    expect(existsSync(join(project, 'node_modules', '@ipckit', 'bench'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'zeromq'))).toBe(false);
    writeFileSync(
      join(project, 'echo.mjs'),
      `import { connect, listen, serve, createMutex, uniqueName } from 'ipckit';
const name = uniqueName('release');
const listener = await listen('pipe://' + name);
const serving = serve(listener, async (channel) => { for await (const m of channel) await channel.send(m); });
const channel = await connect('pipe://' + name);
await channel.send(new TextEncoder().encode('hello'));
for await (const reply of channel) { console.log(new TextDecoder().decode(reply)); break; }
await channel.close(); await listener.close(); await serving;
console.log(typeof createMutex);`,
    );
    const echo = run(process.execPath, ['echo.mjs'], project);
    expect(echo.code, echo.out).toBe(0);
    expect(echo.out).toMatch(/^hello\nfunction\n/);
    const version = run('npx', ['--no-install', 'ipckit', '--version'], project);
    expect(version.code, version.out).toBe(0);
    expect(version.out.trim()).toBe(packed.find((p) => p.name === 'ipckit')?.version);
  });
});
