/**
 * What the benchmark measures: one entry per transport or baseline. Adding a
 * transport is adding an entry here: its id, its scheme (any transport behind
 * the common interface runs through the `channel` family as it is), the
 * scenarios it takes part in, and, when its names are not free-form, how it
 * makes a name to listen on (`listenName`). The runner knows no transport by name.
 */
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Capabilities } from '@ipckit/core';
import { resolveTransport } from '@ipckit/core/kit';
import { byBackend } from '@ipckit/sys';
import { loadShm, mappingSource } from './mapping.js';
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
  /** Whether it offers topics (publish/subscribe): the fan-out scenario. */
  topics?: boolean;
}

export interface TargetDef {
  id: string;
  label: string;
  kind: 'transport' | 'baseline';
  family: Family | 'memcpy';
  scheme?: string;
  serialization?: 'json' | 'advanced';
  /** shm-sync family: how each peer sends and receives, an id of SYNC_IO (peers/shm-io.ts). */
  io?: string;
  /** sync family: which hand-off (the sync scenario's own entries, not in TARGETS). */
  variant?: string;
  /** memcpy family: copy to and from fresh memory far larger than the cache, instead of one cache-hot buffer. */
  memoryBound?: boolean;
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
  /**
   * Why this target is measured on a quiet machine only, never beside the
   * busy processes of --load: the Atomics floor spins on both sides with no
   * kernel wait, so with every core taken a round trip waits for the
   * scheduler to swap spinners, and a case does not end in any useful time.
   */
  quietOnly?: string;
  /**
   * Something the target needs running while its cases run (nats://: a
   * nats-server on loopback): started once per run, after the probe, before
   * the first case; the function it returns stops it after the last. A
   * failure makes the target "not available" with its reason.
   */
  setup?(): Promise<() => Promise<void>>;
  probe(): Promise<Probe>;
}

const MESSAGE_SCENARIOS: ScenarioId[] = ['ping-pong', 'first-round-trips', 'stream', 'fan-in'];
/**
 * A transport also takes part in the idle measure (baselines spin or have no
 * idle state worth a figure) and, behind the common interface, in
 * many-channels (a shm sync-API peer blocks a thread per channel).
 */
const TRANSPORT_SCENARIOS: ScenarioId[] = [...MESSAGE_SCENARIOS, 'fan-out', 'idle', 'many-channels'];
const SYNC_API_SCENARIOS: ScenarioId[] = [...MESSAGE_SCENARIOS, 'idle'];

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
        topics: caps.topics,
      };
    },
  };
}

/**
 * @ipckit/shared-memory's own synchronous API, which the common interface
 * does not have; `io` is how its peers send and receive (an id of SYNC_IO in
 * peers/shm-io.ts, where a zero-copy strategy goes).
 */
function shmSyncTarget(id: string, label: string, io: string, description: string): TargetDef {
  return {
    id,
    label,
    kind: 'transport',
    family: 'shm-sync',
    io,
    scenarios: SYNC_API_SCENARIOS,
    description,
    async probe() {
      const { probeShmSync } = await import('./shm-sync-probe.js');
      return probeShmSync(io);
    },
  };
}

/** Typed `string`: the zeromq package is loaded at run time, so the bench runs (without its targets) where it is missing. */
const ZEROMQ: string = 'zeromq';

/**
 * The `zeromq` package (libzmq through its Node binding): what a Node user
 * would pick instead of ipckit. Ping-pong is a REQ/REP pair, streaming and
 * fan-in are PUSH → PULL; the server binds, the clients connect.
 */
function zmqTarget(transport: 'ipc' | 'tcp', description: string): TargetDef {
  return {
    id: `zmq-${transport}`,
    label: `zeromq ${transport}://`,
    kind: 'baseline',
    family: 'zmq',
    scheme: transport,
    scenarios: [...MESSAGE_SCENARIOS, 'fan-out'],
    description,
    // ipc://: a socket file in the temporary directory; tcp://: port 0 (`*`), libzmq picks, the socket reports it.
    listenName: (unique) => (transport === 'ipc' ? `ipc://${join(tmpdir(), `${unique}.zmq`)}` : 'tcp://127.0.0.1:*'),
    async probe() {
      try {
        const zmq = (await import(ZEROMQ)) as { version?: string };
        return {
          available: true,
          backend: `zeromq (npm) ${zeromqPackageVersion()}, libzmq ${zmq.version ?? '?'}; ${transport === 'ipc' ? 'ipc:// (a Unix domain socket)' : 'tcp://127.0.0.1'}; REQ/REP, PUSH/PULL, XPUB/SUB`,
          duplex: true,
          manyWriters: true,
          maxMessageBytes: Number.MAX_SAFE_INTEGER,
          topics: true,
        };
      } catch (error) {
        return { available: false, reason: `the zeromq package does not load here: ${describeError(error)}` };
      }
    },
  };
}

function zeromqPackageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const version = (require('zeromq/package.json') as { version?: unknown }).version;
    return typeof version === 'string' ? version : '?';
  } catch {
    return '?';
  }
}

/** tools/nats-server, imported by URL (from dist/ or src/ alike) so that the compiler does not take the tool's .mjs into this project. */
const NATS_TOOL = new URL('../../../tools/nats-server/index.mjs', import.meta.url).href;

interface NatsServerHandle {
  port: number;
  stop(): Promise<void>;
}

/**
 * nats:// beside tcp://: ping-pong, streaming and fan-out through one
 * nats-server on loopback, started for the run (tools/nats-server: Debian's
 * package, installed with apt when missing) and stopped after it.
 */
function natsTarget(): TargetDef {
  let server: string | undefined;
  const base = transportTarget(
    'nats',
    'nats',
    'nats',
    'nats:// through the common interface, via one nats-server on 127.0.0.1 started for this run (a queue-group listener, a private pair of subjects per channel; topics are core fan-out over nats:// channels)',
    {
      // A service on the run's server: `127.0.0.1:<port>/<unique>`.
      listenName: (unique) => {
        if (server === undefined) throw new Error('the nats-server of this run is not running');
        return `${server}/${unique}`;
      },
    },
  );
  return {
    ...base,
    scenarios: ['ping-pong', 'first-round-trips', 'stream', 'fan-out'],
    async setup() {
      const tool = (await import(NATS_TOOL)) as { startNatsServer(): Promise<NatsServerHandle> };
      const running = await tool.startNatsServer();
      server = `127.0.0.1:${running.port}`;
      return async () => {
        server = undefined;
        await running.stop();
      };
    },
  };
}

/** A memcpy ceiling: cache-hot (one buffer) or memory-bound (fresh memory every copy). */
function memcpyTarget(memoryBound: boolean): TargetDef {
  return {
    id: memoryBound ? 'memcpy-ram' : 'memcpy',
    label: memoryBound ? 'memcpy ceiling (memory-bound)' : 'memcpy ceiling (cache-hot)',
    kind: 'baseline',
    family: 'memcpy',
    memoryBound,
    scenarios: ['memcpy'],
    description: memoryBound
      ? 'single-thread Uint8Array.prototype.set of one message from and to the next place in two buffers far larger than the cache (tinybench): the ceiling when the data is not in the cache'
      : 'single-thread Uint8Array.prototype.set of one message, the same two buffers every time so they stay in the cache (tinybench): the copy ceiling',
    async probe() {
      return { available: true, backend: `V8 ${process.versions.v8} TypedArray.prototype.set`, maxMessageBytes: 1 << 30 };
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
        backend: `node ${process.version} child_process IPC, ${byBackend({ win32: 'named pipe', posix: 'Unix socketpair' })}, ${serialization} serialization`,
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
    'copy',
    "@ipckit/shared-memory's synchronous channel API (blocking sendSync/receiveSync(), meant for worker threads; a new array per received message), run in a worker thread of each peer",
  ),
  shmSyncTarget(
    'shm-sync-into',
    'shm (sync, receiveSync(into))',
    'into',
    'the same, but every receive is receiveSync(into): copied into one array the peer owns, no allocation per message (the echo sends back a view of it)',
  ),
  shmSyncTarget(
    'shm-sync-inplace',
    'shm (sync, in place: zero copy)',
    'in-place',
    'the same, writing and reading in place: reserveSync + commit sends (the payload copied into the ring once), receiveInPlaceSync + release receives (a view of the ring, no copy); rings large enough for the largest message (issue 13 §2)',
  ),
  transportTarget('pipe', 'pipe', 'named-pipe', 'pipe:// through the common interface'),
  transportTarget('mailslot', 'mailslot', 'mailslot', 'mailslot:// through the common interface (one-way: ping-pong uses a second mailslot for replies)'),
  // Port 0: the OS picks a free port, the listener reports it (a name is not a tcp address).
  transportTarget('tcp', 'tcp', 'tcp', 'tcp:// on 127.0.0.1 through the common interface', { listenName: () => '127.0.0.1:0' }),
  natsTarget(),
  cpTarget('json'),
  cpTarget('advanced'),
  zmqTarget(
    'ipc',
    'the zeromq package over ipc:// (a Unix domain socket): REQ/REP for ping-pong, PUSH → PULL for streaming and fan-in, XPUB → SUB (noDrop) for fan-out',
  ),
  zmqTarget('tcp', 'the zeromq package over tcp://127.0.0.1: REQ/REP for ping-pong, PUSH → PULL for streaming and fan-in, XPUB → SUB (noDrop) for fan-out'),
  {
    id: 'atomics',
    label: 'Atomics floor',
    kind: 'baseline',
    family: 'atomics',
    scenarios: ['ping-pong', 'first-round-trips'],
    quietOnly: 'a floor that spins on both sides: beside busy processes its round trips wait for the scheduler, and it is no floor',
    description:
      'bare Atomics.store/Atomics.load spin ping-pong over a named shared mapping between two processes, copying the message in and out: the JavaScript floor',
    async probe() {
      try {
        await loadShm();
        return { available: true, backend: `${mappingSource()}; both sides spin`, duplex: true, maxMessageBytes: 1 << 30 };
      } catch (error) {
        return { available: false, reason: `@ipckit/shared-memory does not load: ${describeError(error)}` };
      }
    },
  },
  memcpyTarget(false),
  memcpyTarget(true),
];

/** Ids of the transports and of the baselines, for `--transports` and `--baselines`. */
export const TRANSPORT_IDS = TARGETS.filter((t) => t.kind === 'transport').map((t) => t.id);
export const BASELINE_IDS = TARGETS.filter((t) => t.kind === 'baseline').map((t) => t.id);
