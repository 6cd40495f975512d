/**
 * `ipckit send` and `ipckit request`: one message or every piece of stdin,
 * with its bytes exactly as read; the reply of a request in any output format.
 */
import type { Socket } from 'node:net';
import { IpcError, connect, type Channel } from '@ipckit/core';
import { checkAddress, isDuplex, type CliAddress } from '../address.js';
import type { Context } from '../context.js';
import { EXIT, UsageError } from '../exit.js';
import { parseHex } from '../format.js';
import { readMessages, type Split } from '../input.js';
import { MessageOutput, type OutputOptions } from '../output.js';
import { connectRaw } from '../raw.js';

const encoder = new TextEncoder();

/** How MESSAGE is given on the command line: text (its UTF-8 bytes) or hex bytes. */
export type Input = 'text' | 'hex';

/** MESSAGE's bytes. */
export function encode(text: string, input: Input): Uint8Array {
  return input === 'hex' ? parseHex(text) : encoder.encode(text);
}

/** Options of `ipckit send`. */
export interface SendCommandOptions {
  input: Input;
  /** How stdin is cut into messages (without MESSAGE). */
  split: Split;
  /** Wait up to this many ms for a listener to appear. */
  waitMs?: number;
  /** This side's largest message (default: the transport's, 16 MiB for pipe:// and tcp://). */
  maxMessageBytes?: number;
  /** Unframed: the bytes go as they are, to a peer that speaks raw bytes (pipe:// and tcp:// only). */
  raw: boolean;
}

/**
 * The error of a send the listener did not take: it closed the channel
 * first, which an ipckit listener does when a message is over its
 * --max-message-bytes (or when it stopped).
 */
function refused(address: string, count: number, cause: unknown): IpcError {
  return new IpcError(
    'EPIPE',
    `${address} closed the channel before it took message ${count}: the listener refused a message (over its maximum size?) or stopped`,
    { cause },
  );
}

/** Sends MESSAGE, or every piece of stdin as `split` cuts it. */
export async function sendCommand(
  ctx: Context,
  address: string,
  message: string | undefined,
  options: SendCommandOptions,
  stdin: NodeJS.ReadableStream,
): Promise<number> {
  const parsed = checkAddress(address);
  const first = message === undefined ? undefined : encode(message, options.input);
  if (options.raw) return sendRaw(ctx, parsed, first, options, stdin);
  const channel = await connect(address, {
    signal: ctx.signal,
    ...(options.waitMs === undefined ? {} : { waitForListener: true, timeoutMs: options.waitMs }),
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
  });
  let count = 0;
  const send = async (bytes: Uint8Array): Promise<void> => {
    count++;
    try {
      await channel.send(bytes, { signal: ctx.signal });
    } catch (error) {
      throw error instanceof IpcError && error.code === 'EPIPE' ? refused(address, count, error) : error;
    }
  };
  try {
    if (first !== undefined) await send(first);
    else for await (const piece of readMessages(stdin as AsyncIterable<Buffer>, options.split, options.input === 'hex')) await send(piece);
    if (ctx.signal.aborted) return EXIT.INTERRUPTED;
    // No check of `channel.closed` here: a listener that took every message and then closed (`listen
    // --count`) looks the same as one that refused the last; a refusal is told by a later send's EPIPE
    // (docs/cli.md: what the transport already held counts as sent).
    return EXIT.OK;
  } finally {
    await channel.close();
  }
}

/** Ends `socket` after what was written, keeps reading (and dropping) until the peer ends too; at most `graceMs`. */
export function endSocket(socket: Socket, graceMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), graceMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume();
    socket.end();
  });
}

/** `send --raw`: MESSAGE, or stdin as it comes, written to a byte stream. */
async function sendRaw(
  ctx: Context,
  address: CliAddress,
  first: Uint8Array | undefined,
  options: SendCommandOptions,
  stdin: NodeJS.ReadableStream,
): Promise<number> {
  if (options.waitMs !== undefined) throw new UsageError('--wait is for ipckit listeners: --raw connects once');
  if (options.split.kind !== 'lines' || (options.input === 'hex' && first === undefined))
    throw new UsageError('--raw sends stdin as it comes: --whole, --delimiter and --hex on stdin do not apply');
  const socket = await connectRaw(address, { signal: ctx.signal });
  let failure: Error | undefined;
  socket.on('error', (error) => (failure ??= error));
  socket.on('data', () => undefined); // what a raw peer answers is not `send`'s business
  const write = (chunk: Uint8Array): Promise<void> => new Promise((resolve, reject) => socket.write(chunk, (error) => (error ? reject(error) : resolve())));
  try {
    if (first !== undefined) await write(first);
    else for await (const chunk of stdin as AsyncIterable<Buffer>) await write(chunk);
  } finally {
    await endSocket(socket);
  }
  if (failure) throw failure;
  return ctx.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
}

/** Options of `ipckit request`. */
export interface RequestCommandOptions extends OutputOptions {
  input: Input;
  /** The whole exchange (connect, send, reply) must be done within this many ms. */
  timeoutMs: number;
  /** Wait for a listener to appear (within the timeout) instead of failing at once. */
  wait: boolean;
  /** This side's largest message, sent or received. */
  maxMessageBytes?: number;
}

/** Sends MESSAGE, writes the first message that comes back, and closes. */
export async function requestCommand(ctx: Context, address: string, message: string, options: RequestCommandOptions): Promise<number> {
  const parsed = checkAddress(address);
  if (!(await isDuplex(parsed.scheme))) throw new UsageError(`${parsed.scheme}:// is one-way: nothing comes back; use \`ipckit send\``);
  const bytes = encode(message, options.input);
  const deadline = performance.now() + options.timeoutMs;
  const left = (): number => Math.max(1, Math.round(deadline - performance.now()));
  // The user's figure, not what was left of it at the moment a step gave up.
  const late = (error: unknown): unknown =>
    error instanceof IpcError && error.code === 'ETIMEDOUT'
      ? new IpcError('ETIMEDOUT', `no reply from ${address} within ${options.timeoutMs} ms (--timeout ${options.timeoutMs})`, { cause: error })
      : error;
  let channel: Channel;
  try {
    channel = await connect(address, {
      timeoutMs: options.timeoutMs,
      signal: ctx.signal,
      waitForListener: options.wait,
      ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    });
  } catch (error) {
    throw late(error);
  }
  try {
    await channel.send(bytes, { timeoutMs: left(), signal: ctx.signal });
    const reply = await channel.receive({ timeoutMs: left(), signal: ctx.signal });
    if (reply === undefined) throw new IpcError('EPIPE', `${address} closed the channel without replying`);
    await new MessageOutput(ctx, options).write(reply, 1);
    return EXIT.OK;
  } catch (error) {
    throw late(error);
  } finally {
    await channel.close({ timeoutMs: 0 });
  }
}
