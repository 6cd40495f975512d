import type { Server, Socket } from 'node:net';
import { IpcError, fromNodeError } from '../errors.js';
import {
  DEFAULT_BACKLOG,
  DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_MAX_PARTIAL_FRAME_BYTES,
  type Channel,
  type CloseOptions,
  type Listener,
  type ReceiveOptions,
  type SendOptions,
} from '../transport.js';
import { checkWait, rejection, watchWait } from './cancel.js';
import { FRAME_HEADER_BYTES, FrameBudget, FrameDecoder, checkMessageSize } from './framing.js';
import { AsyncQueue } from './queue.js';
import { setLongTimeout, type LongTimeout } from './timers.js';
import { closeTimeoutOption } from './validate.js';

/** Messages up to this size are copied into one buffer with their header (one write, reusable caller buffer). */
const COPY_LIMIT = 64 * 1024;

/** Received messages buffered before the socket is paused. */
const RECEIVE_HIGH_WATER = 1024;

/**
 * Sends resolved in one turn of the event loop before the next resolves on
 * setImmediate. The OS often takes a write at once, and Node then reports it
 * on process.nextTick: a loop of `await send()` would run on microtasks
 * forever and starve timers and I/O. Every so many sends it yields instead.
 */
const SENDS_PER_TURN = 64;

/** A send waiting to be handed to the socket, or being handed over. */
interface PendingSend {
  /** Header and payload in one buffer (small messages), or the header alone. */
  readonly head: Buffer;
  /** The caller's payload, written after `head` without a copy (large messages). */
  readonly body: Uint8Array | undefined;
  readonly resolve: () => void;
  readonly reject: (error: IpcError) => void;
  /** Stops the send's timeout and signal watch. */
  stop: () => void;
  /** True once given to the socket: from then on only the OS can say whether it went. */
  begun: boolean;
  settled: boolean;
  /** Set when its deadline passed while it was being handed over: the error it rejects with if it did not go. */
  expired: IpcError | undefined;
  /** Whether the OS had taken it whole when this side destroyed the socket (undefined: not destroyed by us while in flight). */
  wentWhole: boolean | undefined;
}

/** Limits a {@link StreamListener} puts on the channels it accepts (Rule 5). */
export interface StreamChannelLimits {
  /** Shared by every channel of the listener: the bytes their partial frames may hold together. */
  budget?: FrameBudget | undefined;
  /**
   * Close the connection when no whole message came from the peer, and none
   * was sent to it, within this many ms of connecting; 0 or undefined: never.
   */
  firstMessageTimeoutMs?: number | undefined;
}

/** The part of a node:net socket's native handle read here: libuv's count of bytes handed to write() but not yet taken by the OS. */
interface HandleWithQueue {
  _handle?: { writeQueueSize?: unknown } | null;
}

/**
 * A framed message {@link Channel} over any connected node:net socket (a Unix
 * domain socket, a Windows named pipe or TCP). Transports built on node:net
 * share it, so framing, backpressure and the rules of the Channel contract
 * (peer gone, close with sends pending, timeouts) are the same.
 *
 * Sends wait in an outbox of their own and are handed to the socket one at
 * a time; each resolves in its write callback, which Node calls once the
 * bytes went to the OS (Rule 2), and the next is handed over then. A send
 * still in the outbox can be withdrawn when its deadline passes; the one
 * being written cannot (Rule 4).
 */
export class StreamChannel implements Channel {
  readonly maxMessageBytes: number;
  private readonly incoming: AsyncQueue<Uint8Array>;
  private readonly decoder: FrameDecoder;
  private readonly outbox: PendingSend[] = [];
  /** Sends given to the socket and not yet settled by their write callback. */
  private readonly handedOver = new Set<PendingSend>();
  private localClosed = false;
  /** Why the peer is gone (the OS error, or a clean end), once it is. */
  private peerGone: IpcError | undefined;
  private ending = false;
  private closing: Promise<void> | undefined;
  /** Sends resolved since the event loop last got to its check phase (see SENDS_PER_TURN). */
  private resolvedThisTurn = 0;
  /** The first-message deadline (StreamChannelLimits.firstMessageTimeoutMs) while it runs. */
  private firstMessageTimer: LongTimeout | undefined;

  constructor(
    /** The underlying connected socket; framed traffic only. */
    readonly socket: Socket,
    maxMessageBytes: number,
    limits: StreamChannelLimits = {},
  ) {
    this.maxMessageBytes = maxMessageBytes;
    this.decoder = new FrameDecoder(maxMessageBytes, limits.budget);
    if (limits.firstMessageTimeoutMs) {
      const ms = limits.firstMessageTimeoutMs;
      this.firstMessageTimer = setLongTimeout(() => {
        this.firstMessageTimer = undefined;
        // Rule 5: a connection that never sent a whole message holds a slot (and maybe
        // budget) for nothing. Its receive ends, as when a peer leaves; no error to report.
        this.peerLeft(new IpcError('ETIMEDOUT', `no whole message came from the peer within ${ms} ms of connecting`));
        this.incoming.end();
        socket.destroy();
      }, ms).unref();
    }
    this.incoming = new AsyncQueue<Uint8Array>(RECEIVE_HIGH_WATER, {
      pause: () => socket.pause(),
      resume: () => socket.resume(),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.incoming.done) return; // closed here: what still arrives is read and dropped
      try {
        this.decoder.push(chunk, (message) => {
          this.stopFirstMessageTimer();
          this.incoming.push(message);
        });
      } catch (error) {
        // The peer broke the framing contract (or its partial frame found no budget); nothing after this can be trusted.
        this.decoder.release();
        this.incoming.fail(error);
        this.peerLeft(new IpcError('EPIPE', 'the channel was closed: the peer broke the framing', { cause: error }));
        socket.destroy();
      }
    });
    // The peer ended its side: it closed, or its process exited. A partial frame is dropped.
    socket.on('end', () => this.peerLeft(new IpcError('EPIPE', 'the peer closed the channel')));
    socket.on('error', (error) => {
      if (!this.localClosed) this.peerLeft(fromNodeError(error));
    });
    socket.on('close', () => {
      this.stopFirstMessageTimer();
      this.decoder.release();
      if (!this.localClosed) this.peerLeft(new IpcError('EPIPE', 'the channel is closed'));
      this.incoming.end();
      // What is still in the outbox never reached the socket.
      for (const op of this.outbox.splice(0)) this.settle(op, this.sendFailure());
    });
  }

  get closed(): boolean {
    return this.localClosed || this.peerGone !== undefined;
  }

  /** Bytes this channel holds for a partial frame from its listener's budget (0 for a channel without one). */
  get partialFrameBytes(): number {
    return this.decoder.buffered;
  }

  private stopFirstMessageTimer(): void {
    this.firstMessageTimer?.clear();
    this.firstMessageTimer = undefined;
  }

  send(message: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.localClosed) return Promise.reject(new IpcError('ECLOSED', 'send on a channel that was closed'));
    if (this.peerGone) return Promise.reject(this.sendFailure());
    if (!(message instanceof Uint8Array)) return Promise.reject(new IpcError('EINVAL', 'a message must be a Uint8Array'));
    let wait;
    try {
      checkMessageSize(message.length, this.maxMessageBytes);
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    return new Promise<void>((resolve, reject) => {
      let head: Buffer;
      let body: Uint8Array | undefined;
      if (message.length <= COPY_LIMIT) {
        head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
        head.set(message, FRAME_HEADER_BYTES);
      } else {
        // Large messages are not copied; the promise waits until the bytes left the
        // caller's buffer, so the caller may reuse it once send() settles.
        head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
        body = message;
      }
      head.writeUInt32LE(message.length, 0);
      // This side talks first (a server that greets): the connection is in use, not idle.
      this.stopFirstMessageTimer();
      const op: PendingSend = { head, body, resolve, reject, stop: () => undefined, begun: false, settled: false, expired: undefined, wentWhole: undefined };
      this.outbox.push(op);
      op.stop = watchWait(wait, 'the send', (error) => this.expire(op, error));
      this.pump();
    });
  }

  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined> {
    return this.incoming.take(options).then((result) => (result.done ? undefined : result.value));
  }

  /**
   * Hands the next send from the outbox to the socket once the one before
   * it settled; ends the socket once closing and empty. One write in flight
   * at a time: Node would otherwise batch several frames into one OS write
   * (writev), and if that write were cut short (close()'s timeout, a send's
   * deadline) every frame in it would be reported failed, even those the OS
   * had taken whole. One by one, each callback tells the truth (Rule 2).
   */
  private pump(): void {
    const socket = this.socket;
    if (this.handedOver.size === 0 && this.outbox.length > 0 && !socket.destroyed && !this.ending) {
      this.handOver(this.outbox.shift() as PendingSend);
    }
    if (this.localClosed && this.outbox.length === 0 && this.handedOver.size === 0 && !this.ending && !socket.destroyed) {
      // Everything went to the OS: end the stream (the peer sees a clean end after the last message).
      this.ending = true;
      socket.end();
    }
  }

  private handOver(op: PendingSend): void {
    op.begun = true;
    this.handedOver.add(op);
    const done = (error?: Error | null): void => {
      this.handedOver.delete(op);
      // Node calls the callback of a write still in flight with no error once the socket is
      // destroyed, whether or not the OS took the bytes: then only what we saw before
      // destroying it counts, and a socket the OS closed under us took nothing more.
      const went = this.socket.destroyed ? op.wentWhole === true : !error;
      if (!went) {
        this.settle(op, op.expired ?? this.sendFailure(error ?? undefined));
        this.pump();
        return;
      }
      if (this.resolvedThisTurn++ === 0) setImmediate(() => (this.resolvedThisTurn = 0));
      if (this.resolvedThisTurn <= SENDS_PER_TURN) {
        this.settle(op);
        this.pump();
        return;
      }
      setImmediate(() => {
        this.settle(op);
        this.pump();
      });
    };
    const socket = this.socket;
    if (op.body === undefined) {
      socket.write(op.head, done);
      return;
    }
    socket.cork();
    socket.write(op.head);
    socket.write(op.body, done);
    socket.uncork();
  }

  /** A send's deadline passed or its signal aborted (Rule 4). */
  private expire(op: PendingSend, error: IpcError): void {
    if (op.settled) return;
    if (!op.begun) {
      // Still ours: withdrawn whole, the channel stays usable.
      this.outbox.splice(this.outbox.indexOf(op), 1);
      this.settle(op, error);
      return;
    }
    // Being handed over: withdrawing it would tear the framing. The channel is
    // closed and the write callback says whether the message went whole.
    op.expired = error;
    this.abandon();
  }

  /** Closes the channel at once: what waits in the outbox is rejected, the socket destroyed. */
  private abandon(): void {
    this.localClosed = true;
    this.incoming.drain();
    this.incoming.end();
    this.destroyNow();
  }

  /**
   * Destroys the socket, first noting whether the write in flight went whole
   * (libuv has no bytes of it left): its callback cannot tell after this.
   * What waits in the outbox is rejected.
   */
  private destroyNow(): void {
    for (const op of this.outbox.splice(0)) this.settle(op, this.sendFailure());
    const left = (this.socket as unknown as HandleWithQueue)._handle?.writeQueueSize;
    for (const op of this.handedOver) op.wentWhole = left === 0;
    this.socket.destroy();
  }

  private settle(op: PendingSend, error?: IpcError): void {
    if (op.settled) return;
    op.settled = true;
    op.stop();
    if (error) op.reject(error);
    else op.resolve();
  }

  /** Rule 1: the peer is gone. Receiving ends after what arrived whole; pending sends get EPIPE. */
  private peerLeft(cause: IpcError): void {
    if (this.peerGone) return;
    this.peerGone = cause;
    this.incoming.end();
    for (const op of this.outbox.splice(0)) this.settle(op, this.sendFailure());
  }

  /** The error of a send that did not go: EPIPE when the peer left first, else ECLOSED after close(). */
  private sendFailure(cause?: Error): IpcError {
    if (this.peerGone) return new IpcError('EPIPE', 'the peer is gone; the message was not sent', { cause: this.peerGone });
    if (this.localClosed) return new IpcError('ECLOSED', 'the channel was closed before the message was sent');
    return new IpcError('EPIPE', 'the connection broke; the message was not sent', { cause: cause === undefined ? undefined : fromNodeError(cause) });
  }

  close(options?: CloseOptions): Promise<void> {
    if (this.closing) return this.closing;
    let timeoutMs: number;
    try {
      timeoutMs = closeTimeoutOption(options);
    } catch (error) {
      return rejection(error);
    }
    this.localClosed = true;
    this.stopFirstMessageTimer();
    // Receiving ends at once; what was received and not taken is dropped.
    this.incoming.drain();
    this.incoming.end();
    const socket = this.socket;
    this.closing = new Promise<void>((resolve) => {
      if (socket.destroyed) {
        for (const op of this.outbox.splice(0)) this.settle(op, this.sendFailure());
        resolve();
        return;
      }
      // Rule 2's bound: what is still pending is given up.
      const timer = setLongTimeout(() => this.destroyNow(), timeoutMs);
      socket.once('close', () => {
        timer.clear();
        resolve();
      });
      // Keep reading (and dropping) until the peer ends too: a TCP socket closed with
      // unread data would reset the connection and lose what we sent.
      socket.resume();
      this.pump();
    });
    return this.closing;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.incoming[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** What a {@link StreamListener} reports about itself, and the limits it keeps (Rule 5). */
export interface StreamListenerInfo {
  name: string;
  path: string;
  maxMessageBytes: number;
  /** The most connected channels not yet taken from the iteration (Rule 5); default DEFAULT_BACKLOG. */
  backlog?: number | undefined;
  /** The bytes all its channels may hold for partial frames together; default DEFAULT_MAX_PARTIAL_FRAME_BYTES. */
  maxPartialFrameBytes?: number | undefined;
  /** A connection with no whole message (and nothing sent to it) this long after connecting is closed; 0: never. Default DEFAULT_FIRST_MESSAGE_TIMEOUT_MS. */
  firstMessageTimeoutMs?: number | undefined;
  /**
   * Who is at the other end of an accepted socket (a Unix socket: the peer's
   * pid; tcp: another local user's uid, or a remote host): connections of one
   * peer may hold at most PEER_BACKLOG_SHARE of the backlog. Undefined (or a function returning undefined): no per-peer cap.
   */
  peerOf?: ((socket: Socket) => string | undefined) | undefined;
  /** Runs once after the server closed (e.g. to remove a socket file). */
  onClosed?: () => void;
  /** Aborting it closes the listener. */
  signal?: AbortSignal | undefined;
}

/** The share of the backlog that connections of one peer (as `peerOf` names it) may hold, when the listener knows its peers. */
export const PEER_BACKLOG_SHARE = 0.5;

/**
 * A {@link Listener} over a listening node:net server: each connection
 * becomes a {@link StreamChannel}. At most `backlog` of them wait to be taken
 * from the iteration; Node accepts every connection at once, so one beyond
 * that is closed at once (its client's channel ends: Rule 5). The flood
 * limits of Rule 5 are kept here too: the partial frames of all its channels
 * share one {@link FrameBudget} (a channel that cannot get budget is closed),
 * a connection that sends no whole message within `firstMessageTimeoutMs`
 * is closed (taken from the iteration or not), and where `peerOf` names the
 * peer, one peer's connections hold at most PEER_BACKLOG_SHARE of the backlog.
 */
export class StreamListener implements Listener {
  readonly name: string;
  readonly path: string;
  private readonly queue = new AsyncQueue<StreamChannel>(Number.MAX_SAFE_INTEGER);
  private readonly backlog: number;
  private readonly budget: FrameBudget;
  /** Connections waiting in the queue, by peer (only when `peerOf` names peers). */
  private readonly pendingByPeer = new Map<string, number>();
  private readonly peerCap: number;
  private closing: Promise<void> | undefined;

  constructor(
    /** The underlying listening server. */
    readonly server: Server,
    private readonly info: StreamListenerInfo,
  ) {
    this.name = info.name;
    this.path = info.path;
    this.backlog = info.backlog ?? DEFAULT_BACKLOG;
    this.peerCap = Math.max(1, Math.floor(this.backlog * PEER_BACKLOG_SHARE));
    this.budget = new FrameBudget(info.maxPartialFrameBytes ?? DEFAULT_MAX_PARTIAL_FRAME_BYTES);
    const limits: StreamChannelLimits = {
      budget: this.budget,
      firstMessageTimeoutMs: info.firstMessageTimeoutMs ?? DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
    };
    server.on('connection', (socket: Socket) => {
      if (this.closing || this.queue.size >= this.backlog) {
        socket.destroy();
        return;
      }
      const peer = info.peerOf?.(socket);
      if (peer !== undefined && (this.pendingByPeer.get(peer) ?? 0) >= this.peerCap) {
        socket.destroy();
        return;
      }
      const channel = new StreamChannel(socket, info.maxMessageBytes, limits);
      if (peer !== undefined) {
        this.pendingByPeer.set(peer, (this.pendingByPeer.get(peer) ?? 0) + 1);
        this.peerPending.set(channel, peer);
      }
      // A connection that closes before anyone took it (its peer left, the first-message
      // deadline passed) gives its slot back at once.
      socket.once('close', () => {
        if (this.queue.remove(channel)) this.taken(channel);
      });
      this.queue.push(channel);
    });
    server.on('error', (error) => this.queue.fail(fromNodeError(error, { path: info.path })));
    // A signal aborted while listen() was still setting up never fires 'abort' again.
    if (info.signal?.aborted) void this.close();
    else info.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Which peer each waiting channel belongs to (only when `peerOf` names peers). */
  private readonly peerPending = new Map<StreamChannel, string>();

  /** Bytes the partial frames of this listener's channels hold now, together (for tests and monitoring). */
  get partialFrameBytes(): number {
    return this.budget.used;
  }

  /** Connections waiting to be taken from the iteration. */
  get pending(): number {
    return this.queue.size;
  }

  /** A channel left the queue (taken, or closed while waiting): its peer's count goes down. */
  private taken(channel: StreamChannel): void {
    const peer = this.peerPending.get(channel);
    if (peer === undefined) return;
    this.peerPending.delete(channel);
    const left = (this.pendingByPeer.get(peer) ?? 1) - 1;
    if (left > 0) this.pendingByPeer.set(peer, left);
    else this.pendingByPeer.delete(peer);
  }

  private readonly onAbort = (): void => void this.close();

  close(): Promise<void> {
    // server.close() frees the name at once but only reports 'close' after every
    // accepted connection ended; channels outlive their listener, so don't wait.
    this.closing ??= new Promise<void>((resolve) => {
      this.info.signal?.removeEventListener('abort', this.onAbort);
      // Connections nobody took from the listener are closed like the OS's backlog:
      // left open, their sockets would leak and keep the process alive.
      for (const channel of this.queue.drain()) {
        this.taken(channel);
        void channel.close({ timeoutMs: 0 });
      }
      this.queue.end();
      this.server.close();
      this.info.onClosed?.();
      setImmediate(resolve);
    });
    return this.closing;
  }

  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    const inner = this.queue[Symbol.asyncIterator]();
    return {
      next: async () => {
        const result = await inner.next();
        if (!result.done) this.taken(result.value);
        return result;
      },
      return: async () => (inner.return ? inner.return() : { done: true, value: undefined }),
    };
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
