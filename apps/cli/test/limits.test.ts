// Message sizes (issue 18 §1): a sender learns that a listener refused its message (over the
// listener's --max-message-bytes) and did not take what followed, and `send` can raise its own
// 16 MiB limit. (A refusal of messages small enough for the OS buffers, or for shm's ring and
// payload pool, cannot reach the sender: a send is done once the transport holds it, and the framing
// carries nothing back. docs/cli.md says so.)
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorLines, lengthPrefixed, listening, runCli, runCliBytes, startCli, startCliBytes, stop, uniqueName, waitFor } from './helpers.js';

const DUPLEX: [string, () => string][] = [
  ['pipe', () => `pipe://${uniqueName('big')}`],
  ['shm', () => `shm://${uniqueName('big')}`],
  ['tcp', () => 'tcp://127.0.0.1:0'],
];

describe.each(DUPLEX)('over %s://', (_scheme, address) => {
  it('a message over the listener’s --max-message-bytes fails the sender: exit 1, EPIPE, the next message not sent', async () => {
    const listener = startCli(['listen', address(), '--max-message-bytes', '16']);
    try {
      const at = await listening(listener);
      // Lines over the listener's maximum, more of them (96 MiB) than the OS buffers or shm's ring
      // and payload pool (32 MiB) hold, then one that would fit: the listener refuses the first and
      // closes the channel, so a later one cannot go, and the sender says so. (With fewer bytes every
      // send could be taken by the buffers before the refusal, and a busy machine made that happen.)
      const r = await runCli(['send', at], { input: `${`${'x'.repeat(4 * 1024 * 1024)}\n`.repeat(24)}small\n` });
      expect(r.code, r.stderr).toBe(1);
      expect(errorLines(r.stderr)).toEqual([
        expect.stringMatching(/^ipckit: EPIPE: .* closed the channel before it took message \d: the listener refused a message/),
      ]);
      await waitFor(() => listener.stderr, /EMSGSIZE/);
      expect(listener.lines).toEqual([]);
    } finally {
      await stop(listener);
    }
  });
});

describe('send --max-message-bytes', () => {
  it('raises its own 16 MiB limit: a 20 MiB message goes whole; without it, EMSGSIZE before anything is sent', async () => {
    const big = randomBytes(20 * 1024 * 1024);
    const listener = startCliBytes(['listen', `pipe://${uniqueName('huge')}`, '--format', 'length-prefixed', '--max-message-bytes', '32m', '--count', '2']);
    try {
      const at = (await waitFor(listener.stderr, /listening on (\S+) /))[1] as string;
      const refused = await runCliBytes(['send', at, '--whole'], big, 120_000);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/^ipckit: EMSGSIZE: /m);
      const sent = await runCliBytes(['send', at, '--whole', '--max-message-bytes', '32m'], big, 120_000);
      expect(sent.code, sent.stderr).toBe(0);
      expect((await runCliBytes(['send', at, 'end'])).code).toBe(0);
      expect(await listener.exit).toBe(0);
      const messages = lengthPrefixed(listener.stdout());
      expect(messages.length).toBe(2);
      expect(messages[0]?.equals(big)).toBe(true);
    } finally {
      listener.child.kill('SIGKILL');
    }
  });

  it('a size is bytes, or k, m, g; anything else is a usage error', async () => {
    for (const value of ['0', '-1', 'lots', '5t']) {
      const r = await runCli(['send', 'pipe://x', 'y', '--max-message-bytes', value]);
      expect(r.code, `${value}: ${r.stderr}`).toBe(2);
    }
  });
});
