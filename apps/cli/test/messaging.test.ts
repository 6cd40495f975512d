import { describe, expect, it } from 'vitest';
import { errorLines, listening, runCli, startCli, stop, uniqueName } from './helpers.js';

const DUPLEX: [string, () => string][] = [
  ['pipe', () => `pipe://${uniqueName('pipe')}`],
  ['shm', () => `shm://${uniqueName('shm')}`],
  // Port 0: the OS picks one; `listen` says which (listening() reads it).
  ['tcp', () => 'tcp://127.0.0.1:0'],
];
const ALL: [string, () => string][] = [...DUPLEX, ['mailslot', () => `mailslot://${uniqueName('slot')}`]];

describe.each(ALL)('listen and send over %s://', (_scheme, address) => {
  it('prints every message: an argument, then each line of stdin; stops after --count with exit 0', async () => {
    const listener = startCli(['listen', address(), '--count', '3']);
    try {
      const at = await listening(listener);
      const one = await runCli(['send', at, 'one']);
      expect(one.code, one.stderr).toBe(0);
      const more = await runCli(['send', at], { input: 'two\nthree\n' });
      expect(more.code, more.stderr).toBe(0);
      expect(await listener.exit()).toBe(0);
      expect(listener.lines).toEqual(['one', 'two', 'three']);
    } finally {
      await stop(listener);
    }
  });
});

describe.each(DUPLEX)('request against `listen --echo` over %s://', (_scheme, address) => {
  it('prints the reply as text, hex or JSON', async () => {
    const listener = startCli(['listen', address(), '--echo']);
    try {
      const at = await listening(listener);
      const text = await runCli(['request', at, 'ping']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toBe('ping\n');
      const hex = await runCli(['request', at, 'ff 00 41', '--hex', '--format', 'hex']);
      expect(hex.code, hex.stderr).toBe(0);
      expect(hex.stdout).toContain('00000000  ff 00 41');
      expect(hex.stdout).toContain('|..A|');
      const json = await runCli(['request', at, '{"n":1}', '--format', 'json']);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ channel: 1, bytes: 7, text: '{"n":1}', json: { n: 1 } });
      // The listener saw all three, and prints them in its own format.
      expect(listener.lines.slice(0, 3)).toEqual(['ping', '\uFFFD\u0000A', '{"n":1}']);
    } finally {
      expect(await stop(listener)).toBe(0);
    }
  });
});

describe('listen formats', () => {
  it('--format json: one JSON line per message, with its channel; binary as base64', async () => {
    const at = `pipe://${uniqueName('json')}`;
    const listener = startCli(['listen', at, '--format', 'json', '--count', '2']);
    try {
      await listening(listener);
      expect((await runCli(['send', at, 'hello'])).code).toBe(0);
      expect((await runCli(['send', at, '--hex', 'ff fe'])).code).toBe(0);
      expect(await listener.exit()).toBe(0);
      expect(listener.events).toEqual([
        { channel: 1, bytes: 5, text: 'hello' },
        { channel: 2, bytes: 2, base64: '//4=' },
      ]);
    } finally {
      await stop(listener);
    }
  });

  it('--format hex: a header and a hexdump -C of each message', async () => {
    const at = `shm://${uniqueName('hex')}`;
    const listener = startCli(['listen', at, '--format', 'hex', '--count', '1']);
    try {
      await listening(listener);
      expect((await runCli(['send', at, 'ABCDEFGHIJKLMNOPQ'])).code).toBe(0);
      expect(await listener.exit()).toBe(0);
      expect(listener.lines).toEqual([
        '# message 1, channel 1, 17 bytes',
        '00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
        '00000010  51                                                |Q|',
        '00000011',
      ]);
    } finally {
      await stop(listener);
    }
  });
});

describe('exit codes', () => {
  it('nobody serves the address: exit 3, one ENOENT line', async () => {
    for (const args of [
      ['send', `pipe://${uniqueName('none')}`, 'x'],
      ['request', `shm://${uniqueName('none')}`, 'x'],
      ['send', `mailslot://${uniqueName('none')}`, 'x'],
    ]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(3);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^ipckit: ENOENT: /)]);
      // The code once: not "ipckit: ENOENT: nobody serves the mailslot ... (ENOENT)".
      expect(r.stderr.match(/ENOENT/g)).toHaveLength(1);
    }
  });

  it('no reply within --timeout: exit 4, one ETIMEDOUT line', async () => {
    const at = `pipe://${uniqueName('mute')}`;
    const listener = startCli(['listen', at]); // no --echo: it never answers
    try {
      await listening(listener);
      const started = Date.now();
      const r = await runCli(['request', at, 'anyone?', '--timeout', '1000']);
      expect(r.code, r.stderr).toBe(4);
      // The option as given, not what was left of it when the receive gave up ("within 994 ms").
      expect(errorLines(r.stderr)).toEqual([`ipckit: ETIMEDOUT: no reply from ${at} within 1000 ms (--timeout 1000)`]);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await stop(listener);
    }
  });

  it('one-way mailslot://: request and listen --echo are usage errors (exit 2)', async () => {
    const at = `mailslot://${uniqueName('oneway')}`;
    const request = await runCli(['request', at, 'x']);
    expect(request.code).toBe(2);
    expect(errorLines(request.stderr)).toEqual([expect.stringMatching(/^ipckit: EINVAL: mailslot:\/\/ is one-way/)]);
    const echo = await runCli(['listen', at, '--echo']);
    expect(echo.code).toBe(2);
    expect(errorLines(echo.stderr)).toEqual([expect.stringMatching(/--echo needs a duplex transport/)]);
  });

  it('send --wait waits for a listener that comes later', async () => {
    const at = `pipe://${uniqueName('late')}`;
    const sender = startCli(['send', at, 'early bird', '--wait', '15000']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sender.ended).toBe(false);
    const listener = startCli(['listen', at, '--count', '1']);
    try {
      expect(await sender.exit()).toBe(0);
      expect(await listener.exit()).toBe(0);
      expect(listener.lines).toEqual(['early bird']);
    } finally {
      await stop(listener);
      await stop(sender);
    }
  });

  it('listen stops cleanly on SIGINT and SIGTERM: exit 0, the name is free again', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const at = `pipe://${uniqueName('stop')}`;
      const first = startCli(['listen', at]);
      await listening(first);
      expect(await stop(first, signal)).toBe(0);
      expect(first.stderr).toContain(`stopped (${signal})`);
      const second = startCli(['listen', at, '--count', '1']);
      await listening(second);
      expect((await runCli(['send', at, 'again'])).code).toBe(0);
      expect(await second.exit()).toBe(0);
    }
  });
});
