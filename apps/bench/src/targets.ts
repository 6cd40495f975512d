/**
 * What the benchmark measures: one entry per transport or baseline. Adding a
 * transport is adding an entry here: its id, its scheme (any transport behind
 * the common interface runs through the `channel` family as it is), the
 * scenarios it takes part in, and, when its names are not free-form, how it
 * makes a name to listen on (`listenName`). The runner knows no transport by name.
 */
import type { Capabilities } from '@ipckit/core';
import { resolveTransport } from '@ipckit/core/kit';
import { mappingSource } from './mapping.js';
import type { Family } from './peers/spec.js';
import type { ScenarioId } from './results.js';

export interface Probe {
  available: boolean;
  /** Backend facts for the report. */
  backend?: string;
  /** Why not available. */
  reason?: string;
  /** Duplex (false: ping-pong uses a reply address). */
  duplex?: boolean;
  manyWriters?: boolean;
  maxMessageBytes?: number;
  /** Why fan-in does not apply, when manyWriters is false. */
  noFanIn?: string;
}

export interface TargetDef {
  id: string;
  label: string;
  kind: 'transport' | 'baseline';
  family: Family | 'memcpy';
  scheme?: string;
  serialization?: 'json' | 'advanced';
  /** shm-sync family: receive with `receiveSync(into)` into one array the peer owns, instead of a new array per message. */
  receiveInto?: boolean;
  scenarios: ScenarioId[];
  /** One line for the report: what exactly runs. */
  description: string;
  /**
   * The name a server of this target listens on, made from a fresh unique
   * name; without it, the unique name itself. The client connects to the
   * name the listener reports, so a transport that picks part of its address
   * when it listens (tcp's port) says so here.
   */
  listenName?(unique: string): string;
  probe(): Promise<Probe>;
}

const MESSAGE_SCENARIOS: ScenarioId[] = ['ping-pong', 'stream', 'fan-in'];
/** A transport also takes part in the idle measure (baselines spin or have no idle state worth a figure). */
const TRANSPORT_SCENARIOS: ScenarioId[] = [...MESSAGE_SCENARIOS, 'idle'];

function firstLine(value: unknown): string {
  return String(value).split('\n', 1)[0] ?? '';
}

function describeError(error: unknown): string {
  const e = error as { message?: unknown; cause?: { message?: unknown } | null } | null | undefined;
  const causeMessage = e?.cause?.message;
  const cause = causeMessage ? ` (${firstLine(causeMessage)})` : '';
  return `${firstLine(e?.message ?? error)}${cause}`;
}

/** A transport behind the common interface: listen/connect by `scheme://name`. */
function transportTarget(id: string, scheme: string, label: string, description: string, naming: Pick<TargetDef, 'listenName'> = {}): TargetDef {
  return {
    id,
    label,
    kind: 'transport',
    family: 'channel',
    scheme,
    scenarios: TRANSPORT_SCENARIOS,
    description,
    ...naming,
    async probe() {
      let caps: Capabilities;
      try {
        caps = (await resolveTransport(scheme)).capabilities;
      } catch (error) {
        return { available: false, reason: describeError(error) };
      }
      return {
        available: true,
        backend: `${caps.backend}: ${caps.primitive}`,
        duplex: caps.duplex,
        manyWriters: caps.manyWriters,
        maxMessageBytes: caps.maxMessageBytes,
      };
    },
  };
}

/** @ipckit/shared-memory's own synchronous API, which the common interface does not have. */
function shmSyncTarget(id: string, label: string, receiveInto: boolean, description: string): TargetDef {
  return {
    id,
    label,
    kind: 'transport',
    family: 'shm-sync',
    receiveInto,
    scenarios: TRANSPORT_SCENARIOS,
    description,
    async probe() {
      const { probeShmSync } = await import('./shm-sync-probe.js');
      return probeShmSync(receiveInto);
    },
  };
}

function cpTarget(serialization: 'json' | 'advanced'): TargetDef {
  return {
    id: `cp-${serialization}`,
    label: `child_process IPC (${serialization})`,
    kind: 'baseline',
    family: 'cp',
    serialization,
    scenarios: MESSAGE_SCENARIOS,
    description:
      serialization === 'json'
        ? "fork() IPC channel, serialization 'json'; payload sent as an ASCII string of the same length"
        : "fork() IPC channel, serialization 'advanced' (structured clone); payload sent as a Uint8Array",
    async probe() {
      return {
        available: true,
        backend: `node ${process.version} child_process IPC, ${process.platform === 'win32' ? 'named pipe' : 'Unix socketpair'}, ${serialization} serialization`,
        duplex: true,
        manyWriters: true,
        maxMessageBytes: Number.MAX_SAFE_INTEGER,
      };
    },
  };
}

/** The table. Order is the order of the report. */
export const TARGETS: readonly TargetDef[] = [
  transportTarget('shm', 'shm', 'shm (async)', 'shm:// through the common interface (lock-free rings, async wake-ups)'),
  shmSyncTarget(
    'shm-sync',
    'shm (sync API)',
    false,
    "@ipckit/shared-memory's synchronous channel API (blocking sendSync/receiveSync(), meant for worker threads; a new array per received message), run in a worker thread of each peer",
  ),
  shmSyncTarget(
    'shm-sync-into',
    'shm (sync, receiveSync(into))',
    true,
    'the same, but every receive is receiveSync(into): copied into one array the peer owns, no allocation per message (the echo sends back a view of it)',
  ),
  transportTarget('pipe', 'pipe', 'named-pipe', 'pipe:// through the common interface'),
  transportTarget('mailslot', 'mailslot', 'mailslot', 'mailslot:// through the common interface (one-way: ping-pong uses a second mailslot for replies)'),
  // Port 0: the OS picks a free port, the listener reports it (a name is not a tcp address).
  transportTarget('tcp', 'tcp', 'tcp', 'tcp:// on 127.0.0.1 through the common interface', { listenName: () => '127.0.0.1:0' }),
  cpTarget('json'),
  cpTarget('advanced'),
  {
    id: 'atomics',
    label: 'Atomics floor',
    kind: 'baseline',
    family: 'atomics',
    scenarios: ['ping-pong'],
    description:
      'bare Atomics.store/Atomics.load spin ping-pong over a named shared mapping between two processes, copying the message in and out: the JavaScript floor',
    async probe() {
      try {
        return { available: true, backend: `${mappingSource()}; both sides spin`, duplex: true, maxMessageBytes: 1 << 30 };
      } catch (error) {
        return { available: false, reason: describeError(error) };
      }
    },
  },
  {
    id: 'memcpy',
    label: 'memcpy ceiling',
    kind: 'baseline',
    family: 'memcpy',
    scenarios: ['memcpy'],
    description: 'single-thread Uint8Array.prototype.set of one message, measured with tinybench: the copy ceiling',
    async probe() {
      return { available: true, backend: `V8 ${process.versions.v8} TypedArray.prototype.set`, maxMessageBytes: 1 << 30 };
    },
  },
];

/** Ids of the transports and of the baselines, for `--transports` and `--baselines`. */
export const TRANSPORT_IDS = TARGETS.filter((t) => t.kind === 'transport').map((t) => t.id);
export const BASELINE_IDS = TARGETS.filter((t) => t.kind === 'baseline').map((t) => t.id);
