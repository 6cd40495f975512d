import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('ipckit bench', () => {
  // The one benchmark run of the test suite, as small as the bench allows: one transport, one
  // scenario, one size. It checks the command reaches the bench and hands over its arguments,
  // output and exit code; figures are the bench's business (apps/bench).
  it('runs the comparison app and compares two saved runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipckit-cli-bench-'));
    try {
      const file = join(dir, 'run.json');
      const run = await runCli(
        ['bench', '--quick', '--transports', 'tcp', '--baselines', 'none', '--scenarios', 'ping-pong', '--sizes', '64', '--progress', 'none', '--json', file],
        {
          timeoutMs: 120_000,
        },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toBeTypeOf('object');
      const compare = await runCli(['bench', 'compare', file, file]);
      expect(compare.code, compare.stderr).toBe(0);
      expect(compare.stdout).toContain('tcp');
      const bad = await runCli(['bench', '--transports', 'carrier-pigeon']);
      expect(bad.code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
