import { IpcError } from './errors.js';
import { checkWait, deadline, sleep, type CheckedWait } from './kit/cancel.js';
import { publishOn, subscribeOn } from './kit/topic-transport.js';
import { ReconnectingChannel, reconnectSettings } from './reconnect.js';
import type { PublishOptions, Publisher, SubscribeOptions, Subscriber } from './topic.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type Channel, type ConnectOptions, type Listener, type ListenOptions, type Transport } from './transport.js';

/** An address split into its transport scheme and the name that transport serves. */
export interface ParsedAddress {
  /** The scheme, e.g. `pipe`, `shm`, `mailslot`, `tcp`. */
  scheme: string;
  /** Everything after `scheme://`, e.g. `my-service` or `127.0.0.1:4000`. */
  name: string;
}

/**
 * Splits `scheme://name`. Throws IpcError EINVAL for anything else. The name
 * is checked later by the transport, which knows its own rules.
 */
export function parseAddress(address: string): ParsedAddress {
  if (typeof address !== 'string') throw new IpcError('EINVAL', 'an address must be a string like "pipe://name"');
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/s.exec(address);
  if (!match) throw new IpcError('EINVAL', `${JSON.stringify(address)} is not an address like "pipe://name"`);
  return { scheme: match[1] as string, name: match[2] as string };
}

/** The packages that provide ipckit's own schemes; loaded on first use. */
const KNOWN_PACKAGES: Readonly<Record<string, string>> = {
  pipe: '@ipckit/named-pipe',
  shm: '@ipckit/shared-memory',
  mailslot: '@ipckit/mailslot',
  tcp: '@ipckit/tcp',
  nats: '@ipckit/nats',
};

const registry = new Map<string, Transport>();

/**
 * Makes `transport` answer addresses of its scheme. ipckit's own transports
 * need no registering (they load on first use); this is for your own.
 */
export function registerTransport(transport: Transport): void {
  registry.set(transport.scheme, transport);
}

/**
 * The transport for `scheme`: a registered one, else ipckit's package for it,
 * imported on first use. Throws IpcError ENOTSUP when neither exists.
 */
export async function resolveTransport(scheme: string): Promise<Transport> {
  const registered = registry.get(scheme);
  if (registered) return registered;
  const packageName = KNOWN_PACKAGES[scheme];
  if (packageName === undefined) {
    throw new IpcError(
      'ENOTSUP',
      `no transport serves "${scheme}://"; known: ${[...new Set([...Object.keys(KNOWN_PACKAGES), ...registry.keys()])].join(', ')}`,
    );
  }
  let module: { transport?: Transport };
  try {
    module = (await import(packageName)) as { transport?: Transport };
  } catch (error) {
    throw new IpcError('ENOTSUP', `"${scheme}://" needs the package ${packageName}; install it (npm install ${packageName})`, { cause: error });
  }
  if (!module.transport) throw new IpcError('ENOTSUP', `${packageName} does not export a transport`);
  registry.set(scheme, module.transport);
  return module.transport;
}

/**
 * Serves an address, e.g. `listen('pipe://my-service')`. Changing the scheme
 * changes the transport; nothing else in the program has to.
 */
export async function listen(address: string, options?: ListenOptions): Promise<Listener> {
  const { scheme, name } = parseAddress(address);
  return (await resolveTransport(scheme)).listen(name, options);
}

/**
 * Connects to an address, e.g. `connect('shm://my-service')`. Besides the
 * transport's own options (see {@link ConnectOptions}) it honours two of its own:
 *
 * - `waitForListener: true`: ENOENT (nobody serves the name) is retried,
 *   spaced from 10 ms up to 250 ms, until `timeoutMs` (default
 *   DEFAULT_CONNECT_TIMEOUT_MS) has passed: then ETIMEDOUT, `cause` = the last
 *   ENOENT. `signal` gives up with ECANCELED.
 * - `reconnect: true | ReconnectOptions`: the first connection is made as
 *   usual (with `waitForListener` if asked), then a {@link ReconnectingChannel}
 *   is returned, which connects again whenever its peer goes away.
 *
 * Options are checked before anything is opened (EINVAL).
 */
export async function connect(address: string, options?: ConnectOptions): Promise<Channel> {
  const { scheme, name } = parseAddress(address);
  const raw: unknown = options;
  if (raw !== undefined && raw !== null && typeof raw !== 'object') throw new IpcError('EINVAL', 'connect options must be an object');
  const { waitForListener, reconnect, ...rest } = options ?? {};
  if (waitForListener !== undefined && typeof waitForListener !== 'boolean') throw new IpcError('EINVAL', 'waitForListener must be a boolean');
  const settings = reconnect === undefined || reconnect === false ? undefined : reconnectSettings(reconnect);
  const wait = checkWait(rest, DEFAULT_CONNECT_TIMEOUT_MS);
  const transport = await resolveTransport(scheme);
  const first =
    waitForListener === true
      ? await whenServed(`${transport.scheme}://${name}`, wait, (step) => transport.connect(name, { ...rest, ...step }))
      : await transport.connect(name, rest);
  if (!settings) return first;
  // Each reconnection attempt gets the transport's own timeout; `signal` is the channel's (close() aborts it).
  const { signal: _signal, ...perAttempt } = rest;
  return new ReconnectingChannel(first, (signal) => transport.connect(name, { ...perAttempt, signal }), settings);
}

/**
 * Publishes a topic on an address, e.g. `publish('pipe://sensors', { history: 10 })`:
 * one publisher, many subscribers (the rules are in topic.ts). ENOTSUP on a
 * transport without topics (`mailslot://`), EINVAL for a bad name or option,
 * both before anything is created; EADDRINUSE when the name is served already.
 */
export async function publish(address: string, options?: PublishOptions): Promise<Publisher> {
  const { scheme, name } = parseAddress(address);
  return publishOn(await resolveTransport(scheme), name, options);
}

/**
 * Subscribes to a topic, e.g. `subscribe('pipe://sensors')`: an async
 * iterable of deliveries (`{ data, seq, missed }`). With
 * `waitForPublisher: true`, ENOENT (nobody publishes the name) is retried as
 * {@link connect}'s `waitForListener` is, until `timeoutMs` (default
 * DEFAULT_CONNECT_TIMEOUT_MS). Options are checked before anything is opened.
 */
export async function subscribe(address: string, options?: SubscribeOptions): Promise<Subscriber> {
  const { scheme, name } = parseAddress(address);
  const raw: unknown = options;
  if (raw !== undefined && raw !== null && typeof raw !== 'object') throw new IpcError('EINVAL', 'subscribe options must be an object');
  const { waitForPublisher, ...rest } = options ?? {};
  if (waitForPublisher !== undefined && typeof waitForPublisher !== 'boolean') throw new IpcError('EINVAL', 'waitForPublisher must be a boolean');
  const wait = checkWait(rest, DEFAULT_CONNECT_TIMEOUT_MS);
  const transport = await resolveTransport(scheme);
  if (waitForPublisher !== true) return subscribeOn(transport, name, rest);
  return whenServed(`${scheme}://${name}`, wait, (step) => subscribeOn(transport, name, { ...rest, ...step }));
}

/** Runs `attempt` (a connect, a subscribe), retrying ENOENT until the deadline (`waitForListener`, `waitForPublisher`). */
async function whenServed<T>(
  address: string,
  wait: CheckedWait,
  attempt: (step: { timeoutMs: number | undefined; signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const limit = deadline(wait, `waiting for ${address} to be served`);
  const gaveUp = (lastError: IpcError): IpcError => new IpcError('ETIMEDOUT', `nobody served ${address} within ${wait.timeoutMs} ms`, { cause: lastError });
  let delay = 10;
  try {
    for (;;) {
      let nobody: IpcError;
      try {
        return await attempt({ timeoutMs: limit.remainingMs(), signal: limit.signal });
      } catch (error) {
        if (!(error instanceof IpcError) || error.code !== 'ENOENT') throw error;
        nobody = error;
      }
      const remaining = limit.remainingMs() ?? delay;
      if (remaining <= 1) throw gaveUp(nobody);
      try {
        await sleep(Math.min(delay, remaining), limit.signal);
      } catch (error) {
        const reason = limit.explain(error);
        throw reason instanceof IpcError && reason.code === 'ETIMEDOUT' ? gaveUp(nobody) : reason;
      }
      delay = Math.min(delay * 2, 250);
    }
  } catch (error) {
    throw limit.explain(error);
  } finally {
    limit.dispose();
  }
}
