import { IpcError, type IpcErrorCode } from '@ipckit/core';
import { portableCode } from '@ipckit/core/kit';
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';

/** The Node error code under a NATS client error, if any (e.g. ECONNREFUSED). */
function nodeCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/** DNS failures: nobody serves that name, as far as this side can tell. */
const NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNREFUSED']);

/**
 * The IpcError for an error of the NATS client: a server that refuses or is
 * not there is ENOENT (`osCode` keeps ECONNREFUSED or the DNS error), a
 * refused authentication or permission EACCES, a timeout ETIMEDOUT, a closed
 * connection `closedCode` (ECLOSED by default), anything else EIO. `what`
 * says what was being done. The NATS client's messages name servers and
 * subjects, never credentials; the error is kept as `cause`.
 */
export function fromNatsError(error: unknown, what: string, closedCode: IpcErrorCode = 'ECLOSED'): IpcError {
  if (error instanceof IpcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const nodeCode = nodeCodeOf(error);
  const make = (code: IpcErrorCode, osCode?: string): IpcError =>
    new IpcError(code, `${what}: ${message}`, { cause: error, ...(osCode === undefined ? {} : { osCode }) });
  if (error instanceof RequestError && error.cause instanceof NoRespondersError) return make('ENOENT');
  if (error instanceof NoRespondersError) return make('ENOENT');
  if (error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError || error instanceof PermissionViolationError)
    return make('EACCES');
  if (error instanceof TimeoutError) return make('ETIMEDOUT');
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) return make(closedCode);
  if (nodeCode !== undefined && NOT_FOUND.has(nodeCode)) return make('ENOENT', nodeCode);
  if (error instanceof ConnectionError && /refused/i.test(message)) return make('ENOENT', 'ECONNREFUSED');
  if (nodeCode !== undefined) return make(portableCode(nodeCode), nodeCode);
  return make('EIO');
}
