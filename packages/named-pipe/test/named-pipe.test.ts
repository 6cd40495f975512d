import { lstat, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, uniqueName, type Channel, type Listener } from '@ipckit/core';
import { resolveTransport } from '@ipckit/core/kit';
import { PeerProcess, within } from '@ipckit/core/testing';
import { connectStream, listenStream, pipePath, transport } from '@ipckit/named-pipe';
import { runtimeDirectory as socketDirectory } from '@ipckit/sys';

const isPosix = process.platform !== 'win32';
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

describe('named-pipe', () => {
  it('is what pipe:// resolves to, loaded on first use', async () => {
    expect(await resolveTransport('pipe')).toBe(transport);
    const name = uniqueName('np');
    const listener = await listen(`pipe://${name}`);
    open.push(listener);
    const client = await connect(`pipe://${name}`);
    open.push(client);
    const server = (await listener[Symbol.asyncIterator]().next()).value as Awaited<ReturnType<typeof connect>>;
    open.push(server);
    await client.send(new Uint8Array([42]));
    expect([...((await server[Symbol.asyncIterator]().next()).value as Uint8Array)]).toEqual([42]);
  });

  it('reports the full OS path of its name', async () => {
    const name = uniqueName('np');
    const listener = await transport.listen(name);
    open.push(listener);
    expect(listener.path).toBe(await pipePath(name));
    expect(listener.path).toBe(isPosix ? join(socketDirectory(), name) : `\\\\.\\pipe\\${name}`);
  });

  it('gives raw byte streams to programs that frame their own way', async () => {
    const name = uniqueName('np');
    const { server } = await listenStream(name);
    open.push(server);
    const received = new Promise<string>((resolve) => {
      server.on('connection', (socket) => socket.setEncoding('utf8').once('data', (text: string) => resolve(text)));
    });
    const socket = await connectStream(name);
    socket.end('plain bytes, no header');
    expect(await received).toBe('plain bytes, no header');
  });

  it('rejects a name whose path would pass the OS limit with EINVAL, never truncating', async () => {
    const room = isPosix ? 103 - Buffer.byteLength(`${socketDirectory()}/`) : 256 - 9;
    await expect(transport.listen('n'.repeat(room + 1))).rejects.toMatchObject({ code: 'EINVAL' });
    const fits = uniqueName('np').padEnd(room, 'z');
    const listener = await transport.listen(fits);
    open.push(listener);
    expect(listener.path.endsWith(fits)).toBe(true);
  });

  it('rejects bad options with EINVAL', async () => {
    await expect(transport.listen(uniqueName('np'), { maxMessageBytes: -1 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(transport.connect(uniqueName('np'), { timeoutMs: 0 })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe.runIf(isPosix)('named-pipe on POSIX', () => {
  it('keeps sockets in a 0700 directory of ours', async () => {
    const listener = await transport.listen(uniqueName('np'));
    open.push(listener);
    const info = await lstat(socketDirectory());
    expect(info.isDirectory()).toBe(true);
    expect(info.mode & 0o777).toBe(0o700);
    expect(info.uid).toBe(process.getuid?.());
  });

  it('replaces a stale socket file left by a crashed server', async () => {
    const name = uniqueName('np');
    const path = await pipePath(name);
    // A server process that dies without cleaning up leaves its socket file behind.
    const child = new PeerProcess(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(await child.exit()).toBe(null); // killed by its own signal
    expect((await lstat(path)).isSocket()).toBe(true);
    const listener = await transport.listen(name);
    open.push(listener);
    const client = await transport.connect(name);
    open.push(client);
    expect(client.closed).toBe(false);
  });

  it('does not replace a live socket (EADDRINUSE) nor delete a non-socket file', async () => {
    const name = uniqueName('np');
    const path = await pipePath(name);
    const live = createServer();
    await new Promise<void>((resolve) => live.listen(path, resolve));
    open.push(live);
    await expect(transport.listen(name)).rejects.toMatchObject({ code: 'EADDRINUSE' });

    const other = uniqueName('np');
    const file = await pipePath(other);
    await writeFile(file, 'not a socket');
    try {
      await expect(transport.listen(other)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect((await lstat(file)).isFile()).toBe(true);
    } finally {
      await rm(file, { force: true });
    }
  });

  it('removes its socket file when the listener closes', async () => {
    const name = uniqueName('np');
    const listener: Listener = await transport.listen(name);
    await listener.close();
    await expect(lstat(listener.path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('named-pipe listen options', () => {
  it('closes the listener when its signal aborts', async () => {
    const name = uniqueName('np');
    const controller = new AbortController();
    const listener = await transport.listen(name, { signal: controller.signal });
    const iteration = (async () => {
      for await (const _ of listener) {
        // Drained: only the end of the iteration matters.
      }
    })();
    controller.abort();
    await iteration;
    await expect(transport.connect(name)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

/** Runs an ES module snippet in its own process; `process.argv[1..]` are `args`. Lines it prints are collected. */
/** Runs `script` as an ES module in a peer process, killed after the test. */
function child(script: string, ...args: string[]): PeerProcess {
  const proc = PeerProcess.module(script, args, { timeoutMs: 10_000 });
  open.push({ close: () => proc.kill() });
  return proc;
}

const PIPE_URL = new URL('../dist/index.js', import.meta.url).href;

describe('named-pipe: review fixes', () => {
  it('listen with an already-aborted signal rejects with ECANCELED and holds nothing', async () => {
    const name = uniqueName('np-abort');
    await expect(transport.listen(name, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ECANCELED' });
    open.push(await transport.listen(name));
  });

  it('listen with a signal that is not an AbortSignal rejects with EINVAL and holds nothing', async () => {
    const name = uniqueName('np-sig');
    await expect(transport.listen(name, { signal: {} as AbortSignal })).rejects.toMatchObject({ name: 'IpcError', code: 'EINVAL' });
    open.push(await transport.listen(name));
  });

  it('a signal aborted while listen() is still setting up closes the listener', async () => {
    const name = uniqueName('np-race');
    const controller = new AbortController();
    const listening = transport.listen(name, { signal: controller.signal });
    controller.abort();
    const listener = await listening;
    open.push(listener);
    // Its iteration ends and the name is free again.
    expect(await within(60_000, 'iteration', listener[Symbol.asyncIterator]().next())).toMatchObject({ done: true });
    open.push(await transport.listen(name));
  });

  it('null options are no options, not a TypeError', async () => {
    const name = uniqueName('np-null');
    await expect(transport.connect(name, null as never)).rejects.toMatchObject({ name: 'IpcError', code: 'ENOENT' });
  });

  it('closing a listener closes the connections nobody took from it: the serving process exits', async () => {
    const name = uniqueName('np-queued');
    const server = child(
      `const { transport } = await import(process.argv[1]);
       const listener = await transport.listen(process.argv[2]);
       // Runs after the listener queued the channel; nobody ever takes it.
       listener.server.once('connection', () => void listener.close());
       console.log('ready');`,
      PIPE_URL,
      name,
    );
    await server.waitForLine('ready');
    const channel = await transport.connect(name);
    open.push(channel);
    // The queued connection is closed: our iteration ends, and nothing keeps the server process alive.
    await within(
      10_000,
      'channel end',
      (async () => {
        try {
          for await (const _ of channel) {
            // Drained: only the end of the iteration matters.
          }
        } catch (error) {
          expect(['EPIPE', 'ECONNRESET']).toContain((error as { code?: string }).code);
        }
      })(),
    );
    expect(await server.exit()).toBe(0);
  });

  it('a send waiting for drain when close() is called resolves once its bytes are flushed, and they arrive', async () => {
    const name = uniqueName('np-flush');
    const reader = child(
      `const { listenStream } = await import(process.argv[1]);
       const { server } = await listenStream(process.argv[2]);
       server.once('connection', (socket) => {
         socket.pause();
         process.stdin.once('data', () => {
           let bytes = 0;
           socket.on('data', (chunk) => (bytes += chunk.length));
           socket.on('end', () => {
             console.log('bytes ' + bytes);
             socket.end();
             server.close();
             process.stdin.destroy();
           });
           socket.resume();
         });
       });
       console.log('ready');`,
      PIPE_URL,
      name,
    );
    await reader.waitForLine('ready');
    const channel = (await transport.connect(name)) as Channel & { socket: import('node:net').Socket };
    open.push(channel);
    const message = new Uint8Array(64 * 1024).fill(7);
    let sent = 0;
    let pending: Promise<void> | undefined;
    await within(
      20_000,
      'filling',
      (async () => {
        for (let i = 0; i < 100_000 && pending === undefined; i++) {
          const sending = channel.send(message);
          sent++;
          if (channel.socket.writableNeedDrain) pending = sending;
          else await sending;
        }
      })(),
    );
    expect(pending).toBeDefined();
    const outcome = pending!.then(
      () => 'resolved',
      (error: unknown) => `rejected ${String((error as { code?: string }).code)}`,
    );
    const closing = channel.close();
    reader.write('go\n');
    expect(await within(10_000, 'pending send', outcome)).toBe('resolved');
    await within(10_000, 'close', closing);
    const count = await reader.waitForLine(/^bytes \d+$/);
    expect(Number(count.slice('bytes '.length))).toBe(sent * (message.length + 4));
  });
});
