import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A line a peer process reported. */
export interface PeerEvent {
  event: 'ready' | 'done' | 'error';
  [key: string]: unknown;
}

const PEER_SCRIPT = fileURLToPath(new URL('./peer.js', import.meta.url));

/** A conformance peer running in its own OS process. */
export class Peer {
  private readonly events: PeerEvent[] = [];
  private readonly waiting: Array<() => void> = [];
  private stderr = '';
  /** Set on 'close': the process ended and its output was read to the end. */
  private ended = false;
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess, readonly label: string) {
    let buffered = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffered += text;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) {
          try {
            this.events.push(JSON.parse(line) as PeerEvent);
          } catch {
            this.stderr += `(unparsed stdout) ${line}\n`;
          }
          this.wakeAll();
        }
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes after stdout is drained, so no event line is lost.
      child.on('close', (code) => {
        this.ended = true;
        this.wakeAll();
        resolve(code);
      });
      child.on('error', (error) => {
        this.stderr += `spawn error: ${String(error)}\n`;
        this.ended = true;
        this.wakeAll();
        resolve(null);
      });
    });
  }

  private wakeAll(): void {
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Resolves with the first event of that kind; rejects if the peer reports an error or exits first. */
  async waitFor(event: 'ready' | 'done'): Promise<PeerEvent> {
    for (;;) {
      const found = this.events.find((e) => e.event === event);
      if (found) return found;
      const failed = this.events.find((e) => e.event === 'error');
      if (failed) throw new Error(`peer ${this.label} failed: ${String(failed.code)} ${String(failed.message)}\n${this.stderr}`);
      if (this.ended) {
        throw new Error(`peer ${this.label} exited (${this.child.exitCode ?? this.child.signalCode}) before "${event}"\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Waits for `done` and a zero exit status. */
  async finished(): Promise<PeerEvent> {
    const done = await this.waitFor('done');
    const code = await this.exited;
    if (code !== 0) throw new Error(`peer ${this.label} exited with ${String(code)}\n${this.stderr}`);
    return done;
  }

  /** Kills the process (SIGKILL on POSIX, TerminateProcess on Windows) and waits for it to go. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Starts and tracks the peers of one test, so that every one of them is
 * killed when the test ends, passes or fails.
 */
export class PeerSet {
  private readonly peers: Peer[] = [];

  constructor(private readonly moduleUrl: string) {}

  /** Starts `peer.js <module> <role> <name> ...args` in a new process. */
  start(role: string, name: string, ...args: string[]): Peer {
    const child = spawn(process.execPath, [PEER_SCRIPT, this.moduleUrl, role, name, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const peer = new Peer(child, `${role}#${this.peers.length}`);
    this.peers.push(peer);
    return peer;
  }

  /** Kills every peer still running. */
  async killAll(): Promise<void> {
    await Promise.all(this.peers.map((peer) => peer.kill()));
  }
}
