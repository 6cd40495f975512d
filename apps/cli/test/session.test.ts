// What a socat user reaches for (issue 18 §1): a two-way session (`ipckit connect`), a relay
// between two addresses (`ipckit relay`), and unframed byte streams (`--raw`).
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, runCliBytes, startCli, startCliBytes, stop, listening, uniqueName, waitFor } from './helpers.js';
import { within } from '@ipckit/core/testing';

const DUPLEX: [string, () => string][] = [
  ['pipe', () => `pipe://${uniqueName('ses')}`],
  ['shm', () => `shm://${uniqueName('ses')}`],
  ['tcp', () => 'tcp://127.0.0.1:0'],
];

describe.each(DUPLEX)('connect over %s://', (_scheme, address) => {
  it('sends each line of stdin and writes what comes back, both ways at once', async () => {
    const listener = startCli(['listen', address(), '--echo']);
    try {
      const at = await listening(listener);
      const r = await runCli(['connect', at, '--count', '3'], { input: 'one\ntwo\nthree\n' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('one\ntwo\nthree\n');
      expect(listener.lines).toEqual(['one', 'two', 'three']);
    } finally {
      await stop(listener);
    }
  });
});

describe('connect', () => {
  it('ends when the peer closes the channel, and says so', async () => {
    const listener = startCli(['listen', `pipe://${uniqueName('bye')}`, '--count', '1']);
    try {
      const at = await listening(listener);
      const session = startCli(['connect', at]);
      session.write('only\n');
      expect(await session.exit()).toBe(0);
      expect(session.stderr).toContain('the peer closed the channel');
      expect(listener.lines).toEqual(['only']);
    } finally {
      await stop(listener);
    }
  });

  it('to a one-way mailslot:// only sends', async () => {
    const listener = startCli(['listen', `mailslot://${uniqueName('ses')}`, '--count', '2']);
    try {
      const at = await listening(listener);
      const r = await runCli(['connect', at], { input: 'a\nb\n' });
      expect(r.code, r.stderr).toBe(0);
      expect(await listener.exit()).toBe(0);
      expect(listener.lines).toEqual(['a', 'b']);
    } finally {
      await stop(listener);
    }
  });
});

describe('relay', () => {
  it('pipe:// in front of a tcp:// service: each client gets its own channel, replies come back', async () => {
    const service = startCli(['listen', 'tcp://127.0.0.1:0', '--echo']);
    const front = `pipe://${uniqueName('front')}`;
    let relay: ReturnType<typeof startCli> | undefined;
    try {
      const target = await listening(service);
      relay = startCli(['relay', front, target]);
      await waitFor(() => relay?.stderr ?? '', /relaying pipe:\/\//);
      for (const word of ['first', 'second']) {
        const r = await runCli(['request', front, word]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toBe(`${word}\n`);
      }
      expect(service.lines).toEqual(['first', 'second']);
      expect(service.stderr).toMatch(/#2 connected/);
      expect(await stop(relay)).toBe(0);
    } finally {
      if (relay) await stop(relay);
      await stop(service);
    }
  });

  it('shm:// to a one-way mailslot://: messages go one way', async () => {
    const slot = startCli(['listen', `mailslot://${uniqueName('sink')}`, '--count', '2']);
    const front = `shm://${uniqueName('front')}`;
    let relay: ReturnType<typeof startCli> | undefined;
    try {
      const target = await listening(slot);
      relay = startCli(['relay', front, target]);
      await waitFor(() => relay?.stderr ?? '', /relaying shm:\/\//);
      const r = await runCli(['send', front], { input: 'x\ny\n' });
      expect(r.code, r.stderr).toBe(0);
      expect(await slot.exit()).toBe(0);
      expect(slot.lines).toEqual(['x', 'y']);
    } finally {
      if (relay) await stop(relay);
      await stop(slot);
    }
  });
});

describe('--raw: unframed byte streams', () => {
  it('listen --raw writes a raw peer’s bytes exactly; send --raw writes stdin as it is', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x41, 0x80]);
    const listener = startCliBytes(['listen', `pipe://${uniqueName('raw')}`, '--raw', '--count', '1']);
    const at = (await waitFor(listener.stderr, /listening on (\S+) /))[1] as string;
    const r = await runCliBytes(['send', at, '--raw'], bytes);
    expect(r.code, r.stderr).toBe(0);
    expect(await listener.exit).toBe(0);
    expect(listener.stdout()).toEqual(bytes);
    expect(listener.stderr()).toContain('#1 closed after 5 bytes');
  });

  it('connect --raw is a socat-like client for a raw echo: stdin out, the answer to stdout', async () => {
    const listener = startCli(['listen', 'tcp://127.0.0.1:0', '--raw', '--echo']);
    try {
      const at = await listening(listener);
      const r = await runCliBytes(['connect', at, '--raw'], Buffer.from('raw bytes, no frame'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe('raw bytes, no frame');
    } finally {
      await stop(listener);
    }
  });

  it('relay --raw passes bytes both ways between a tcp:// client and a raw pipe:// service', async () => {
    const service = startCli(['listen', `pipe://${uniqueName('rawsvc')}`, '--raw', '--echo']);
    let relay: ReturnType<typeof startCli> | undefined;
    try {
      const target = await listening(service);
      relay = startCli(['relay', '--raw', 'tcp://127.0.0.1:0', target]);
      const front = (await waitFor(() => relay?.stderr ?? '', /relaying tcp:\/\/(\S+) /))[1] as string;
      const [host, port] = front.split(':');
      const socket = netConnect({ host: host as string, port: Number(port) });
      const echoed = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.length >= 5) resolve(text);
        });
      });
      socket.write('hello');
      expect(await within(30_000, 'the echo through the relay', echoed)).toBe('hello');
      socket.destroy();
    } finally {
      if (relay) await stop(relay);
      await stop(service);
    }
  });

  it('--raw on a message transport is a usage error', async () => {
    for (const args of [
      ['listen', 'shm://x', '--raw'],
      ['send', 'mailslot://x', 'y', '--raw'],
    ]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^ipckit: EINVAL: --raw needs a byte-stream transport/m);
    }
  });
});
