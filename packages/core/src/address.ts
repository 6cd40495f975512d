import { IpcError } from './errors.js';
import type { Channel, ConnectOptions, Listener, ListenOptions, Transport } from './transport.js';

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

/** Connects to an address, e.g. `connect('shm://my-service')`. */
export async function connect(address: string, options?: ConnectOptions): Promise<Channel> {
  const { scheme, name } = parseAddress(address);
  return (await resolveTransport(scheme)).connect(name, options);
}
