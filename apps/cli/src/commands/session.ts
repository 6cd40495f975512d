/**
 * `ipckit connect`: a two-way session, like `socat - UNIX-CONNECT:path`:
 * stdin goes to the channel (each line a message, or as `--whole` and
 * `--delimiter` cut it; `--raw`: the bytes as they come), and what comes
 * back goes to stdout, both at once. On a terminal it is an interactive
 * session; in a pipe it is a client for scripts.
 */
import type { Socket } from 'node:net';
import { IpcError, connect } from '@ipckit/core';
import { fromNodeError } from '@ipckit/core/kit';
import { checkAddress, isDuplex } from '../address.js';
import { aborted, type Context } from '../context.js';
import { EXIT, UsageError } from '../exit.js';
import { readMessages, type Split } from '../input.js';
import { MessageOutput, type OutputOptions } from '../output.js';
import { connectRaw } from '../raw.js';
import { endSocket } from './send.js';

/** Options of `ipckit connect`. */
export interface SessionCommandOptions extends OutputOptions {
  split: Split;
  /** Each piece of stdin is hex bytes. */
  hex: boolean;
  /** Stop after this many messages came back. */
  count?: number;
  /** After stdin ended: how long to go on printing while nothing comes (the peer closing ends it at once). */
  lingerMs: number;
  waitMs?: number;
  maxMessageBytes?: number;
  raw: boolean;
}

/** Resolves once nothing has come for `ms` (each `touch()` starts the wait again). */
function quietFor(ms: number): { touch: () => void; stop: () => void; quiet: Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let resolveQuiet: () => void = () => undefined;
  const quiet = new Promise<void>((resolve) => (resolveQuiet = resolve));
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(resolveQuiet, ms);
  };
  return { touch, stop: () => clearTimeout(timer), quiet };
}

/** Stops reading stdin (a terminal would otherwise keep the process waiting for a line nobody needs). */
function stopReading(stdin: NodeJS.ReadableStream): void {
  (stdin as Partial<NodeJS.ReadStream>).destroy?.();
}

/** Runs the session; exit 0 when stdin ended or the peer closed, 130 on Ctrl-C before either. */
export async function sessionCommand(ctx: Context, address: string, options: SessionCommandOptions, stdin: NodeJS.ReadableStream): Promise<number> {
  const parsed = checkAddress(address);
  if (options.raw) return rawSession(ctx, parsed, options, stdin);
  const channel = await connect(address, {
    signal: ctx.signal,
    ...(options.waitMs === undefined ? {} : { waitForListener: true, timeoutMs: options.waitMs }),
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
  });
  ctx.note(
    `connected to ${ctx.errStyle.bold(address)}; stdin ${options.split.kind === 'whole' ? 'is one message' : 'goes to it'}, replies to stdout; Ctrl-D ends`,
  );
  const output = new MessageOutput(ctx, options);
  const duplex = await isDuplex(parsed.scheme);
  const linger = quietFor(options.lingerMs);
  let received = 0;
  const enough = new AbortController();
  const reading = (async () => {
    if (!duplex) return new Promise<void>(() => undefined); // one-way: nothing comes back, and the session is stdin's
    for await (const message of channel) {
      linger.touch();
      await output.write(message, 1);
      if (options.count !== undefined && ++received >= options.count) {
        enough.abort();
        return;
      }
    }
  })();
  const writing = (async () => {
    for await (const piece of readMessages(stdin as AsyncIterable<Buffer>, options.split, options.hex)) {
      if (enough.signal.aborted || channel.closed) return;
      await channel.send(piece, { signal: ctx.signal });
    }
  })();
  try {
    // The peer closing (reading ends) or Ctrl-C ends the session at once; stdin ending lets replies still come.
    const first = await Promise.race([
      writing.then(() => 'stdin' as const),
      reading.then(() => 'peer' as const),
      aborted(ctx.signal).then(() => 'signal' as const),
    ]);
    if (first === 'stdin' && duplex) {
      if (options.count === undefined) linger.touch();
      await Promise.race([reading, options.count === undefined ? linger.quiet : new Promise(() => undefined), aborted(ctx.signal)]);
    }
    if (first === 'peer' && options.count === undefined) ctx.note('the peer closed the channel');
  } catch (error) {
    if (error instanceof IpcError && error.code === 'EPIPE')
      throw new IpcError('EPIPE', `${address} closed the channel before it took everything`, { cause: error });
    throw error;
  } finally {
    linger.stop();
    stopReading(stdin);
    await channel.close();
    writing.catch(() => undefined);
    reading.catch(() => undefined);
  }
  if (options.count !== undefined && received < options.count && !ctx.signal.aborted)
    throw new IpcError('EPIPE', `${address} closed the channel after ${received} of ${options.count} messages`);
  return ctx.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
}

/** `connect --raw`: stdin's bytes to the stream as they come, the stream's bytes to stdout. */
async function rawSession(
  ctx: Context,
  parsed: ReturnType<typeof checkAddress>,
  options: SessionCommandOptions,
  stdin: NodeJS.ReadableStream,
): Promise<number> {
  if (options.format !== 'raw' && options.format !== 'text')
    throw new UsageError('--raw writes the bytes as they come: --format hex, json and length-prefixed need messages');
  if (options.count !== undefined || options.split.kind !== 'lines' || options.hex)
    throw new UsageError('--raw has no messages: --count, --whole, --delimiter and --hex do not apply');
  if (options.waitMs !== undefined) throw new UsageError('--wait is for ipckit listeners: --raw connects once');
  const socket: Socket = await connectRaw(parsed, { signal: ctx.signal });
  ctx.note(`connected to ${ctx.errStyle.bold(`${parsed.scheme}://${parsed.name}`)} (raw bytes); Ctrl-D ends`);
  const linger = quietFor(options.lingerMs);
  let failure: Error | undefined;
  const peerEnded = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      linger.touch();
      if (!ctx.out.write(chunk)) {
        socket.pause();
        ctx.out.once('drain', () => socket.resume());
      }
    });
    socket.once('end', resolve);
    socket.once('close', () => resolve());
    socket.on('error', (error) => {
      failure ??= error;
      resolve();
    });
  });
  const writing = (async () => {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      if (socket.destroyed) return;
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    }
  })();
  const first = await Promise.race([
    writing.then(() => 'stdin' as const),
    peerEnded.then(() => 'peer' as const),
    aborted(ctx.signal).then(() => 'signal' as const),
  ]);
  if (first === 'stdin') {
    // Half-close, as socat does: the peer sees the end and may still answer.
    socket.end();
    linger.touch();
    await Promise.race([peerEnded, linger.quiet, aborted(ctx.signal)]);
  }
  linger.stop();
  stopReading(stdin);
  writing.catch(() => undefined);
  await endSocket(socket, 500);
  if (failure) throw fromNodeError(failure);
  return ctx.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
}
