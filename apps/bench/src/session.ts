/**
 * The peer processes of one (target, scenario): started by the orchestrator
 * (or forked by another peer), reached over the side channel, and stopped
 * when the scenario is over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@ipckit/core';
import type { ControlServer, PeerHandle } from './control.js';
import type { CpuSnapshot } from './peers/common.js';
import { encodeSpec, type PeerSpec, type Role } from './peers/spec.js';
import type { Profile } from './profile.js';
import type { TargetDef } from './targets.js';

/**
 * Node options for every peer process, from IPCKIT_BENCH_PEER_FLAGS (split on
 * spaces), e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the peers,
 * which NODE_OPTIONS does not allow. Empty by default.
 */
const PEER_NODE_FLAGS: readonly string[] = (process.env['IPCKIT_BENCH_PEER_FLAGS'] ?? '').split(' ').filter(Boolean);

const PEER_SCRIPT = fileURLToPath(new URL('./peer.js', import.meta.url));

/** A peer process the orchestrator started (or one a peer forked: then `child` is undefined). */
export interface Peer {
  handle: PeerHandle;
  child?: ChildProcess;
  spec: PeerSpec;
}

export class Session {
  private readonly children: ChildProcess[] = [];
  private readonly peers: Peer[] = [];
  private counter = 0;

  constructor(
    private readonly control: ControlServer,
    readonly target: TargetDef,
    private readonly profile: Profile,
    private readonly maxSize: number,
  ) {}

  spec(role: Role): PeerSpec {
    return {
      id: `${this.target.id}-${role}-${++this.counter}-${process.pid}`,
      target: this.target.id,
      family: this.target.family as PeerSpec['family'],
      role,
      ...(this.target.scheme ? { scheme: this.target.scheme } : {}),
      ...(this.target.serialization ? { serialization: this.target.serialization } : {}),
      ...(this.target.io ? { io: this.target.io } : {}),
      ...(this.target.variant ? { variant: this.target.variant } : {}),
      maxSize: this.maxSize,
      watchdogMs: this.profile.watchdogMs,
    };
  }

  /** Starts a peer process (node with PEER_NODE_FLAGS) and waits for it to connect to the side channel. */
  async spawn(spec: PeerSpec): Promise<Peer> {
    const child = spawn(process.execPath, [...PEER_NODE_FLAGS, PEER_SCRIPT, String(this.control.port), encodeSpec(spec)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      windowsHide: true,
    });
    this.children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-3000);
    });
    const exited = new Promise((resolve) => {
      child.on('exit', resolve);
      child.on('error', (error) => {
        stderr += `\nspawn failed: ${error.message}`;
        resolve(null);
      });
    });
    const describe = (): string => (stderr.trim() ? `; its stderr:\n${stderr.trim()}` : '');
    const handle = await this.control.peer(spec.id, this.profile.watchdogMs, describe, exited);
    void exited.then(() => handle.fail(new Error(`peer ${spec.id} exited${describe()}`)));
    const peer = { handle, child, spec };
    this.peers.push(peer);
    return peer;
  }

  /** Waits for a peer another peer forked (child_process IPC baseline). */
  async adopt(spec: PeerSpec, parent: Peer): Promise<Peer> {
    const handle = await this.control.peer(spec.id, this.profile.watchdogMs, () => ` (forked by ${parent.spec.id})`);
    const peer = { handle, spec };
    this.peers.push(peer);
    return peer;
  }

  /** A fresh name for the server to listen on (what the target makes of a unique name). */
  listenName(): string {
    const unique = uniqueName('ipckit-bench');
    return this.target.listenName?.(unique) ?? unique;
  }

  /** Serves a fresh name on `server`, then starts and connects the clients; returns them. */
  async connectAll(server: Peer, clientRole: Role, clients: number, duplex: boolean): Promise<Peer[]> {
    const specs = Array.from({ length: clients }, () => this.spec(clientRole));
    const forks = this.target.family === 'cp';
    const listened = await server.handle.request('listen', { name: this.listenName(), ...(forks ? { clients: specs } : {}) });
    const connectName = String(listened['connectName']);
    const peers = await Promise.all(specs.map((spec) => (forks ? this.adopt(spec, server) : this.spawn(spec))));
    for (const peer of peers) {
      const connected = await peer.handle.request('connect', { name: connectName, duplex });
      if (typeof connected['replyName'] === 'string') await server.handle.request('connect-reply', { name: connected['replyName'] });
    }
    return peers;
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map((peer) => peer.handle.request('exit', {}, 5000).catch(() => undefined)));
    for (const peer of this.peers) peer.handle.close();
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            const timer = setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}

export function cpuOf(value: unknown): CpuSnapshot {
  // Numbers as the peer sent them over JSON: Number() keeps a malformed field from poisoning the sums.
  const v = value as { userUs?: unknown; systemUs?: unknown; maxRssBytes?: unknown } | undefined;
  return { userUs: Number(v?.userUs ?? 0), systemUs: Number(v?.systemUs ?? 0), maxRssBytes: Number(v?.maxRssBytes ?? 0) };
}

export function delta(a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot {
  return { userUs: b.userUs - a.userUs, systemUs: b.systemUs - a.systemUs, maxRssBytes: b.maxRssBytes };
}
