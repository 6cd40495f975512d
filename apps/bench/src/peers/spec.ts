/** What a peer process is told when it starts (argv, base64 JSON). */
export type Role = 'echo' | 'pinger' | 'reader' | 'writer';
export type Family = 'channel' | 'cp' | 'atomics' | 'shm-sync';

export interface PeerSpec {
  id: string;
  target: string;
  family: Family;
  role: Role;
  /** channel family: the address scheme. */
  scheme?: string;
  /** cp family: child_process serialization. */
  serialization?: 'json' | 'advanced';
  /** shm-sync family: receive with receiveSync(into) into one array this peer owns. */
  receiveInto?: boolean;
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
