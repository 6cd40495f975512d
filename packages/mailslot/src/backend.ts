import type { IpcError } from '@ipckit/core';

/** What the OS can tell about a slot's queue (the part of MailslotInfo the OS answers). */
export interface SlotQueueInfo {
  /** Size of the next message in the OS queue; undefined when none is waiting. */
  nextMessageBytes: number | undefined;
  /** Messages in the OS queue; undefined when the OS cannot count them. */
  messagesWaiting: number | undefined;
  /** The slot's read timeout (Windows); undefined where there is none. */
  readTimeoutMs: number | undefined;
  /** The slot's maximum message size as the OS keeps it (Windows: GetMailslotInfo); absent where the OS keeps none. */
  maxMessageBytes?: number;
}

/** Where the reading side of a slot delivers what it reads. */
export interface SlotSink {
  /** One whole message. */
  message(message: Uint8Array): void;
  /** A message over the slot's maximum arrived (only from writers that ignore it) and was discarded. */
  oversized(bytes: number): void;
  /** Reading failed; the slot is unusable. */
  error(error: IpcError): void;
}

/** The reading side of a served name: one per listener. */
export interface SlotReader {
  /** Starts (or resumes) reading into `sink`; it is called on the event loop. */
  resume(sink: SlotSink): void;
  /** Stops reading for now (backpressure): messages stay in the OS queue. */
  pause(): void;
  /** Asks the OS about its queue. */
  queueInfo(): SlotQueueInfo;
  /** Changes the read timeout (Windows: SetMailslotInfo). Throws IpcError ENOTSUP where there is none. */
  setReadTimeout(ms: number): void;
  /** Stops reading, frees the name. Messages still queued in the OS are lost, as with a closed mailslot. */
  close(): Promise<void>;
}

/** The writing side: one per connect(). */
export interface SlotWriter {
  /**
   * Writes one message; resolves once the OS accepted it (waiting while the
   * slot is full). Aborting `signal` stops a wait for room and rejects with
   * ECANCELED, nothing sent (POSIX); a write the OS is already doing
   * (Windows' WriteFile on a worker thread) settles as the OS says.
   */
  write(message: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** Closes the handle; a write in progress rejects (POSIX) or closes the handle when it returns (Windows). Does not wait for it. */
  close(): Promise<void>;
}

/** Options a backend gets, already validated. */
export interface SlotOptions {
  maxMessageBytes: number;
  /** Windows only: the slot's read timeout (the reader thread's wait slice). */
  readTimeoutMs?: number;
}

/** What differs between Windows mailslots and Unix datagram sockets; one implementation per OS. */
export interface MailslotBackend {
  /** The full OS path for a valid name; throws IpcError EINVAL when it would be over the OS limit. */
  pathFor(name: string): string;
  /** The largest maxMessageBytes this OS (and its current settings) allows. */
  maxMessageBytesLimit(): number;
  /** Creates the slot. Rejects with EADDRINUSE when a live server holds the name (a stale POSIX leftover is replaced). */
  createSlot(path: string, options: SlotOptions): Promise<SlotReader>;
  /**
   * Opens a writer. Rejects with ENOENT when nobody serves the name, EACCES
   * when the place the name lives in is not to be trusted (POSIX: a socket
   * directory that is not this user's own, closed to others).
   */
  openWriter(path: string, options: SlotOptions): Promise<SlotWriter>;
}
