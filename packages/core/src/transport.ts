/**
 * The contract every ipckit transport implements, written so that another
 * transport can be built from it alone. The conformance suite
 * (`@ipckit/core/testing`, `runConformance`) checks each rule below on every
 * transport, on every OS; the building blocks in `@ipckit/core/kit`
 * (AsyncQueue, StreamChannel, StreamListener, the option checks) implement
 * most of them for a new transport.
 *
 * ## Rule 1: a peer that goes away
 * The other end of a channel may close it (close(), dispose, or its process
 * exits having closed it) or crash (killed, or its connection reset). Both
 * are told the same way, on every transport, whether this side was idle or busy:
 * - Receiving: every message that arrived whole is still delivered, in order;
 *   then iteration ends normally (`done`) and {@link Channel.receive} resolves
 *   `undefined`. Neither throws because the peer left: a server's
 *   `for await (const message of channel)` survives a client that crashes.
 *   A message the peer was in the middle of sending when it went away is
 *   dropped whole (never delivered in part).
 * - Sending: once the channel knows the peer is gone, {@link Channel.send}
 *   rejects with EPIPE, whatever the cause (a clean close, a crash, a reset);
 *   the OS's own error, if any, is the IpcError's `cause`. Sends waiting when
 *   it learns so reject with EPIPE too.
 * - {@link Channel.closed} becomes true.
 * How soon the channel learns is the transport's: at once for sockets and
 * pipes (the OS closes them with the process), as soon as the OS reports the
 * peer's exit for shared memory (it watches the peer's process), on the next send for a
 * one-way writer on POSIX (nothing else tells it). A Windows mailslot writer
 * is never told: the slot's queue lives on while a writer holds it, so its
 * sends keep resolving and what they carry is lost with the reader
 * (docs/mailslot.md); the conformance suite checks exactly that there.
 *
 * ## Rule 2: what send() promises, and close() with sends pending
 * - A send resolves if and only if its whole message was handed to the OS (a
 *   socket's kernel buffer, the pipe, the mailslot's queue, the shared ring).
 *   From then on it reaches the peer unless the peer goes away before reading
 *   it. A send that rejects did not deliver its message, not even in part.
 * - close() stops new sends at once (ECLOSED), then gives the sends still
 *   pending up to {@link CloseOptions.timeoutMs} (default
 *   {@link DEFAULT_CLOSE_TIMEOUT_MS}) to be handed over, and settles within
 *   that time (plus the time to release OS handles). Sends still pending then
 *   reject with ECLOSED (EPIPE if the peer went away first). close() itself
 *   never rejects, and calling it again returns the same promise.
 * - Sends let the event loop run: a send the OS takes at once may settle on
 *   a microtask, but not forever, so a loop of `await send()` to a peer that
 *   keeps up never starves timers and I/O (kit: StreamChannel yields every
 *   64 sends).
 * - close() ends this side's receiving at once: a pending receive resolves
 *   `undefined`, iteration ends, and messages received but not yet taken are
 *   discarded.
 *
 * ## Rule 3: the same code for the same situation
 * | situation | what you get |
 * |---|---|
 * | send after this side's close() | ECLOSED |
 * | a pending send that close() gave up on | ECLOSED |
 * | send after the peer closed, crashed or reset | EPIPE |
 * | receive or iterate after this side's close(), or once the peer is gone | `undefined` / `done` (no error) |
 * | a message over `maxMessageBytes` | EMSGSIZE (nothing sent; the channel stays usable) |
 * | a message that is not a Uint8Array, a bad option | EINVAL, before any syscall |
 * | a send or receive whose `timeoutMs` passed | ETIMEDOUT |
 * | a send or receive whose `signal` aborted (also: already aborted) | ECANCELED, `cause` = the signal's reason |
 * | a second receive (or iteration) while one is pending | EINVAL |
 * | send on the receiving side of a one-way transport | ENOTSUP |
 * | the peer broke the wire format (a frame over the maximum) | receive/iteration throws EMSGSIZE once; the channel is closed |
 * | this process is out of file descriptors (handles) on listen or connect | EMFILE (the OS's code as `osCode`) |
 * | the system is out of file descriptors | ENFILE |
 * | no space where the object lives (a full /dev/shm) | ENOSPC |
 * | out of memory, threads or kernel buffers | ENOMEM |
 *
 * ## Rule 4: timeouts and cancellation never lose or split a message
 * - A receive that times out or is aborted takes nothing: the next message is
 *   still there for the next receive (or iteration step).
 * - A send that times out or is aborted before the transport began handing
 *   its message to the OS is withdrawn: nothing of it is sent and the channel
 *   stays usable. One the transport had begun to hand over (a stream or ring
 *   takes a large message piece by piece) cannot be withdrawn without breaking
 *   the framing, so the channel is closed (the peer drops the partial message
 *   and sees the channel end) and the send settles by what the OS did:
 *   ETIMEDOUT/ECANCELED if the message did not go whole, resolved in the rare
 *   case that it had just gone.
 * - A datagram goes whole or not at all, so a one-way writer never closes its
 *   channel for this: a send waiting for room is withdrawn; a write the OS is
 *   already doing and cannot be stopped (a Windows WriteFile on a worker
 *   thread) settles as the OS says.
 *
 * ## Rule 5: limits
 * - A listener holds at most {@link ListenOptions.backlog} channels that were
 *   connected but not yet taken from its iteration (default
 *   {@link DEFAULT_BACKLOG}); a connection beyond that is closed at once, so its
 *   client sees its channel end (sends get EPIPE, receive gives `undefined`).
 *   Where the listener knows who the peer is, the connections of one peer
 *   hold at most half the backlog, so one flood cannot take every slot:
 *   pipe:// on POSIX, one other process (SO_PEERCRED); tcp://, one other
 *   local user (Linux: the owner of the client's socket in /proc/net/tcp)
 *   or one remote host; shm://, the pid the client wrote in its rendezvous
 *   slot, which nothing in the OS vouches for. Not on Windows named pipes.
 * - A flood cannot take a listener forever: a connection that sends no whole
 *   message (and was sent none) within
 *   {@link ListenOptions.firstMessageTimeoutMs} (default
 *   {@link DEFAULT_FIRST_MESSAGE_TIMEOUT_MS}) is closed, taken or not
 *   (pipe://, tcp://, shm://). On a stream listener (pipe://, tcp://) the
 *   partial frames of all its channels hold at most
 *   {@link ListenOptions.maxPartialFrameBytes} (default
 *   {@link DEFAULT_MAX_PARTIAL_FRAME_BYTES}) together; a channel whose partial
 *   frame finds no room is closed (its receive fails with ENOMEM).
 * - connect gives up with ETIMEDOUT after {@link ConnectOptions.timeoutMs}
 *   (default {@link DEFAULT_CONNECT_TIMEOUT_MS}) on every transport.
 */

import type { PublishOptions, Publisher, SubscribeOptions, Subscriber } from './topic.js';

/** How long close() gives pending sends by default, in ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;

/** How long connect() may take by default, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** How many connected but not yet accepted channels a listener holds by default. */
export const DEFAULT_BACKLOG = 128;

/** How many bytes the partial frames of one stream listener's channels may hold together by default: 64 MiB. */
export const DEFAULT_MAX_PARTIAL_FRAME_BYTES = 64 * 1024 * 1024;

/** How long a listener's connection (pipe://, tcp://, shm://) may go without a whole message by default, in ms. */
export const DEFAULT_FIRST_MESSAGE_TIMEOUT_MS = 60_000;

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
  /**
   * True when the transport offers topics (one publisher, many subscribers:
   * `publish`/`subscribe`, see topic.ts); false for `mailslot://`, one reader per slot.
   */
  readonly topics: boolean;
  /** The OS primitive used, in words, e.g. "Unix domain socket (SOCK_STREAM)". */
  readonly primitive: string;
  /** The backend in use on this OS. */
  readonly backend: Backend;
}

/** Options common to every transport's `listen`. */
export interface ListenOptions {
  /** Largest message accepted on channels of this listener. Defaults to the transport's maximum. */
  maxMessageBytes?: number;
  /** Aborting closes the listener. An already aborted signal: ECANCELED, nothing is created. */
  signal?: AbortSignal;
  /**
   * The most channels held connected but not yet taken from the listener's
   * iteration; a connection beyond that is closed at once (Rule 5). An integer
   * from 1 to 65,536; default {@link DEFAULT_BACKLOG}. A one-way listener yields
   * a single channel and checks the option only.
   */
  backlog?: number;
  /**
   * The most bytes that the partial frames (messages still arriving) of all
   * this listener's channels may hold together, so that peers announcing big
   * messages and trickling their bytes cannot make the process hold gigabytes.
   * A channel whose partial frame finds no room is closed: its receive fails
   * with IpcError ENOMEM, its peer sees the channel end (Rule 5). An integer
   * from 1 byte to 2^53 - 1; default {@link DEFAULT_MAX_PARTIAL_FRAME_BYTES}
   * (64 MiB). Raise it when many clients send large messages at once.
   *
   * Platform-specific behaviour: kept by the stream transports (pipe://,
   * tcp://). It does not apply to shm://, which checks it only: a message
   * waits in the ring or its pool (memory the client made), not in a buffer
   * the listener grows per connection.
   */
  maxPartialFrameBytes?: number;
  /**
   * A connection that has sent no whole message, and was sent none, this many
   * ms after it connected is closed (its receive ends with `undefined`), whether
   * it still waits in the backlog or a handler took it: held-idle or half-sent
   * connections cannot keep backlog or serve() slots. An integer from 0 (never)
   * to 2^31 - 1; default {@link DEFAULT_FIRST_MESSAGE_TIMEOUT_MS} (60 s). A
   * protocol whose clients connect and wait to be spoken to should have the
   * server send first, or set 0.
   *
   * Platform-specific behaviour: kept by pipe://, tcp:// and shm://. On
   * shm:// a message counts as whole once the client has published it into
   * the ring (or its pool), read or not; the timer runs from the accept.
   */
  firstMessageTimeoutMs?: number;
}

/** Options common to every transport's `connect`. */
export interface ConnectOptions {
  /** Largest message accepted on this channel. Defaults to the transport's maximum. */
  maxMessageBytes?: number;
  /**
   * Give up (IpcError ETIMEDOUT) when not connected within this many
   * milliseconds; default {@link DEFAULT_CONNECT_TIMEOUT_MS}. With
   * `waitForListener`, the whole wait counts.
   */
  timeoutMs?: number;
  /** Aborting gives up (IpcError ECANCELED, `cause` = the signal's reason). */
  signal?: AbortSignal;
  /**
   * Wait for a listener to appear: ENOENT (nobody serves the name) is retried
   * until `timeoutMs` passes, then ETIMEDOUT (`cause` = the last ENOENT). What
   * WaitNamedPipe and .NET's `NamedPipeClientStream.Connect(timeout)` give.
   * Honoured by `connect(address)` of @ipckit/core; a transport's own
   * `connect(name)` does not wait.
   */
  waitForListener?: boolean;
  /**
   * Reconnect when the peer goes away: `connect(address)` of @ipckit/core then
   * returns a channel that survives its listener's restarts (see
   * {@link ReconnectOptions}). A transport's own `connect(name)` ignores it.
   */
  reconnect?: boolean | ReconnectOptions;
}

/** How a reconnecting channel (`connect(address, { reconnect })`) behaves. */
export interface ReconnectOptions {
  /** The first wait before connecting again, in ms; doubled after each failed attempt. Default 50. */
  minDelayMs?: number;
  /** The longest wait between attempts, in ms. Default 2,000. */
  maxDelayMs?: number;
  /** Called with each new connection after the first (e.g. to send a greeting). Its errors are ignored. */
  onReconnect?: (attempt: number) => void;
}

/** Options of {@link Channel.send}. */
export interface SendOptions {
  /** Give up (ETIMEDOUT) when the message was not handed to the OS within this many ms (Rule 4). */
  timeoutMs?: number;
  /** Aborting gives up (ECANCELED) as a timeout does (Rule 4). */
  signal?: AbortSignal;
}

/** Options of {@link Channel.receive} (and of `messages()`, per message). */
export interface ReceiveOptions {
  /** Give up (ETIMEDOUT) when no message came within this many ms; nothing is taken (Rule 4). */
  timeoutMs?: number;
  /** Aborting gives up (ECANCELED); nothing is taken (Rule 4). */
  signal?: AbortSignal;
}

/** Options of {@link Channel.close}. */
export interface CloseOptions {
  /**
   * How long sends still pending may take to be handed to the OS, in ms, from
   * 0 (give up on them at once) to 2^31 - 1. Default {@link DEFAULT_CLOSE_TIMEOUT_MS}.
   */
  timeoutMs?: number;
}

/**
 * One end of a message channel (see the rules at the top of this module).
 * Messages arrive by iterating (`for await`) or by {@link receive}; one
 * consumer at a time. Closing ends both directions.
 */
export interface Channel extends AsyncIterable<Uint8Array>, AsyncDisposable {
  /**
   * Sends one message. Resolves once the whole message is handed to the OS
   * (Rule 2): awaiting it is the backpressure. Rejects with EMSGSIZE over
   * `maxMessageBytes` (the channel stays usable), ECLOSED after `close()`,
   * EPIPE once the peer is gone (Rule 1), ETIMEDOUT or ECANCELED per `options`
   * (Rule 4). Sends keep their order.
   */
  send(message: Uint8Array, options?: SendOptions): Promise<void>;
  /**
   * The next message, or `undefined` once the channel has ended (closed here,
   * or the peer gone, Rule 1). Rejects with ETIMEDOUT or ECANCELED per
   * `options`, taking nothing (Rule 4); EINVAL while another receive or an
   * iteration is pending.
   */
  receive(options?: ReceiveOptions): Promise<Uint8Array | undefined>;
  /**
   * Closes this end (Rule 2): new sends get ECLOSED, pending ones get up to
   * `options.timeoutMs` to be handed over, receiving ends at once. Never
   * rejects; safe to call more than once.
   */
  close(options?: CloseOptions): Promise<void>;
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
  /**
   * Stops accepting and frees the name. Channels already taken from the
   * iteration stay open; those connected but not yet taken are closed. A
   * pending iteration step ends (`done`).
   */
  close(): Promise<void>;
}

/** A transport: one way of carrying messages between processes. */
export interface Transport {
  /** The address scheme this transport serves, e.g. `pipe`. */
  readonly scheme: string;
  /** What this transport offers on the running OS. */
  readonly capabilities: Capabilities;
  /** Serves `name`. Rejects with EADDRINUSE when it is already served and EINVAL for a bad name or option. */
  listen(name: string, options?: ListenOptions): Promise<Listener>;
  /**
   * Connects to `name`. Rejects with ENOENT when nobody serves it, EINVAL for a
   * bad name or option, EACCES when what serves it is not to be trusted (on
   * POSIX: a socket directory that is not this user's own), ETIMEDOUT and
   * ECANCELED per `options`.
   */
  connect(name: string, options?: ConnectOptions): Promise<Channel>;
  /**
   * Publishes a topic on `name` (topic.ts). Optional: a duplex transport whose
   * capabilities say `topics` and that has no publish of its own gets the
   * kit's, over its channels (`publishOverChannels`).
   */
  publish?(name: string, options?: PublishOptions): Promise<Publisher>;
  /** Subscribes to the topic `name` (topic.ts). Optional, as {@link publish}. */
  subscribe?(name: string, options?: SubscribeOptions): Promise<Subscriber>;
}
