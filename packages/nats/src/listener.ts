/**
 * A nats:// listener: a queue-group subscription on the service's subject.
 * Every listener of a service, in any process on any machine, joins the same
 * queue group, so the NATS server hands each new client's hello to one of
 * them; the one that gets it answers with the inbox of a new channel.
 */
import { IpcError, type Channel, type Listener } from '@ipckit/core';
import { AsyncQueue } from '@ipckit/core/kit';
import { createInbox, type Msg, type Subscription } from '@nats-io/transport-node';
import { NatsChannel } from './channel.js';
import type { Lease } from './connection.js';
import { PROTOCOL_VERSION, decodeJson, encodeJson } from './wire.js';

/** What a listener is made with. */
export interface ListenerSettings {
  lease: Lease;
  /** The name as given (`host:port/service`). */
  name: string;
  /** The service subject, also the queue group's name. */
  subject: string;
  shared: boolean;
  backlog: number;
  maxMessageBytes: number;
  windowBytes: number;
  heartbeatMs: number;
  peerTimeoutMs: number;
  inboxPrefix: string | undefined;
  signal: AbortSignal | undefined;
}

/** A served nats:// service: yields a channel for each client's hello it is handed. */
export class NatsListener implements Listener {
  readonly name: string;
  readonly path: string;
  private readonly queue = new AsyncQueue<NatsChannel>(Number.MAX_SAFE_INTEGER);
  private readonly subscription: Subscription;
  private closing: Promise<void> | undefined;
  private readonly unwatch: () => void;
  private readonly onAbort = (): void => void this.close();

  constructor(private readonly settings: ListenerSettings) {
    this.name = settings.name;
    this.path = `${settings.subject} (queue group ${settings.subject}) on ${settings.lease.server}`;
    this.subscription = settings.lease.nc.subscribe(settings.subject, {
      queue: settings.subject,
      callback: (error, msg) => {
        if (!error) this.onRequest(msg);
      },
    });
    settings.signal?.addEventListener('abort', this.onAbort, { once: true });
    // A server restart is survived (the client subscribes again); a connection closed for good ends the iteration.
    this.unwatch = settings.lease.watch({ disconnected: () => undefined, closed: () => this.queue.end() });
  }

  /** Resolves once the server has the subscription, so that a connect from anywhere finds it. */
  async ready(): Promise<void> {
    await this.settings.lease.nc.flush();
  }

  private onRequest(msg: Msg): void {
    if (this.closing || !msg.reply) return;
    let request: ReturnType<typeof decodeJson>;
    try {
      request = decodeJson(msg.data);
    } catch {
      return; // Not ipckit's: ignored, as a server ignores garbage on its port.
    }
    if (request.t === 'probe') {
      msg.respond(encodeJson({ v: PROTOCOL_VERSION, t: 'served', shared: this.settings.shared }));
      return;
    }
    if (request.t !== 'hello') return;
    const { inbox, max, window } = request;
    if (typeof inbox !== 'string' || inbox.length === 0 || /[\s*>]/.test(inbox) || !Number.isSafeInteger(max) || !Number.isSafeInteger(window)) return;
    if (this.queue.size >= this.settings.backlog) {
      // Over the backlog (Rule 5): the client's channel ends at once.
      msg.respond(encodeJson({ v: PROTOCOL_VERSION, t: 'full' }));
      return;
    }
    const { lease, maxMessageBytes, windowBytes, heartbeatMs, peerTimeoutMs, inboxPrefix } = this.settings;
    const channel = new NatsChannel({ lease: lease.share(), inbox: createInbox(inboxPrefix), maxMessageBytes, windowBytes, heartbeatMs, peerTimeoutMs });
    channel.attach({ inbox, maxMessageBytes: max as number, windowBytes: window as number });
    // The channel subscribed to its inbox before this reply goes: the client's first message finds it.
    msg.respond(encodeJson({ v: PROTOCOL_VERSION, t: 'accept', inbox: channel.inbox, max: maxMessageBytes, window: windowBytes }));
    this.queue.push(channel);
  }

  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    return this.queue[Symbol.asyncIterator]();
  }

  /**
   * Leaves the queue group (the server has processed it when this resolves:
   * a connect then gets ENOENT unless another listener serves the service),
   * closes the channels not yet taken and ends the iteration. Channels taken
   * stay open.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.settings.signal?.removeEventListener('abort', this.onAbort);
      this.unwatch();
      try {
        this.subscription.unsubscribe();
      } catch {
        // Gone with its connection.
      }
      const untaken = this.queue.drain();
      this.queue.end();
      await Promise.all(untaken.map((channel) => channel.close({ timeoutMs: 0 })));
      await this.settings.lease.flush();
      await this.settings.lease.release();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The error of a listen whose service is already served. */
export function inUse(name: string, theirs: 'exclusive' | 'silent' | 'shared'): IpcError {
  const why =
    theirs === 'silent'
      ? 'something subscribes to its subject and does not answer'
      : theirs === 'exclusive'
        ? 'a listener serves it without sharing'
        : 'listeners share it; pass { shared: true } to join them';
  return new IpcError('EADDRINUSE', `nats://${name} is already served: ${why}`);
}
