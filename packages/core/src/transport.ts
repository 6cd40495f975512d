/** Which family of OS APIs a transport's backend uses. */
export type Backend = 'win32' | 'posix';

/**
 * What a transport honestly offers. Filled by each transport for the backend
 * it runs on, so a program (or the benchmark app) can choose by facts.
 */
export interface Capabilities {
  /** The address scheme, e.g. `pipe`. */
  readonly scheme: string;
  /**
   * True when both sides send. False for one-way transports: there `connect()`
   * gives a send-only channel, and the listener yields one receive-only channel
   * that carries the messages of every writer.
   */
  readonly duplex: boolean;
  /** True when the OS primitive itself keeps message boundaries (no framing needed). */
  readonly messageBoundaries: boolean;
  /** The largest message a channel accepts by default, in bytes. */
  readonly maxMessageBytes: number;
  /** True when many writers can send to one listening name at once. */
  readonly manyWriters: boolean;
  /** True when the peers may be on different machines. */
  readonly crossesMachines: boolean;
  /** The OS primitive used, in words, e.g. "Unix domain socket (SOCK_STREAM)". */
  readonly primitive: string;
  /** The backend in use on this OS. */
  readonly backend: Backend;
}

/** Options common to every transport's `listen`. */
export interface ListenOptions {
  /** Largest message accepted on channels of this listener. Defaults to the transport's maximum. */
  maxMessageBytes?: number;
  /** Aborting closes the listener. */
  signal?: AbortSignal;
}

/** Options common to every transport's `connect`. */
export interface ConnectOptions {
  /** Largest message accepted on this channel. Defaults to the transport's maximum. */
  maxMessageBytes?: number;
  /** Give up (IpcError ETIMEDOUT) when not connected within this many milliseconds. */
  timeoutMs?: number;
}

/**
 * One end of a message channel. Messages arrive by iterating (`for await`);
 * a channel is iterated by one consumer. Closing ends both directions.
 */
export interface Channel extends AsyncIterable<Uint8Array>, AsyncDisposable {
  /**
   * Sends one message. The promise settles when the transport has accepted the
   * message (buffered within its limit or handed to the OS): awaiting it is the
   * backpressure. Rejects with IpcError EMSGSIZE for a message over
   * `maxMessageBytes` (the channel stays usable), ECLOSED after `close()`, and
   * EPIPE or ECONNRESET once the peer is gone.
   */
  send(message: Uint8Array): Promise<void>;
  /** Closes this end. Safe to call more than once. Pending iteration ends. */
  close(): Promise<void>;
  /** True once `close()` was called or the peer went away. */
  readonly closed: boolean;
  /** The largest message this channel sends or accepts. */
  readonly maxMessageBytes: number;
}

/** A served name that yields a Channel for each peer that connects. */
export interface Listener extends AsyncIterable<Channel>, AsyncDisposable {
  /** The name as given (for tcp, `host:port` with the actual port). */
  readonly name: string;
  /** The full OS path or object name, e.g. `/run/user/1000/ipckit/x` or `\\.\pipe\x`. */
  readonly path: string;
  /** Stops accepting and frees the name. Channels already accepted stay open. */
  close(): Promise<void>;
}

/** A transport: one way of carrying messages between processes. */
export interface Transport {
  /** The address scheme this transport serves, e.g. `pipe`. */
  readonly scheme: string;
  /** What this transport offers on the running OS. */
  readonly capabilities: Capabilities;
  /** Serves `name`. Rejects with EADDRINUSE when it is already served and EINVAL for a bad name. */
  listen(name: string, options?: ListenOptions): Promise<Listener>;
  /** Connects to `name`. Rejects with ENOENT when nobody serves it and EINVAL for a bad name. */
  connect(name: string, options?: ConnectOptions): Promise<Channel>;
}
