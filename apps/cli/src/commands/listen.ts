/**
 * `ipckit listen`: serve an address and write what every client sends, as
 * text, hex, JSON, or the bytes exactly; `--raw` serves unframed byte
 * streams. Every channel is closed once its client is done (through core's
 * serve()), so a listener that serves many clients holds no more
 * descriptors or mappings than one that served a few.
 */
import type { Socket } from 'node:net';
import { IpcError, listen, serve, type Channel } from '@ipckit/core';
import { checkAddress, isDuplex } from '../address.js';
import { aborted, type Context } from '../context.js';
import { EXIT, UsageError, errorLine } from '../exit.js';
import { MessageOutput, type OutputOptions } from '../output.js';
import { listenRaw } from '../raw.js';

/** Options of `ipckit listen`. */
export interface ListenCommandOptions extends OutputOptions {
  /** Answer each message (or, raw, each chunk of bytes) with itself. */
  echo: boolean;
  /** Stop after this many messages (raw: this many connections). */
  count?: number;
  /** The largest message accepted; a larger one closes its channel (the sender is told: EPIPE). */
  maxMessageBytes?: number;
  /** Unframed byte streams (pipe:// and tcp:// only). */
  raw: boolean;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * Serves `address` and writes every message every client sends, until
 * Ctrl-C, SIGTERM or `count` messages; exits 0 then. Connections and
 * disconnections are told on stderr, so stdout holds only the messages.
 */
export async function listenCommand(ctx: Context, address: string, options: ListenCommandOptions): Promise<number> {
  const parsed = checkAddress(address);
  if (options.raw) return listenRawCommand(ctx, parsed, options);
  if (options.echo && !(await isDuplex(parsed.scheme)))
    throw new UsageError(`${parsed.scheme}:// is one-way: --echo needs a duplex transport (pipe://, shm://, tcp://)`);
  const listener = await listen(address, options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes });
  const style = ctx.errStyle;
  // The listener's own name: for tcp://host:0, the port the OS chose.
  ctx.note(`listening on ${style.bold(`${parsed.scheme}://${listener.name}`)} (${listener.path}); Ctrl-C stops`);
  const output = new MessageOutput(ctx, options);
  const done = new AbortController();
  const stop = (): void => done.abort();
  ctx.signal.addEventListener('abort', stop, { once: true });
  let received = 0;
  let nextId = 0;

  const handle = async (channel: Channel): Promise<void> => {
    const id = ++nextId;
    ctx.note(`#${id} ${style.green('connected')}`);
    let mine = 0;
    try {
      for await (const message of channel) {
        received++;
        mine++;
        await output.write(message, id);
        if (options.echo) {
          await channel.send(message).catch((error: unknown) => {
            ctx.note(`#${id}: echo failed: ${errorLine(error)}`);
          });
        }
        if (options.count !== undefined && received >= options.count) {
          done.abort();
          break;
        }
      }
    } catch (error) {
      const refused = error instanceof IpcError && error.code === 'EMSGSIZE';
      ctx.note(`#${id}: ${errorLine(error)}${refused ? ' (refused: the channel is closed)' : ''}`);
    } finally {
      // Closed here, before it is told: once "closed" is printed, nothing of the channel is held.
      await channel.close();
      if (!done.signal.aborted) ctx.note(`#${id} ${style.dim('closed')} after ${plural(mine, 'message')}`);
    }
  };

  const serving = serve(listener, handle, { signal: done.signal, onError: (error) => ctx.note(errorLine(error)) });
  await Promise.race([aborted(done.signal), serving]);
  done.abort();
  await listener.close();
  await serving;
  ctx.signal.removeEventListener('abort', stop);
  if (ctx.signal.aborted) ctx.note(`stopped (${String(ctx.signal.reason)}) after ${plural(received, 'message')}`);
  return EXIT.OK;
}

/** `listen --raw`: every connection's bytes to stdout as they come (and back, with --echo). */
async function listenRawCommand(ctx: Context, parsed: ReturnType<typeof checkAddress>, options: ListenCommandOptions): Promise<number> {
  if (options.format !== 'raw' && options.format !== 'text')
    throw new UsageError('--raw writes the bytes as they come: --format hex, json and length-prefixed need messages');
  if (options.maxMessageBytes !== undefined) throw new UsageError('--raw has no messages: --max-message-bytes does not apply');
  const { server, address, path } = await listenRaw(parsed);
  const style = ctx.errStyle;
  ctx.note(`listening on ${style.bold(address)} (${path}), raw bytes; Ctrl-C stops`);
  const sockets = new Set<Socket>();
  const done = new AbortController();
  let nextId = 0;
  let ended = 0;
  server.on('connection', (socket: Socket) => {
    const id = ++nextId;
    sockets.add(socket);
    let bytes = 0;
    ctx.note(`#${id} ${style.green('connected')}`);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!ctx.out.write(chunk)) {
        socket.pause();
        ctx.out.once('drain', () => socket.resume());
      }
      if (options.echo) socket.write(chunk);
    });
    socket.on('error', (error) => ctx.note(`#${id}: ${errorLine(error)}`));
    socket.on('close', () => {
      sockets.delete(socket);
      if (!done.signal.aborted) ctx.note(`#${id} ${style.dim('closed')} after ${plural(bytes, 'byte')}`);
      if (options.count !== undefined && ++ended >= options.count) done.abort();
    });
  });
  await Promise.race([aborted(ctx.signal), aborted(done.signal)]);
  done.abort();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    // What was written still goes out; a client that does not end its side too is cut off after a second.
    for (const socket of sockets) socket.end();
    setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, 1_000).unref();
  });
  if (ctx.signal.aborted) ctx.note(`stopped (${String(ctx.signal.reason)})`);
  return EXIT.OK;
}
