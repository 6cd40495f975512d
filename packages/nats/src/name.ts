import { isIP } from 'node:net';
import { IpcError } from '@ipckit/core';

/** A nats name parsed from `host:port/service`. */
export interface NatsEndpoint {
  /** The server's host: an IP literal or a DNS hostname. */
  host: string;
  /** The server's port (NATS's usual is 4222). */
  port: number;
  /** The service: one or more subject tokens joined by dots, e.g. `inventory` or `sensors.front`. */
  service: string;
}

/** The subject prefix of every service subject: `ipckit.svc.<service>`. */
export const SERVICE_PREFIX = 'ipckit.svc.';

/** The longest service name, in characters (NATS subjects have no hard limit; this keeps them short). */
export const MAX_SERVICE_LENGTH = 200;

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** Subject tokens of letters, digits, `_` and `-`: no wildcards (`*`, `>`), no spaces, no empty token. */
const SERVICE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function invalid(message: string): IpcError {
  return new IpcError('EINVAL', message);
}

/**
 * Parses a nats name: `host:port/service` or `[ipv6]:port/service`. The port
 * is required (so that a name never silently means another server); the
 * service is one or more subject tokens of letters, digits, `_` and `-`,
 * joined by dots. Throws IpcError EINVAL for anything else, before any
 * connection is made.
 */
export function parseNatsName(name: string): NatsEndpoint {
  if (typeof name !== 'string' || name.length === 0 || name.length > 600) {
    throw invalid(`nats name must be "host:port/service", got ${JSON.stringify(typeof name === 'string' ? name.slice(0, 40) : name)}`);
  }
  const slash = name.indexOf('/');
  if (slash < 0) throw invalid(`${JSON.stringify(name.slice(0, 80))} names no service: use "host:port/service"`);
  const server = name.slice(0, slash);
  const service = name.slice(slash + 1);
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(server);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2] as string;
    if (isIP(host) !== 6) throw invalid(`${JSON.stringify(host)} is not an IPv6 address`);
  } else {
    const at = server.lastIndexOf(':');
    if (at < 0) throw invalid(`${JSON.stringify(server.slice(0, 80))} has no port: use "host:port/service" (4222 is NATS's usual port)`);
    host = server.slice(0, at);
    portText = server.slice(at + 1);
    if (isIP(host) === 0 && !HOSTNAME.test(host)) throw invalid(`${JSON.stringify(host.slice(0, 80))} is not an IP address or hostname`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw invalid(`${JSON.stringify(portText.slice(0, 20))} is not a port number (1-65535)`);
  }
  if (service.length > MAX_SERVICE_LENGTH) throw invalid(`the service name is ${service.length} characters long; the limit is ${MAX_SERVICE_LENGTH}`);
  if (!SERVICE.test(service)) {
    throw invalid(`${JSON.stringify(service.slice(0, 80))} is not a service name: subject tokens of letters, digits, "_" and "-", joined by dots`);
  }
  return { host, port: Number(portText), service };
}

/** The server part of an endpoint as the NATS client takes it: `host:port` or `[v6]:port`. */
export function serverOf({ host, port }: NatsEndpoint): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Formats an endpoint back into a nats name. */
export function formatNatsName(endpoint: NatsEndpoint): string {
  return `${serverOf(endpoint)}/${endpoint.service}`;
}

/** The subject a service's listeners subscribe to (as one queue group of the same name). */
export function serviceSubject(service: string): string {
  return `${SERVICE_PREFIX}${service}`;
}
