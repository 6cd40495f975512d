/**
 * What every topics conformance test gets: the transport, a fresh name, the
 * publish/subscribe a user gets (core's publishOn/subscribeOn), peers in
 * their own processes (./peer-topics.ts), and cleanup.
 */
import { fileURLToPath } from 'node:url';
import { sleep } from '../kit/cancel.js';
import { publishOn, subscribeOn } from '../kit/topic-transport.js';
import type { Publisher, SubscribeOptions, Subscriber } from '../topic.js';
import type { Transport } from '../transport.js';
import { PeerProcess } from './peer-process.js';
import type { PeerTopicOptions } from './peer-topics.js';
import { within } from './watchdog.js';

const PEER_SCRIPT = fileURLToPath(new URL('./peer-topics.js', import.meta.url));

/** Registers one topics test: a name, a watchdog budget in ms (scaled by the suite), a body. */
export type TopicTest = (name: string, timeoutMs: number, body: (ctx: TopicContext) => Promise<void>) => void;

/** What a topics suite file needs. */
export interface TopicSuite {
  describe: (name: string, fn: () => void) => void;
  test: TopicTest;
}

/** One test's transport, name, peers and what must be closed afterwards. */
export class TopicContext {
  private readonly closers: Array<() => Promise<void>> = [];
  private readonly peers: PeerProcess[] = [];

  constructor(
    readonly t: Transport,
    readonly name: string,
    private readonly moduleUrl: string,
    /** The peers' watchdog: the test's budget. */
    private readonly budgetMs: number,
    /** Another fresh name, from the same generator as the test's own. */
    readonly freshName: () => Promise<string>,
  ) {}

  /** Publishes the test's name (or `name`) in this process. */
  async publish(options?: PeerTopicOptions, name = this.name): Promise<Publisher> {
    const publisher = await publishOn(this.t, name, options);
    this.closers.push(() => publisher.close({ timeoutMs: 0 }));
    return publisher;
  }

  /** Subscribes to the test's name (or `name`) in this process. */
  async subscribe(options?: SubscribeOptions, name = this.name): Promise<Subscriber> {
    const subscriber = await subscribeOn(this.t, name, options);
    this.closers.push(() => subscriber.close());
    return subscriber;
  }

  /** Forgets a closer (for a subscriber the test closes itself, in a loop that makes many). */
  untrackLast(): void {
    this.closers.pop();
  }

  /** A publisher in its own process, once it serves the name; stdin commands as in peer-topics.ts. */
  async peerPublisher(options: PeerTopicOptions = {}): Promise<PeerProcess> {
    const peer = this.start('publish', options);
    await peer.waitForEvent('ready');
    return peer;
  }

  /** A subscriber in its own process (mode as in peer-topics.ts), once it is subscribed. */
  async peerSubscriber(mode: string, options: PeerTopicOptions = {}): Promise<PeerProcess> {
    const peer = this.start('subscribe', options, mode);
    await peer.waitForEvent('subscribed');
    return peer;
  }

  /** Starts a peer without waiting for it. */
  start(role: 'publish' | 'subscribe', options: PeerTopicOptions, mode?: string): PeerProcess {
    const peer = PeerProcess.node(PEER_SCRIPT, [this.moduleUrl, role, this.name, JSON.stringify(options), ...(mode === undefined ? [] : [mode])], {
      label: `topic peer ${role}${mode === undefined ? '' : ` ${mode}`}#${this.peers.length}`,
      timeoutMs: this.budgetMs,
    });
    this.peers.push(peer);
    return peer;
  }

  /** Waits until `condition` holds, looking every few ms (for counts that change without an event). */
  async until(what: string, condition: () => boolean): Promise<void> {
    await within(
      this.budgetMs,
      what,
      (async () => {
        while (!condition()) await sleep(5);
      })(),
    );
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.peers.map((peer) => peer.kill()));
    for (const close of this.closers.reverse()) {
      await within(5_000, 'cleanup close', close()).catch(() => undefined);
    }
  }
}
