import { describe, expect, it } from 'vitest';
import { errorLines, runCli } from './helpers.js';

const COMMANDS = ['listen', 'send', 'request', 'connect', 'relay', 'ls', 'clean', 'inspect', 'region', 'bench'];

describe('ipckit: help, version, usage errors', () => {
  it('--help lists every command, the addresses and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const command of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(r.stdout).toContain('shm://NAME');
    expect(r.stdout).toMatch(/^ {2}3 {4}not found/m);
  });

  it.each(COMMANDS.filter((c) => c !== 'bench'))('`help %s` and the command’s --help describe it', async (command) => {
    for (const args of [
      ['help', command],
      [command, '--help'],
    ]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ipckit ${command} `, 'm'));
    }
  });

  it('`help bench` describes it; `bench --help` is the bench’s own help', async () => {
    const short = await runCli(['help', 'bench']);
    expect(short.code).toBe(0);
    expect(short.stdout).toMatch(/^Usage: ipckit bench/m);
    const own = await runCli(['bench', '--help']);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain('ipckit-bench compare A.json B.json');
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command, an unknown option or a missing argument is a usage error (exit 2)', async () => {
    for (const args of [
      ['frobnicate'],
      ['ls', '--frob'],
      ['send'],
      ['request', 'pipe://x'],
      ['listen', 'pipe://x', '--format', 'yaml'],
      ['region', 'r', '--offset', '-1'],
    ]) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      // One format for every error line, the parser's too.
      expect(r.stderr).toMatch(/^ipckit: EINVAL: /);
      expect(r.stderr).not.toMatch(/^error:/m);
    }
  });

  it('a malformed address is a usage error, told in one line with its code', async () => {
    for (const address of ['nothing-here', 'ftp://x', 'pipe://']) {
      const r = await runCli(['send', address, 'x']);
      expect(r.code, r.stderr).toBe(2);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^ipckit: EINVAL: /)]);
    }
  });

  it('colours only when asked or on a terminal: never in a pipe', async () => {
    const plain = await runCli(['send', 'ftp://x', 'y']);
    expect(plain.stderr).not.toContain('\u001b[');
    const forced = await runCli(['send', 'ftp://x', 'y'], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(forced.stderr).toContain('\u001b[31mipckit:\u001b[39m EINVAL');
  });
});
