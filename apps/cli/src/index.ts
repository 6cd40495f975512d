/**
 * ipckit, everything in one import: the contract and addresses of @ipckit/core
 * (`connect('shm://x')`, `listen`, `serve`, codecs, requests, IpcError), the
 * transports it loads for their schemes (pipe://, shm://, mailslot://, tcp://:
 * all installed with this package), shared regions and C structs, and the
 * named sync objects. `npm install ipckit` is all a program needs; the
 * command comes with it (`npx ipckit --help`).
 *
 * ```ts
 * import { connect, listen, serve, createMutex, createRegion } from 'ipckit';
 * ```
 */
export * from '@ipckit/core';
export {
  DEFAULT_DISCOVER_INTERVAL_MS,
  discover,
  type DiscoverOptions,
  type Discovery,
  type DiscoveryEvent,
  type Service,
  type ServiceKind,
} from './discover.js';
export type { ObjectState as ServiceState } from './objects.js';
export type { TopicInfo } from './shm-contents.js';
export {
  ShmChannel,
  createRegion,
  defineStruct,
  openOrCreateRegion,
  openRegion,
  unlinkRegion,
  type SharedRegion,
  type StructLayout,
} from '@ipckit/shared-memory';
export {
  Event,
  Mutex,
  Semaphore,
  createEvent,
  createMutex,
  createSemaphore,
  openEvent,
  openMutex,
  openOrCreateEvent,
  openOrCreateMutex,
  openOrCreateSemaphore,
  openSemaphore,
  waitAny,
} from '@ipckit/sync';
