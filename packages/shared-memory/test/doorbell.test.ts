/**
 * The POSIX doorbell's rings (src/posix-doorbell.ts): a blocking API's ring
 * is sent at once; an asynchronous one's after the first of a turn are
 * queued and sent together (32 to a send), when the turn ends, or at
 * flush(). Read here from a raw socket listening at a doorbell's name, so
 * what arrives, and when, is seen byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { IS_LINUX } from '@ipckit/sys';
import { AF_UNIX, MSG_DONTWAIT, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, abstractSockaddrUn, libc } from '@ipckit/sys/posix';
import { posixDoorbell } from '../src/posix-doorbell.js';

/** A listening socket at the doorbell name of (pid, thread), and what its one accepted connection has received so far. */
function fakeBell(pid: number, thread: number): { tokens: () => number[]; close: () => void } {
  const c = libc();
  const listenFd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const { addr, length } = abstractSockaddrUn(`ipckit-bell/${process.getuid!()}/${pid}/${thread}`);
  expect(c.bind(listenFd, addr, length)).toBe(0);
  expect(c.listen(listenFd, 4)).toBe(0);
  let fd = -1;
  const buffer = new Uint8Array(4096);
  return {
    tokens: () => {
      if (fd < 0) fd = c.accept4(listenFd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      const out: number[] = [];
      for (;;) {
        const n = fd < 0 ? -1 : c.recv(fd, buffer, buffer.length, MSG_DONTWAIT);
        if (n <= 0) return out;
        expect(n % 4).toBe(0);
        const view = new DataView(buffer.buffer, 0, n);
        for (let at = 0; at < n; at += 4) out.push(view.getUint32(at, true));
      }
    },
    close: () => {
      if (fd >= 0) c.close(fd);
      c.close(listenFd);
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.runIf(IS_LINUX)('the POSIX doorbell', () => {
  // A pid no process has (above pid_max's default of 4,194,304), so the name is ours alone.
  const pid = 4_190_000 + (process.pid % 4096);

  it('rings of the blocking APIs go at once, each in its own send', async () => {
    const bell = fakeBell(pid, 1);
    const doorbell = posixDoorbell();
    try {
      for (let token = 1; token <= 5; token++) expect(doorbell.ring(pid, 1, token)).toBe(true);
      // No turn of the event loop has run: all five are there.
      expect(bell.tokens()).toEqual([1, 2, 3, 4, 5]);
    } finally {
      doorbell.forget(pid);
      bell.close();
    }
  });

  it('deferred rings: the first of a turn at once, then sends of 32, the rest when the turn ends', async () => {
    const bell = fakeBell(pid, 2);
    const doorbell = posixDoorbell();
    try {
      await nextTurn();
      const tokens = Array.from({ length: 40 }, (_, i) => 100 + i);
      for (const token of tokens) expect(doorbell.ring(pid, 2, token, true)).toBe(true);
      expect(bell.tokens()).toEqual(tokens.slice(0, 33));
      await nextTurn();
      expect(bell.tokens()).toEqual(tokens.slice(33));
      // A new turn: its first goes at once again; flush() sends what was queued after it.
      doorbell.ring(pid, 2, 500, true);
      doorbell.ring(pid, 2, 501, true);
      doorbell.ring(pid, 2, 502, true);
      expect(bell.tokens()).toEqual([500]);
      doorbell.flush();
      expect(bell.tokens()).toEqual([501, 502]);
    } finally {
      doorbell.forget(pid);
      bell.close();
    }
  });

  it('a doorbell nobody listens at is refused at once, deferred or not', () => {
    const doorbell = posixDoorbell();
    expect(doorbell.ring(pid, 3, 1, true)).toBe(false);
    expect(doorbell.ring(pid, 3, 1)).toBe(false);
  });
});
