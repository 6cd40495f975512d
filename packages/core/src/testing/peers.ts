import { fileURLToPath } from 'node:url';
import { PeerProcess } from './peer-process.js';

const PEER_SCRIPT = fileURLToPath(new URL('./peer.js', import.meta.url));

/**
 * The conformance peers of one test: starts the conformance peer script
 * (./peer.ts) with a role, and tracks every peer so that all are killed when
 * the test ends, passes or fails.
 */
export class PeerSet {
  readonly #peers: PeerProcess[] = [];

  /**
   * @param moduleUrl the transport module the peers import (ConformanceOptions.moduleUrl)
   * @param timeoutMs the peers' watchdog (PeerProcessOptions.timeoutMs); the suite passes its test's budget
   */
  constructor(
    private readonly moduleUrl: string,
    private readonly timeoutMs?: number,
  ) {}

  /** Starts `peer.js <module> <role> <name> ...args` in a new process. */
  start(role: string, name: string, ...args: string[]): PeerProcess {
    const peer = PeerProcess.node(PEER_SCRIPT, [this.moduleUrl, role, name, ...args], {
      label: `peer ${role}#${this.#peers.length}`,
      ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }),
    });
    this.#peers.push(peer);
    return peer;
  }

  /** Kills every peer still running. */
  async killAll(): Promise<void> {
    await Promise.all(this.#peers.map((peer) => peer.kill()));
  }
}
