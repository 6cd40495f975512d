/**
 * Addresses as the command takes them: `scheme://name` for one of ipckit's
 * transports. Checked before anything is opened, so a typo is a usage error
 * (exit 2) and not a failed connection.
 */
import { IpcError } from '@ipckit/core';
import { resolveTransport } from '@ipckit/core/kit';

/** The schemes ipckit's transports serve. */
export const SCHEMES = ['pipe', 'shm', 'mailslot', 'tcp', 'nats'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** An address split into its scheme and name. */
export interface CliAddress {
  readonly scheme: Scheme;
  readonly name: string;
}

/** Splits and checks `address`; IpcError EINVAL when it is not `pipe://`, `shm://`, `mailslot://`, `tcp://` or `nats://` with a name. */
export function checkAddress(address: string): CliAddress {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/s.exec(address);
  if (!match) throw new IpcError('EINVAL', `${JSON.stringify(address)} is not an address like pipe://name (schemes: ${SCHEMES.join(', ')})`);
  const [, scheme = '', name = ''] = match;
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new IpcError('EINVAL', `unknown scheme "${scheme}://" (known: ${SCHEMES.map((s) => `${s}://`).join(', ')})`);
  }
  if (name === '') throw new IpcError('EINVAL', `${address} has no name after ${scheme}://`);
  return { scheme: scheme as Scheme, name };
}

/** Whether the transport of `scheme` carries messages both ways, as its Capabilities say (mailslot:// does not). */
export async function isDuplex(scheme: Scheme): Promise<boolean> {
  return (await resolveTransport(scheme)).capabilities.duplex;
}
