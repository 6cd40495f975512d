/**
 * @ipckit/shared-memory: named shared-memory regions (CreateFileMappingW /
 * shm_open + mmap) with C-struct access, and `shm://name`, a duplex message
 * channel over lock-free rings in shared memory.
 */
export {
  MAX_REGION_BYTES,
  SharedRegion,
  SharedView,
  createRegion,
  openFileRegion,
  openOrCreateRegion,
  openRegion,
  unlinkRegion,
  viewGranularity,
  type CreateRegionOptions,
  type FileRegionOptions,
  type OpenRegionOptions,
  type RegionOrigin,
  type RegionWaitResult,
} from './region.js';
export {
  defineStruct,
  type FieldInfo,
  type FieldType,
  type FieldValue,
  type ScalarType,
  type StructLayout,
  type StructOptions,
  type StructValue,
} from './layout.js';
export { ShmChannel, ShmMessage, ShmReservation, WATCHDOG_MS, type WaitOptions } from './channel.js';
export { transport, type ShmTransport } from './transport.js';
export { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_RING_BYTES, type ShmConnectOptions, type ShmListenOptions } from './options.js';
export { MAX_CHANNEL_NAME_BYTES } from './rendezvous.js';
export { RING_HEADER_BYTES, RING_MAGIC, RING_VERSION, initRing, ringBytes, RingReader, RingWriter } from './ring.js';
// Discovery and diagnostics: which ipckit objects exist, which are stale, and
// the one ownership-and-liveness rule every judgement uses (inspect.ts over ownership.ts).
export {
  inspectChannel,
  isProcessAlive,
  listShmObjects,
  readShmObject,
  removeStaleShmObject,
  type ChannelInspection,
  type PairInfo,
  type ProcessIdentity,
  type RingInfo,
  type RingSideInfo,
  type ShmObjectInfo,
  type ShmObjectKind,
  type ShmOwnerState,
  type SlotInfo,
} from './inspect.js';
export { publish as publishTopic } from './topic-publisher.js';
export { DEFAULT_READ_AHEAD, READ_AHEAD_BYTES, subscribe as subscribeTopic, type ShmSubscribeOptions } from './topic-subscriber.js';
export { DATA_MAGIC, DEFAULT_TOPIC_MESSAGE_BYTES, MAX_TOPIC_MESSAGE_BYTES } from './topic-data.js';
export { TOPIC_MAGIC } from './topic-control.js';
