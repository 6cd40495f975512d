/**
 * One end of a nats:// channel: two private inbox subjects, one per
 * direction, with ipckit's own small protocol on them (./wire.ts):
 * sequence-numbered messages, a credit window (so that a peer that does not
 * read makes sends wait instead of overflowing the server), pings for
 * liveness, and an explicit close. docs/nats.md describes it.
 */
import { IpcError, type Channel, type CloseOptions, type ReceiveOptions, type SendOptions } from '@ipckit/core';
import { AsyncQueue, checkMessageSize, checkWait, closeTimeoutOption, rejection, watchWait, type CheckedWait } from '@ipckit/core/kit';
import { NoRespondersError, RequestError, TimeoutError, type Msg, type Subscription } from '@nats-io/transport-node';
import type { Lease } from './connection.js';
import { fromNatsError } from './errors.js';
import { CLOSE_PAYLOAD, Kind, PING_PAYLOAD, WANT_PAYLOAD, costOf, decodeInbox, encodeCredit, encodeData } from './wire.js';

/** Sends that settle at once before one yields to the event loop (Rule 2), as the kit's StreamChannel does. */
const SENDS_PER_TURN = 64;

/** What a channel end is made with. */
export interface ChannelSettings {
  /** The shared connection this end holds (released when the end is done). */
  lease: Lease;
  /** This end's inbox: the subject its peer sends to. */
  inbox: string;
  /** The largest message this end accepts. */
  maxMessageBytes: number;
  /** How far ahead of what this end has taken the peer may send, in credit units. */
  windowBytes: number;
  heartbeatMs: number;
  peerTimeoutMs: number;
}

/** What an end learns of its peer in the handshake. */
export interface PeerInfo {
  inbox: string;
  maxMessageBytes: number;
  windowBytes: number;
}

interface PendingSend {
  message: Uint8Array;
  cost: number;
  resolve: () => void;
  reject: (error: IpcError) => void;
  stop: () => void;
}

/**
 * A nats:// channel end. Made subscribed to its inbox (so that nothing the
 * peer sends after the handshake is missed), then {@link attach}ed to its
 * peer's inbox once the handshake told it.
 */
export class NatsChannel implements Channel {
  private readonly queue = new AsyncQueue<Uint8Array>(Number.MAX_SAFE_INTEGER);
  private readonly subscription: Subscription;
  private readonly unwatch: () => void;
  private peer: PeerInfo | undefined;
  private limit: number;
  private readonly pending: PendingSend[] = [];
  // Credit (./wire.ts): what this end sent and what the peer says it has taken, and the same the other way.
  private sentCost = 0;
  private peerConsumed = 0;
  private consumed = 0;
  private granted = 0;
  private peerWants = false;
  private wantSent = false;
  private sendSequence = 0;
  private receiveSequence = 0;
  private sinceYield = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private pingOutstanding = false;
  /** Set by every payload from the peer: a peer that is talking needs no ping. */
  private heardFromPeer = false;
  private closing: Promise<void> | undefined;
  private closedHere = false;
  private gone: IpcError | undefined;
  private tornDown: Promise<void> | undefined;
  private onPendingEmpty: (() => void) | undefined;

  constructor(private readonly settings: ChannelSettings) {
    this.limit = settings.maxMessageBytes;
    this.subscription = settings.lease.nc.subscribe(settings.inbox, { callback: (error, msg) => this.onInbox(error, msg) });
    this.unwatch = settings.lease.watch({
      disconnected: () => this.peerGone('the connection to the NATS server was lost; what was in flight on this channel is lost', undefined, true),
    });
  }

  /** The largest message this channel sends or accepts (the smaller of the two ends' limits). */
  get maxMessageBytes(): number {
    return this.limit;
  }

  /** True once close() was called or the peer went away. */
  get closed(): boolean {
    return this.closedHere || this.gone !== undefined;
  }

  /** The subject this end receives on (for the listener's `path` and for tests). */
  get inbox(): string {
    return this.settings.inbox;
  }

  /** Connects this end to its peer's inbox and starts the pings. */
  attach(peer: PeerInfo): void {
    this.peer = peer;
    this.limit = Math.min(this.settings.maxMessageBytes, peer.maxMessageBytes);
    this.heartbeat = setInterval(() => this.ping(), this.settings.heartbeatMs);
    this.heartbeat.unref();
    this.pump();
  }

  /** Ends this end at once as if its peer had closed it (a listener over its backlog, Rule 5). */
  refuse(reason: string): void {
    this.peerGone(reason, undefined, false);
  }

  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    let wait: CheckedWait;
    try {
      const raw: unknown = message;
      if (!(raw instanceof Uint8Array)) throw new IpcError('EINVAL', `a message must be a Uint8Array, got ${raw === null ? 'null' : typeof raw}`);
      wait = checkWait(options);
      if (this.closedHere) throw new IpcError('ECLOSED', 'this nats:// channel was closed');
      if (this.gone) throw this.goneError();
      checkMessageSize(message.length, this.limit);
    } catch (error) {
      return rejection(error);
    }
    const cost = costOf(message.length);
    if (this.pending.length === 0 && this.peer && this.fits(cost)) {
      try {
        this.publishData(message, cost);
      } catch (error) {
        return rejection(error);
      }
      if (++this.sinceYield < SENDS_PER_TURN) return Promise.resolve();
      this.sinceYield = 0;
      return new Promise((resolve) => setImmediate(resolve));
    }
    // Waits for credit (the peer has not taken enough yet) or for the handshake; withdrawn whole on timeout (Rule 4).
    return new Promise<void>((resolve, reject) => {
      const entry: PendingSend = { message, cost, resolve, reject, stop: () => undefined };
      this.pending.push(entry);
      entry.stop = watchWait(wait, 'the send', (error) => {
        const at = this.pending.indexOf(entry);
        if (at < 0) return;
        this.pending.splice(at, 1);
        reject(error);
        this.pump();
      });
      this.askForCredit();
    });
  }

  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined> {
    return this.queue.take(options).then((result) => {
      if (result.done) return undefined;
      this.took(result.value);
      return result.value;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const iterator = this.queue[Symbol.asyncIterator]();
    return {
      next: async () => {
        const result = await iterator.next();
        if (!result.done) this.took(result.value);
        return result;
      },
      return: () => iterator.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    };
  }

  close(options?: CloseOptions): Promise<void> {
    if (this.closing) return this.closing;
    let timeoutMs: number;
    try {
      timeoutMs = closeTimeoutOption(options);
    } catch (error) {
      return rejection(error);
    }
    this.closing = this.closeWithin(timeoutMs);
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async closeWithin(timeoutMs: number): Promise<void> {
    this.closedHere = true;
    // Receiving ends at once; what was received but not taken is discarded (Rule 2).
    this.queue.drain();
    this.queue.end();
    if (this.pending.length > 0 && !this.gone && this.peer) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onPendingEmpty = resolve;
        if (timeoutMs > 0) timer = setTimeout(resolve, timeoutMs);
        else resolve();
      });
      clearTimeout(timer);
      this.onPendingEmpty = undefined;
    }
    const code = this.gone ? 'EPIPE' : 'ECLOSED';
    for (const entry of this.pending.splice(0)) {
      entry.stop();
      entry.reject(code === 'EPIPE' ? this.goneError() : new IpcError('ECLOSED', 'the nats:// channel was closed before this send could go'));
    }
    await this.tearDown(!this.gone);
  }

  /** True when a message of `cost` may go now: nothing in flight, or it fits in the peer's window. */
  private fits(cost: number): boolean {
    const inFlight = this.sentCost - this.peerConsumed;
    return inFlight === 0 || inFlight + cost <= (this.peer?.windowBytes ?? 0);
  }

  private publishData(message: Uint8Array, cost: number): void {
    const peer = this.peer as PeerInfo;
    try {
      this.settings.lease.nc.publish(peer.inbox, encodeData(this.sendSequence, message));
    } catch (error) {
      const failure = fromNatsError(error, 'the nats:// send failed', 'EPIPE');
      if (failure.code === 'EPIPE') this.peerGone('the connection to the NATS server is closed', error, false);
      throw this.gone ? this.goneError() : failure;
    }
    this.sendSequence = (this.sendSequence + 1) >>> 0;
    this.sentCost += cost;
  }

  /** Sends what waits, in order, while the peer's window has room. */
  private pump(): void {
    if (!this.peer) return;
    while (this.pending.length > 0 && !this.gone) {
      const head = this.pending[0] as PendingSend;
      if (!this.fits(head.cost)) break;
      this.pending.shift();
      head.stop();
      try {
        this.publishData(head.message, head.cost);
        head.resolve();
      } catch (error) {
        head.reject(error instanceof IpcError ? error : fromNatsError(error, 'the nats:// send failed', 'EPIPE'));
      }
    }
    if (this.pending.length === 0) this.onPendingEmpty?.();
    else this.askForCredit();
  }

  /** Tells the peer once that a send waits, so that it grants what it has taken even below a quarter window. */
  private askForCredit(): void {
    if (this.wantSent || !this.peer || this.gone || this.pending.length === 0) return;
    this.wantSent = true;
    this.control(WANT_PAYLOAD);
  }

  /** Accounts for a message the application took, and grants credit when due. */
  private took(message: Uint8Array): void {
    this.consumed += costOf(message.length);
    this.grant();
  }

  private grant(): void {
    if (!this.peer || this.gone || this.closedHere || this.consumed === this.granted) return;
    if (!this.peerWants && this.consumed - this.granted < this.settings.windowBytes / 4) return;
    this.granted = this.consumed;
    this.peerWants = false;
    this.control(encodeCredit(this.consumed));
  }

  /** Publishes a control payload to the peer; a failure is the connection's, reported by its watcher. */
  private control(payload: Uint8Array): void {
    if (!this.peer) return;
    try {
      this.settings.lease.nc.publish(this.peer.inbox, payload);
    } catch {
      // The connection is closed or lost: the disconnect watcher ends the channel.
    }
  }

  private onInbox(error: Error | null, msg: Msg): void {
    if (error) {
      this.peerGone('the nats:// channel lost its subscription', error, true);
      return;
    }
    this.heardFromPeer = true;
    let decoded;
    try {
      decoded = decodeInbox(msg.data);
    } catch (failure) {
      this.broken(failure as IpcError);
      return;
    }
    switch (decoded.kind) {
      case Kind.DATA: {
        if (this.closedHere || this.gone) return;
        if (decoded.sequence !== this.receiveSequence) {
          this.peerGone(`messages were lost on the way (expected message ${this.receiveSequence}, got ${decoded.sequence}): the channel ends`, undefined, true);
          return;
        }
        if (decoded.message.length > this.settings.maxMessageBytes) {
          this.broken(
            new IpcError('EMSGSIZE', `the peer sent ${decoded.message.length} bytes, over this channel's maximum of ${this.settings.maxMessageBytes}`),
          );
          return;
        }
        this.receiveSequence = (this.receiveSequence + 1) >>> 0;
        // A copy into a plain Uint8Array of its own: the NATS client hands a Buffer view of its
        // read buffer, and Buffer's slice() is no copy.
        this.queue.push(new Uint8Array(decoded.message));
        return;
      }
      case Kind.CREDIT:
        if (decoded.consumed > this.peerConsumed) this.peerConsumed = decoded.consumed;
        this.wantSent = false;
        this.pump();
        return;
      case Kind.WANT:
        this.peerWants = true;
        this.grant();
        return;
      case Kind.CLOSE:
        this.peerGone('the peer closed its end', undefined, false);
        return;
      case Kind.PING:
        if (!this.closedHere && !this.gone && msg.reply) msg.respond();
        return;
    }
  }

  /** The peer broke the protocol: receive throws `error` once (Rule 3), then the channel is closed. */
  private broken(error: IpcError): void {
    if (this.closedHere || this.gone) return;
    this.queue.fail(error);
    this.peerGone(error.message, error, true);
  }

  /** Asks the peer whether it is still there: see docs/nats.md, "How a channel learns its peer is gone". */
  private ping(): void {
    const peer = this.peer;
    if (!peer || this.pingOutstanding || this.closed || !this.settings.lease.connected) return;
    if (this.heardFromPeer) {
      // The peer sent something since the last tick: it is there. Pinging resumes when it falls silent.
      this.heardFromPeer = false;
      return;
    }
    this.pingOutstanding = true;
    this.settings.lease.nc.request(peer.inbox, PING_PAYLOAD, { timeout: this.settings.peerTimeoutMs }).then(
      () => {
        this.pingOutstanding = false;
      },
      (error: unknown) => {
        this.pingOutstanding = false;
        if (!this.settings.lease.connected) return; // the disconnect watcher speaks for the connection
        if ((error instanceof RequestError && error.cause instanceof NoRespondersError) || error instanceof NoRespondersError) {
          this.peerGone('the peer is gone: its inbox has no subscriber any more (its process or its server connection ended)', error, false);
        } else if (error instanceof TimeoutError) {
          this.peerGone(`the peer did not answer a ping for ${this.settings.peerTimeoutMs} ms`, error, true);
        }
      },
    );
  }

  private goneError(): IpcError {
    const reason = this.gone as IpcError;
    return new IpcError('EPIPE', `the peer of this nats:// channel is gone: ${reason.message.replace(/^EPIPE: /, '')}`, { cause: reason.cause });
  }

  /**
   * The peer is gone (Rule 1): what arrived whole is still delivered, then
   * receiving ends; pending and later sends get EPIPE. With `tellPeer`, a
   * CLOSE goes to the peer too (this side decided, the peer may not know).
   */
  private peerGone(reason: string, cause: unknown, tellPeer: boolean): void {
    if (this.gone || this.closedHere) return;
    this.gone = new IpcError('EPIPE', reason, cause === undefined ? {} : { cause });
    for (const entry of this.pending.splice(0)) {
      entry.stop();
      entry.reject(this.goneError());
    }
    this.onPendingEmpty?.();
    this.queue.end();
    void this.tearDown(tellPeer);
  }

  /** Stops pings, tells the peer (when asked), unsubscribes and gives the connection back. Once. */
  private tearDown(tellPeer: boolean): Promise<void> {
    this.tornDown ??= (async () => {
      clearInterval(this.heartbeat);
      this.unwatch();
      if (tellPeer) this.control(CLOSE_PAYLOAD);
      try {
        this.subscription.unsubscribe();
      } catch {
        // Already gone with its connection.
      }
      await this.settings.lease.flush();
      await this.settings.lease.release();
    })();
    return this.tornDown;
  }
}
