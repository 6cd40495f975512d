/**
 * `ipckit relay FROM TO`: serve FROM and give each client its own channel to
 * TO, messages passed both ways, as `socat UNIX-LISTEN:a TCP:host:port`
 * does for sockets. Any two addresses: a pipe:// in front of a tcp://
 * service, shm:// in front of a pipe://, a mailslot:// collected into a
 * tcp:// (one way). `--raw` relays unframed byte streams (pipe://, tcp://).
 */
import type { Socket } from 'node:net';
import { connect, listen, serve, type Channel } from '@ipckit/core';
import { checkAddress, isDuplex } from '../address.js';
import { aborted, type Context } from '../context.js';
import { EXIT, errorLine } from '../exit.js';
import { connectRaw, listenRaw } from '../raw.js';

/** Options of `ipckit relay`. */
export interface RelayCommandOptions {
  /** Unframed byte streams on both sides. */
  raw: boolean;
  maxMessageBytes?: number;
}

/** Passes every message of `from` to `to` until `from` ends. */
async function pump(from: Channel, to: Channel): Promise<void> {
  for await (const message of from) await to.send(message);
}

/** Relays until Ctrl-C or SIGTERM; exit 0 then. */
export async function relayCommand(ctx: Context, fromAddress: string, toAddress: string, options: RelayCommandOptions): Promise<number> {
  const from = checkAddress(fromAddress);
  const to = checkAddress(toAddress);
  if (options.raw) return relayRaw(ctx, from, to);
  const [backwards, fromDuplex] = await Promise.all([isDuplex(to.scheme), isDuplex(from.scheme)]);
  const size = options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes };
  const listener = await listen(fromAddress, size);
  const style = ctx.errStyle;
  ctx.note(`relaying ${style.bold(`${from.scheme}://${listener.name}`)} (${listener.path}) to ${style.bold(toAddress)}; Ctrl-C stops`);
  let nextId = 0;
  const handle = async (client: Channel): Promise<void> => {
    const id = ++nextId;
    let target: Channel;
    try {
      target = await connect(toAddress, { signal: ctx.signal, ...size });
    } catch (error) {
      ctx.note(`#${id}: ${toAddress}: ${errorLine(error)}; the client's channel is closed`);
      return;
    }
    ctx.note(`#${id} ${style.green('connected')} to ${toAddress}`);
    try {
      // Either side ending ends both: the other side's channel is closed, so its peer sees the end too.
      await Promise.race([pump(client, target), backwards && fromDuplex ? pump(target, client) : new Promise<void>(() => undefined)]);
    } catch (error) {
      ctx.note(`#${id}: ${errorLine(error)}`);
    } finally {
      await Promise.all([client.close(), target.close()]);
      if (!ctx.signal.aborted) ctx.note(`#${id} ${style.dim('closed')}`);
    }
  };
  const serving = serve(listener, handle, { signal: ctx.signal, onError: (error) => ctx.note(errorLine(error)) });
  await Promise.race([aborted(ctx.signal), serving]);
  await listener.close();
  await serving;
  ctx.note(`stopped (${String(ctx.signal.reason)})`);
  return EXIT.OK;
}

/** `relay --raw`: bytes both ways between each client and its own connection to TO. */
async function relayRaw(ctx: Context, from: ReturnType<typeof checkAddress>, to: ReturnType<typeof checkAddress>): Promise<number> {
  const { server, address, path } = await listenRaw(from);
  const style = ctx.errStyle;
  ctx.note(`relaying ${style.bold(address)} (${path}) to ${style.bold(`${to.scheme}://${to.name}`)}, raw bytes; Ctrl-C stops`);
  const sockets = new Set<Socket>();
  let nextId = 0;
  server.on('connection', (client: Socket) => {
    const id = ++nextId;
    sockets.add(client);
    client.pause();
    client.on('error', (error) => ctx.note(`#${id}: ${errorLine(error)}`));
    client.once('close', () => sockets.delete(client));
    connectRaw(to, { signal: ctx.signal }).then(
      (target) => {
        sockets.add(target);
        ctx.note(`#${id} ${style.green('connected')} to ${to.scheme}://${to.name}`);
        target.on('error', (error) => ctx.note(`#${id}: ${errorLine(error)}`));
        // Each end passes on its half-close; either side failing ends both.
        client.pipe(target);
        target.pipe(client);
        const bothGone = (): void => {
          client.destroy();
          target.destroy();
        };
        let closed = 0;
        for (const socket of [client, target]) {
          socket.once('close', () => {
            sockets.delete(socket);
            if (++closed === 1) bothGone();
            else if (!ctx.signal.aborted) ctx.note(`#${id} ${style.dim('closed')}`);
          });
        }
      },
      (error: unknown) => {
        ctx.note(`#${id}: ${errorLine(error)}; the client's connection is closed`);
        client.destroy();
      },
    );
  });
  await aborted(ctx.signal);
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
  ctx.note(`stopped (${String(ctx.signal.reason)})`);
  return EXIT.OK;
}
