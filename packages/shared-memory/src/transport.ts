/**
 * `shm://name`: the transport object. A small control region named after
 * the listener is the rendezvous (rendezvous.ts); each client brings its own
 * region holding two rings (ring.ts) and registers it in a slot of the
 * control region (connect.ts); the listener accepts it (listener.ts).
 * docs/ring-protocol.md describes every byte.
 */
import type { Capabilities, Listener, Publisher, PublishOptions, Subscriber, Transport } from '@ipckit/core';
import { BACKEND, byBackend } from '@ipckit/sys';
import type { ShmChannel } from './channel.js';
import { connect } from './connect.js';
import { listen } from './listener.js';
import { publish } from './topic-publisher.js';
import { subscribe, type ShmSubscribeOptions } from './topic-subscriber.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type ShmConnectOptions, type ShmListenOptions } from './options.js';

/** The shared-memory transport: its connect gives the richer {@link ShmChannel}. */
export interface ShmTransport extends Transport {
  listen(name: string, options?: ShmListenOptions): Promise<Listener>;
  connect(name: string, options?: ShmConnectOptions): Promise<ShmChannel>;
  publish(name: string, options?: PublishOptions): Promise<Publisher>;
  subscribe(name: string, options?: ShmSubscribeOptions): Promise<Subscriber>;
}

/** The shared-memory transport (`shm://name`). */
export const transport: ShmTransport = {
  scheme: 'shm',
  capabilities: {
    scheme: 'shm',
    duplex: true,
    messageBoundaries: true,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    manyWriters: true,
    crossesMachines: false,
    // shm's own fan-out: one write, read in place (docs/topics-shm.md).
    topics: true,
    primitive: byBackend({
      win32: 'file mapping (CreateFileMappingW) with lock-free rings; named events for wake-ups',
      posix: 'POSIX shared memory (shm_open + mmap) with lock-free rings; futex for wake-ups',
    }),
    backend: BACKEND,
  } satisfies Capabilities,
  listen,
  connect,
  publish,
  subscribe,
};
