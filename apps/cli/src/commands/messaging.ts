/**
 * `ipckit listen`, `ipckit send` and `ipckit request`: what socat does for
 * sockets, for every ipckit address.
 */
import { createInterface } from 'node:readline';
import { IpcError, connect, listen, type Channel } from '@ipckit/core';
import { checkAddress, isDuplex } from '../address.js';
import { aborted, type Context } from '../context.js';
import { EXIT, UsageError } from '../exit.js';
import { formatMessage, parseHex, type MessageFormat } from '../format.js';

const encoder = new TextEncoder();

/** Options of `ipckit listen`. */
export interface ListenCommandOptions {
  format: MessageFormat;
  /** Answer each message with itself. */
  echo: boolean;
  /** Stop after this many messages. */
  count?: number;
  /** The largest message accepted. */
  maxMessageBytes?: number;
}

/**
 * Serves `address` and prints every message every client sends, until
 * Ctrl-C, SIGTERM or `count` messages; exits 0 then. Connections and
 * disconnections are told on stderr, so stdout holds only the messages.
 */
export async function listenCommand(ctx: Context, address: string, options: ListenCommandOptions): Promise<number> {
  const parsed = checkAddress(address);
  if (options.echo && !(await isDuplex(parsed.scheme)))
    throw new UsageError(`${parsed.scheme}:// is one-way: --echo needs a duplex transport (pipe://, shm://, tcp://)`);
  const listener = await listen(address, options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes });
  const style = ctx.errStyle;
  // The listener's own name: for tcp://host:0, the port the OS chose.
  ctx.note(`listening on ${style.bold(`${parsed.scheme}://${listener.name}`)} (${listener.path}); Ctrl-C stops`);
  const channels = new Set<Channel>();
  const done = new AbortController();
  let received = 0;
  let nextId = 0;

  const serve = async (channel: Channel, id: number): Promise<void> => {
    let mine = 0;
    try {
      for await (const message of channel) {
        received++;
        mine++;
        ctx.print(formatMessage(message, options.format, id, received));
        if (options.echo) {
          await channel.send(message).catch((error: unknown) => {
            ctx.note(`#${id}: echo failed: ${error instanceof Error ? error.message : String(error)}`);
          });
        }
        if (options.count !== undefined && received >= options.count) done.abort();
        if (done.signal.aborted) break;
      }
    } catch (error) {
      ctx.note(`#${id}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      channels.delete(channel);
      if (!done.signal.aborted) ctx.note(`#${id} ${style.dim('closed')} after ${mine} message${mine === 1 ? '' : 's'}`);
    }
  };

  const accepting = (async () => {
    const tasks: Promise<void>[] = [];
    for await (const channel of listener) {
      const id = ++nextId;
      channels.add(channel);
      ctx.note(`#${id} ${style.green('connected')}`);
      tasks.push(serve(channel, id));
    }
    await Promise.all(tasks);
  })();

  await Promise.race([aborted(ctx.signal), aborted(done.signal), accepting]);
  done.abort();
  await listener.close();
  await Promise.all([...channels].map((c) => c.close({ timeoutMs: 500 })));
  await accepting.catch(() => undefined);
  if (ctx.signal.aborted) ctx.note(`stopped (${String(ctx.signal.reason)}) after ${received} message${received === 1 ? '' : 's'}`);
  return EXIT.OK;
}

/** Options of `ipckit send`. */
export interface SendCommandOptions {
  /** How MESSAGE (or each line of stdin) is written: as text, or as hex bytes. */
  input: 'text' | 'hex';
  /** Wait up to this many ms for a listener to appear. */
  waitMs?: number;
}

function encode(text: string, input: 'text' | 'hex'): Uint8Array {
  return input === 'hex' ? parseHex(text) : encoder.encode(text);
}

/** Sends MESSAGE, or each line of stdin (without its line ending) as a message of its own. */
export async function sendCommand(
  ctx: Context,
  address: string,
  message: string | undefined,
  options: SendCommandOptions,
  stdin: NodeJS.ReadableStream,
): Promise<number> {
  checkAddress(address);
  const first = message === undefined ? undefined : encode(message, options.input);
  const channel = await connect(address, {
    signal: ctx.signal,
    ...(options.waitMs === undefined ? {} : { waitForListener: true, timeoutMs: options.waitMs }),
  });
  try {
    if (first !== undefined) {
      await channel.send(first, { signal: ctx.signal });
      return EXIT.OK;
    }
    const lines = createInterface({ input: stdin, crlfDelay: Infinity });
    ctx.signal.addEventListener('abort', () => lines.close(), { once: true });
    for await (const line of lines) await channel.send(encode(line, options.input), { signal: ctx.signal });
    return ctx.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
  } finally {
    await channel.close();
  }
}

/** Options of `ipckit request`. */
export interface RequestCommandOptions {
  format: MessageFormat;
  input: 'text' | 'hex';
  /** The whole exchange (connect, send, reply) must be done within this many ms. */
  timeoutMs: number;
  /** Wait for a listener to appear (within the timeout) instead of failing at once. */
  wait: boolean;
}

/** Sends MESSAGE, prints the first message that comes back, and closes. */
export async function requestCommand(ctx: Context, address: string, message: string, options: RequestCommandOptions): Promise<number> {
  const parsed = checkAddress(address);
  if (!(await isDuplex(parsed.scheme))) throw new UsageError(`${parsed.scheme}:// is one-way: nothing comes back; use \`ipckit send\``);
  const bytes = encode(message, options.input);
  const deadline = performance.now() + options.timeoutMs;
  const left = (): number => Math.max(1, Math.round(deadline - performance.now()));
  const channel = await connect(address, { timeoutMs: options.timeoutMs, signal: ctx.signal, waitForListener: options.wait });
  try {
    await channel.send(bytes, { timeoutMs: left(), signal: ctx.signal });
    const reply = await channel.receive({ timeoutMs: left(), signal: ctx.signal });
    if (reply === undefined) throw new IpcError('EPIPE', `${address} closed the channel without replying`);
    ctx.print(formatMessage(reply, options.format, 1, 1));
    return EXIT.OK;
  } finally {
    await channel.close({ timeoutMs: 0 });
  }
}
