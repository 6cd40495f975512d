// Bytes in are bytes out (issue 18 §1): stdin is never decoded, a listener can write each
// message's bytes exactly, and text mode says when it changed bytes.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lengthPrefixed, listening, runCli, runCliBytes, startCli, startCliBytes, stop, uniqueName, waitFor } from './helpers.js';

const ALL: [string, () => string, number][] = [
  ['pipe', () => `pipe://${uniqueName('bin')}`, 200_000],
  ['shm', () => `shm://${uniqueName('bin')}`, 200_000],
  ['tcp', () => 'tcp://127.0.0.1:0', 200_000],
  // A datagram: one message must fit the socket's buffer.
  ['mailslot', () => `mailslot://${uniqueName('bin')}`, 4_000],
];

/** Starts `ipckit listen ADDRESS --format length-prefixed ...`; resolves with it and the address it serves. */
async function byteListener(address: string, extra: string[] = []): Promise<{ at: string; listener: ReturnType<typeof startCliBytes> }> {
  const listener = startCliBytes(['listen', address, '--format', 'length-prefixed', ...extra]);
  const match = await waitFor(listener.stderr, /listening on (\S+) /);
  return { at: match[1] as string, listener };
}

describe.each(ALL)('bytes exactly over %s://', (_scheme, address, big) => {
  it('lines, a delimiter and --whole send the bytes as read; length-prefixed writes them as received', async () => {
    const binary = randomBytes(big);
    const { at, listener } = await byteListener(address(), ['--count', '6']);
    try {
      // The issue's own example: bytes that are not UTF-8, split into lines on LF. Between two
      // delimiters with nothing in between is an empty message, as an empty line is.
      const lines = await runCliBytes(['send', at], Buffer.from([0xff, 0xfe, 0x0a, 0x80]));
      expect(lines.code, lines.stderr).toBe(0);
      const split = await runCliBytes(['send', at, '--delimiter', '\\0'], Buffer.from([0x00, 0x41, 0x0a, 0x00, 0xff, 0x00]));
      expect(split.code, split.stderr).toBe(0);
      const whole = await runCliBytes(['send', at, '--whole'], binary);
      expect(whole.code, whole.stderr).toBe(0);
      expect(await listener.exit).toBe(0);
      expect(lengthPrefixed(listener.stdout())).toEqual([
        Buffer.from([0xff, 0xfe]),
        Buffer.from([0x80]),
        Buffer.alloc(0),
        Buffer.from([0x41, 0x0a]),
        Buffer.from([0xff]),
        binary,
      ]);
    } finally {
      listener.child.kill('SIGKILL');
    }
  });
});

describe('listen --format raw and text', () => {
  it('raw writes each message exactly, then the delimiter the user chose', async () => {
    const listener = startCliBytes(['listen', `pipe://${uniqueName('raw')}`, '--format', 'raw', '--delimiter', '\\x1e', '--count', '2']);
    const at = (await waitFor(listener.stderr, /listening on (\S+) /))[1] as string;
    expect((await runCli(['send', at, '--hex', 'ff 00 41'])).code).toBe(0);
    expect((await runCli(['send', at, 'two'])).code).toBe(0);
    expect(await listener.exit).toBe(0);
    expect(listener.stdout()).toEqual(Buffer.from([0xff, 0x00, 0x41, 0x1e, 0x74, 0x77, 0x6f, 0x1e]));
  });

  it('text says on stderr which message it changed, and how to keep the bytes', async () => {
    const listener = startCli(['listen', `pipe://${uniqueName('text')}`, '--count', '2']);
    try {
      const at = await listening(listener);
      expect((await runCli(['send', at, 'fine'])).code).toBe(0);
      expect((await runCli(['send', at, '--hex', 'ff 00 41'])).code).toBe(0);
      expect(await listener.exit()).toBe(0);
      expect(listener.lines).toEqual(['fine', '\uFFFD\u0000A']);
      expect(listener.stderr).toMatch(/#2: message 2 \(3 bytes\) is not valid UTF-8: printed with U\+FFFD .*--format raw/);
      expect(listener.stderr).not.toMatch(/message 1 .*not valid UTF-8/);
    } finally {
      await stop(listener);
    }
  });

  it('request --format raw writes the reply exactly', async () => {
    const listener = startCli(['listen', `shm://${uniqueName('reply')}`, '--echo']);
    try {
      const at = await listening(listener);
      const r = await runCliBytes(['request', at, '--hex', '00 ff fe 0a 80', '--format', 'raw', '--delimiter', '\\0']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toEqual(Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x80, 0x00]));
    } finally {
      await stop(listener);
    }
  });

  it('a bad delimiter or a delimiter without --format raw is a usage error', async () => {
    for (const args of [
      ['send', 'pipe://x', '--delimiter', '\\q'],
      ['send', 'pipe://x', '--whole', '--delimiter', ','],
      ['listen', 'pipe://x', '--delimiter', ','],
    ]) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^ipckit: EINVAL: /m);
    }
  });
});
