/** What a peer process is told when it starts (argv, base64 JSON). */
export type Role = 'echo' | 'pinger' | 'reader' | 'writer' | 'many' | 'solo' | 'publisher' | 'subscriber';
export type Family = 'channel' | 'cp' | 'atomics' | 'shm-sync' | 'zmq' | 'sync';

export interface PeerSpec {
  id: string;
  target: string;
  family: Family;
  role: Role;
  /** channel family: the address scheme; zmq family: zeromq's transport (ipc, tcp). */
  scheme?: string;
  /** cp family: child_process serialization. */
  serialization?: 'json' | 'advanced';
  /** shm-sync family: how messages are sent and received (an id of SYNC_IO in peers/shm-io.ts). */
  io?: string;
  /** sync family: which hand-off (mutex, event, mutex-sync, event-sync). */
  variant?: string;
  /** The largest message this peer will send or receive (atomics sizes its mapping by it). */
  maxSize: number;
  /** Spin-loop watchdog for synchronous families, ms. */
  watchdogMs: number;
}

export function encodeSpec(spec: PeerSpec): string {
  return Buffer.from(JSON.stringify(spec), 'utf8').toString('base64');
}

export function decodeSpec(text: string): PeerSpec {
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as PeerSpec;
}
