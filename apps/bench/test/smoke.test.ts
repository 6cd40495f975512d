/**
 * Smoke test: the real CLI, `--quick` on pipe and tcp, then on shm's
 * receiveSync(into) target, writing JSON, and the JSON's shape. No timing assertions: the speed goals live in the
 * benchmark itself, not in tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ipckit-bench-smoke-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A JSON object read back from the run file: nothing in it is trusted until a check has looked at it. */
type JsonObject = Record<string, unknown>;

function expectPositiveNumbers(value: unknown, path: string): void {
  if (typeof value === 'number') {
    expect(Number.isFinite(value) && value > 0, `${path} = ${value} should be a number > 0`).toBe(true);
    return;
  }
  expect(value !== null && typeof value === 'object', `${path} should be an object of numbers`).toBe(true);
  const entries = Object.entries(value as Record<string, unknown>);
  expect(entries.length, `${path} should not be empty`).toBeGreaterThan(0);
  for (const [key, inner] of entries) expectPositiveNumbers(inner, `${path}.${key}`);
}

describe('ipckit-bench --quick', () => {
  it('measures pipe and tcp and writes JSON of the documented shape', () => {
    expect(existsSync(CLI), `${CLI} is missing: build first (npx tsc -b tsconfig.lib.json)`).toBe(true);
    const jsonFile = join(dir, 'run.json');
    const htmlFile = join(dir, 'run.html');
    const run = spawnSync(
      process.execPath,
      [CLI, '--quick', '--transports', 'pipe,tcp', '--baselines', 'memcpy', '--json', jsonFile, '--html', htmlFile, '--progress', 'none'],
      { encoding: 'utf8', timeout: 110_000 },
    );
    expect(run.status, `exit ${run.status}\n${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('ROUND TRIP');
    expect(run.stdout).toContain('ONE-WAY');

    const data = JSON.parse(readFileSync(jsonFile, 'utf8')) as JsonObject;
    expect(data['schema']).toBe('ipckit-bench/1');
    const env = data['environment'] as JsonObject;
    for (const field of ['cpuModel', 'platform', 'arch', 'kernel', 'node', 'label']) {
      const value = env[field];
      expect(typeof value === 'string' && value.length > 0, `environment.${field}`).toBe(true);
    }
    expect(env['cores']).toBeGreaterThan(0);
    const os = env['os'] as JsonObject;
    expect(os['type']).toBeTruthy();
    expect(os['release']).toBeTruthy();
    expect(env['underWine']).toBe(false);

    const targets = data['targets'] as JsonObject[];
    for (const id of ['pipe', 'tcp']) {
      const target = targets.find((t) => t['id'] === id);
      expect(target?.['available'], `${id} available`).toBe(true);
      expect(String(target?.['backend'])).toMatch(/posix|win32/);
    }

    const results = data['results'] as JsonObject[];
    for (const id of ['pipe', 'tcp']) {
      for (const scenario of ['ping-pong', 'stream', 'fan-in']) {
        expect(
          results.some((r) => r['target'] === id && r['scenario'] === scenario),
          `${id} ${scenario}`,
        ).toBe(true);
      }
    }
    expect(results.some((r) => r['target'] === 'memcpy')).toBe(true);
    for (const r of results) {
      const where = String(r['label']);
      expect(typeof r['label']).toBe('string');
      if (r['scenario'] === 'ping-pong') {
        expect(r['direction']).toBe('round trip');
        expect(where).toContain('round trip');
        expectPositiveNumbers(r['latencyNs'], `${where} latencyNs`);
        const latency = r['latencyNs'] as JsonObject;
        expect(latency['p50']).toBeLessThanOrEqual(latency['p99'] as number);
        expect(latency['p99']).toBeLessThanOrEqual(latency['max'] as number);
      } else if (r['scenario'] === 'memcpy') {
        expectPositiveNumbers(r['throughput'], `${where} throughput`);
      } else {
        expect(r['direction']).toBe('one-way');
        expect(where).toContain('one-way');
        expectPositiveNumbers(r['throughput'], `${where} throughput`);
      }
      for (const field of ['sizeBytes', 'operations', 'durationNs', 'writers']) expectPositiveNumbers(r[field], `${where} ${field}`);
      expectPositiveNumbers((r['cpu'] as JsonObject)['perMessageNs'], `${where} cpu.perMessageNs`);
      expectPositiveNumbers(r['peakRssBytes'], `${where} peakRssBytes`);
      if (r['target'] === 'tcp' && r['scenario'] !== 'memcpy') expectPositiveNumbers((r['ratios'] as JsonObject)['toPipe'], `${where} ratios.toPipe`);
    }

    // The idle measure: one entry per transport, each process's CPU as a share of one core.
    expect(run.stdout).toContain('Idle CPU');
    const idle = data['idle'] as JsonObject[];
    for (const id of ['pipe', 'tcp']) {
      const entry = idle.find((r) => r['target'] === id);
      expect(entry, `${id} idle`).toBeDefined();
      expect(entry!['label']).toContain('no traffic');
      expectPositiveNumbers(entry!['durationNs'], `${id} idle durationNs`);
      expectPositiveNumbers(entry!['peakRssBytes'], `${id} idle peakRssBytes`);
      for (const role of ['reader', 'writer']) {
        const percent = (entry!['cpuPercent'] as JsonObject)[role];
        expect(typeof percent === 'number' && Number.isFinite(percent) && percent >= 0, `${id} idle cpuPercent.${role} = ${String(percent)}`).toBe(true);
      }
    }
    expect((data['options'] as JsonObject)['idleMs']).toBeGreaterThan(0);

    const html = readFileSync(htmlFile, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Idle CPU');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('measures shm sync with receiveSync(into) as its own target', () => {
    const jsonFile = join(dir, 'into.json');
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        '--quick',
        '--transports',
        'shm-sync-into',
        '--baselines',
        'none',
        '--sizes',
        '64',
        '--idle-seconds',
        '0.2',
        '--json',
        jsonFile,
        '--progress',
        'none',
      ],
      { encoding: 'utf8', timeout: 110_000 },
    );
    expect(run.status, `exit ${run.status}\n${run.stdout}\n${run.stderr}`).toBe(0);
    const data = JSON.parse(readFileSync(jsonFile, 'utf8')) as JsonObject;
    const target = (data['targets'] as JsonObject[]).find((t) => t['id'] === 'shm-sync-into');
    expect(target?.['available'], `shm-sync-into available: ${String(target?.['reason'])}`).toBe(true);
    expect(String(target?.['backend'])).toContain('receiveSync(into)');
    const results = data['results'] as JsonObject[];
    for (const scenario of ['ping-pong', 'stream']) {
      const r = results.find((x) => x['target'] === 'shm-sync-into' && x['scenario'] === scenario);
      expect(r, `shm-sync-into ${scenario}`).toBeDefined();
      expectPositiveNumbers(r![scenario === 'ping-pong' ? 'latencyNs' : 'throughput'], `shm-sync-into ${scenario}`);
    }
    // One blocked thread serves one channel: fan-in is listed as not measured, with the reason.
    expect((data['skipped'] as JsonObject[]).some((s) => s['target'] === 'shm-sync-into' && s['scenario'] === 'fan-in')).toBe(true);
    expect((data['idle'] as JsonObject[]).some((r) => r['target'] === 'shm-sync-into')).toBe(true);
  });
});
