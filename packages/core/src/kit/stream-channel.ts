import type { Server, Socket } from 'node:net';
import { IpcError, fromNodeError } from '../errors.js';
import { FRAME_HEADER_BYTES, FrameDecoder, checkMessageSize } from './framing.js';
import { AsyncQueue } from './queue.js';
import type { Channel, Listener } from '../transport.js';

/** Messages up to this size are copied into one buffer with their header (one write, reusable caller buffer). */
const COPY_LIMIT = 64 * 1024;

/** Received messages buffered before the socket is paused. */
const RECEIVE_HIGH_WATER = 1024;

/**
 * A framed message {@link Channel} over any connected node:net socket (a Unix
 * domain socket, a Windows named pipe or TCP). Transports built on node:net
 * share it, so framing, backpressure and close semantics are the same.
 */
export class StreamChannel implements Channel {
  readonly maxMessageBytes: number;
  private readonly queue: AsyncQueue<Uint8Array>;
  private readonly decoder: FrameDecoder;
  private localClosed = false;
  private peerGone: IpcError | undefined;
  private closing: Promise<void> | undefined;
  private draining: Promise<void> | undefined;

  constructor(
    /** The underlying connected socket; framed traffic only. */
    readonly socket: Socket,
    maxMessageBytes: number,
  ) {
    this.maxMessageBytes = maxMessageBytes;
    this.decoder = new FrameDecoder(maxMessageBytes);
    this.queue = new AsyncQueue<Uint8Array>(RECEIVE_HIGH_WATER, {
      pause: () => socket.pause(),
      resume: () => socket.resume(),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (message) => this.queue.push(message));
      } catch (error) {
        // The peer broke the framing contract; nothing after this can be trusted.
        this.peerGone = error as IpcError;
        this.queue.fail(error);
        socket.destroy();
      }
    });
    socket.on('end', () => {
      this.peerGone ??= new IpcError('EPIPE', 'the peer closed the channel');
      if (!this.decoder.idle) {
        this.queue.fail(new IpcError('ECONNRESET', 'the peer closed the channel in the middle of a message'));
      } else {
        this.queue.end();
      }
    });
    socket.on('error', (error) => {
      const wrapped = fromNodeError(error);
      this.peerGone ??= wrapped;
      if (!this.localClosed) this.queue.fail(wrapped);
    });
    socket.on('close', () => {
      this.peerGone ??= new IpcError('EPIPE', 'the channel is closed');
      this.queue.end();
    });
  }

  get closed(): boolean {
    return this.localClosed || this.peerGone !== undefined;
  }

  async send(message: Uint8Array): Promise<void> {
    if (this.localClosed) throw new IpcError('ECLOSED', 'send on a channel that was closed');
    if (this.peerGone) throw this.peerGone;
    if (!(message instanceof Uint8Array)) {
      throw new IpcError('EINVAL', 'a message must be a Uint8Array');
    }
    checkMessageSize(message.length, this.maxMessageBytes);
    const socket = this.socket;
    if (message.length <= COPY_LIMIT) {
      const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
      frame.writeUInt32LE(message.length, 0);
      frame.set(message, FRAME_HEADER_BYTES);
      if (socket.write(frame)) return;
      return this.waitForDrain();
    }
    // Large messages are not copied; the promise waits until the bytes left
    // the caller's buffer, so the caller may reuse it once send() settles.
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt32LE(message.length, 0);
    socket.cork();
    socket.write(header);
    const written = new Promise<void>((resolve, reject) => {
      socket.write(message, (error) => (error ? reject(fromNodeError(error)) : resolve()));
    });
    socket.uncork();
    return written;
  }

  /**
   * Settles when the socket's buffer drains. Every send waiting at the same
   * time shares one promise, so a burst of them adds one set of listeners,
   * not one per send.
   */
  private waitForDrain(): Promise<void> {
    if (this.draining) return this.draining;
    const socket = this.socket;
    this.draining = new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.draining = undefined;
        socket.off('drain', onDrain);
        socket.off('finish', onDrain);
        socket.off('close', onClose);
      };
      // After close() ends the socket no 'drain' comes; 'finish' says every buffered byte went to the OS.
      const onDrain = (): void => {
        done();
        resolve();
      };
      const onClose = (): void => {
        done();
        reject(this.peerGone ?? new IpcError('EPIPE', 'the channel closed before the message was sent'));
      };
      socket.on('drain', onDrain);
      socket.on('finish', onDrain);
      socket.on('close', onClose);
    });
    return this.draining;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.localClosed = true;
    const socket = this.socket;
    this.closing = new Promise<void>((resolve) => {
      if (socket.destroyed) {
        resolve();
        return;
      }
      socket.once('close', () => resolve());
      // end() flushes what was accepted before closing; destroy if the peer never reads.
      socket.end();
      const timer = setTimeout(() => socket.destroy(), 2000);
      timer.unref();
    });
    this.queue.end();
    return this.closing;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.queue[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** What a {@link StreamListener} reports about itself. */
export interface StreamListenerInfo {
  name: string;
  path: string;
  maxMessageBytes: number;
  /** Runs once after the server closed (e.g. to remove a socket file). */
  onClosed?: () => void;
  /** Aborting it closes the listener. */
  signal?: AbortSignal | undefined;
}

/**
 * A {@link Listener} over a listening node:net server: each connection
 * becomes a {@link StreamChannel}.
 */
export class StreamListener implements Listener {
  readonly name: string;
  readonly path: string;
  private readonly queue = new AsyncQueue<Channel>(Number.MAX_SAFE_INTEGER);
  private closing: Promise<void> | undefined;

  constructor(
    /** The underlying listening server. */
    readonly server: Server,
    private readonly info: StreamListenerInfo,
  ) {
    this.name = info.name;
    this.path = info.path;
    server.on('connection', (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.queue.push(new StreamChannel(socket, info.maxMessageBytes));
    });
    server.on('error', (error) => this.queue.fail(fromNodeError(error, { path: info.path })));
    // A signal aborted while listen() was still setting up never fires 'abort' again.
    if (info.signal?.aborted) void this.close();
    else info.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => void this.close();

  close(): Promise<void> {
    // server.close() frees the name at once but only reports 'close' after every
    // accepted connection ended; channels outlive their listener, so don't wait.
    this.closing ??= new Promise<void>((resolve) => {
      this.info.signal?.removeEventListener('abort', this.onAbort);
      // Connections nobody took from the listener are closed like the OS's backlog:
      // left open, their sockets would leak and keep the process alive.
      for (const channel of this.queue.drain()) void channel.close();
      this.queue.end();
      this.server.close();
      this.info.onClosed?.();
      setImmediate(resolve);
    });
    return this.closing;
  }

  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    return this.queue[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
