// `ipckit hz` and `ipckit tap` against a real publisher process, each command a real child process.
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, uniqueName } from './helpers.js';
import { reap, startCli, startPublisher, type Child } from './topics-fixture.js';

const children: Child[] = [];
afterEach(() => reap(children));

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('ipckit tap', () => {
  it('prints every delivery exactly, with its seq, missed count and size (text)', async () => {
    const address = `pipe://${uniqueName('tap')}`;
    const messages = [bytes('hello'), bytes('two\nlines'), Uint8Array.of(0x00, 0xff, 0x1b)];
    const publisher = await startPublisher(address, 1, messages);
    children.push(publisher);
    const tap = await runCli(['tap', address]);
    expect(tap.code).toBe(0);
    expect(tap.stdout).toBe(['seq=0 missed=0 bytes=5 hello', 'seq=1 missed=0 bytes=9 two\\nlines', 'seq=2 missed=0 bytes=3 \\x00\uFFFD\\x1b', ''].join('\n'));
    expect(await publisher.exit).toBe(0);
  });

  it('--format jsonl gives text or base64 and --format hex gives hexdump -C, on tcp://', async () => {
    const messages = [bytes('{"a":1}'), Uint8Array.of(1, 2, 0xfe)];
    const publisher = await startPublisher('tcp://127.0.0.1:0', 2, messages);
    children.push(publisher);
    const address = `tcp://${publisher.name}`;
    const [jsonl, hex] = await Promise.all([runCli(['tap', address, '--format', 'jsonl']), runCli(['tap', address, '--format', 'hex'])]);
    expect(jsonl.code).toBe(0);
    expect(
      jsonl.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { seq: 0, missed: 0, bytes: 7, text: '{"a":1}' },
      { seq: 1, missed: 0, bytes: 3, base64: Buffer.from([1, 2, 0xfe]).toString('base64') },
    ]);
    expect(hex.code).toBe(0);
    expect(hex.stdout).toBe(
      [
        '# seq 0, missed 0, 7 bytes',
        `00000000  7b 22 61 22 3a 31 7d${' '.repeat(30)}|{"a":1}|`,
        '00000007',
        '# seq 1, missed 0, 3 bytes',
        `00000000  01 02 fe${' '.repeat(42)}|...|`,
        '00000003',
        '',
      ].join('\n'),
    );
  });

  it('--count stops after N deliveries while the publisher goes on', async () => {
    const address = `pipe://${uniqueName('tap-count')}`;
    const publisher = await startPublisher(address, 1, [bytes('a'), bytes('b'), bytes('c')]);
    children.push(publisher);
    const tap = await runCli(['tap', address, '--count', '2']);
    expect(tap.code).toBe(0);
    expect(tap.stdout).toBe('seq=0 missed=0 bytes=1 a\nseq=1 missed=0 bytes=1 b\n');
    expect(await publisher.exit).toBe(0);
  });

  it('Ctrl-C (SIGINT) ends a tap cleanly, exit 0', async () => {
    const address = `pipe://${uniqueName('tap-int')}`;
    const publisher = await startPublisher(address, 2, []);
    children.push(publisher);
    const tap = startCli(['tap', address]);
    children.push(tap);
    await expect.poll(() => tap.stderr(), { timeout: 30_000 }).toMatch(/tapping/);
    tap.child.kill('SIGINT');
    expect(await tap.exit).toBe(0);
    publisher.child.kill('SIGKILL');
  });

  it('bad input: mailslot:// is ENOTSUP, nobody publishing is ENOENT, a bad scheme is EINVAL', async () => {
    const mailslot = await runCli(['tap', `mailslot://${uniqueName('ms')}`]);
    expect(mailslot.code).toBe(1);
    expect(mailslot.stderr).toMatch(/^ipckit: ENOTSUP: /m);
    const nobody = await runCli(['tap', `pipe://${uniqueName('nobody')}`]);
    expect(nobody.code).toBe(3);
    expect(nobody.stderr).toMatch(/^ipckit: ENOENT: /m);
    const scheme = await runCli(['hz', 'udp://x']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(/^ipckit: EINVAL: unknown scheme "udp:\/\/" \(known: .*nats:\/\//m);
  });
});

describe('ipckit hz', () => {
  it('prints the rate, bandwidth and sizes of what it received, exactly counted', async () => {
    const address = `pipe://${uniqueName('hz')}`;
    const sizes = [1, 10, 100, 1000, 3];
    const publisher = await startPublisher(
      address,
      1,
      sizes.map((n) => new Uint8Array(n).fill(7)),
    );
    children.push(publisher);
    const hz = await runCli(['hz', address]);
    expect(hz.code).toBe(0);
    const total = hz.stdout.split('\n').find((l) => l.startsWith('total:'));
    expect(total).toMatch(/^total: 5 messages, 1\.1 KiB in \d+\.\d s; \d+(\.\d)? msg\/s {2}\S+ \S+\/s {2}size min 1 B max 1000 B {2}missed 0$/);
    // The buckets: 1 -> <=1 B, 3 -> <=4 B, 10 -> <=16 B, 100 -> <=128 B, 1000 -> <=1 KiB.
    expect(hz.stdout).toContain('sizes:\n  <= 1 B: 1\n  <= 4 B: 1\n  <= 16 B: 1\n  <= 128 B: 1\n  <= 1 KiB: 1\n');
  });

  it('--json reports each second (with min/median/max) and a total; --duration ends it', async () => {
    const address = `pipe://${uniqueName('hz-json')}`;
    // A publisher that never sends: the windows report zero, the duration ends the run.
    const publisher = await startPublisher(address, 2, []);
    children.push(publisher);
    const hz = await runCli(['hz', address, '--json', '--duration', '2500']);
    expect(hz.code).toBe(0);
    const lines = hz.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const windows = lines.filter((l) => l['type'] === 'window');
    expect(windows.length).toBeGreaterThanOrEqual(1);
    expect(windows[0]).toMatchObject({ messages: 0, bytes: 0, rate: 0, min: 0, median: 0, max: 0 });
    expect(lines.at(-1)).toMatchObject({ type: 'total', messages: 0, bytes: 0 });
    publisher.child.kill('SIGKILL');
  });

  it('--count ends it after N messages', async () => {
    const address = `pipe://${uniqueName('hz-count')}`;
    const publisher = await startPublisher(address, 1, [bytes('aa'), bytes('bbbb'), bytes('c')]);
    children.push(publisher);
    const hz = await runCli(['hz', address, '--count', '2', '--json']);
    expect(hz.code).toBe(0);
    expect(JSON.parse(hz.stdout.trimEnd().split('\n').at(-1) ?? '{}')).toMatchObject({ type: 'total', messages: 2, bytes: 6, min: 2, max: 4 });
  });
});
