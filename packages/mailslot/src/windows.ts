/**
 * The Windows backend: a real mailslot (`\\.\mailslot\<name>`). The server
 * creates it with CreateMailslotW and reads with ReadFile; writers open it
 * with CreateFileW and write with WriteFile. Every ReadFile and WriteFile runs
 * on a worker thread (koffi's `.async`, libuv's thread pool), so nothing
 * blocks the event loop. See docs/mailslot.md for the details and for what
 * Wine does differently.
 */
import { IpcError } from '@ipckit/core';
import { recode } from '@ipckit/core/kit';
import {
  ERROR_BROKEN_PIPE,
  ERROR_INSUFFICIENT_BUFFER,
  ERROR_INVALID_PARAMETER,
  ERROR_SEM_TIMEOUT,
  FILE_ATTRIBUTE_NORMAL,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_WRITE,
  MAILSLOT_NO_MESSAGE,
  MAILSLOT_WAIT_FOREVER,
  OPEN_EXISTING,
  isBadHandle,
  kernel32,
  win32Error,
  type Handle,
} from '@ipckit/sys/win32';
import type { MailslotBackend, SlotOptions, SlotQueueInfo, SlotReader, SlotSink, SlotWriter } from './backend.js';

/** `\\.\mailslot\` — the local mailslot namespace. */
const MAILSLOT_PREFIX = '\\\\.\\mailslot\\';

/** Mailslot names are file names under MAX_PATH (260 characters, NUL included). */
const MAX_MAILSLOT_PATH_CHARS = 259;

/**
 * ipckit's cap on maxMessageBytes on Windows. A local mailslot created with a
 * maximum of 0 takes messages "of any size"; each queued message takes
 * kernel memory, so ipckit does not offer more than 4 MiB (the POSIX cap).
 * Wine accepts less (its mailslots are socketpairs: about 200 KB).
 */
const WINDOWS_LIMIT = 4 * 1024 * 1024;

/** The read timeout the reader thread waits in ReadFile before checking whether the slot is closing. */
export const DEFAULT_READ_TIMEOUT_MS = 100;

/** What a koffi `.async` call hands its callback. */
type AsyncDone = (error: unknown, result: number) => void;

/** A koffi `.async` call that could not run at all (not a failed call: that is GetLastError's). */
function couldNotRun(syscall: string, path: string, error: unknown): IpcError {
  return new IpcError('EIO', `${syscall} on ${path} could not run: ${String(error)}`, { path, syscall, cause: error });
}

class WindowsReader implements SlotReader {
  private sink: SlotSink | undefined;
  private paused = true;
  private closed = false;
  /** Set while a ReadFile is in flight on a worker thread. */
  private inFlight: Promise<void> | undefined;
  /** One byte more than the maximum: Wine truncates oversized messages silently, and this tells. */
  private readonly buffer: Uint8Array;
  private readonly bytesRead = [0];

  constructor(
    private readonly handle: Handle,
    private readonly path: string,
    private readonly maxMessageBytes: number,
  ) {
    this.buffer = new Uint8Array(maxMessageBytes + 1);
  }

  resume(sink: SlotSink): void {
    if (this.closed) return;
    this.sink = sink;
    this.paused = false;
    if (!this.inFlight) this.readNext();
  }

  pause(): void {
    this.paused = true;
  }

  /**
   * One ReadFile on a worker thread. It waits at most the slot's read timeout,
   * so the loop notices pause() and close() within that time; a message that
   * arrives wakes it at once.
   */
  private readNext(): void {
    const k = kernel32();
    this.inFlight = new Promise<void>((settle) => {
      const done: AsyncDone = (error, ok) => {
        try {
          this.onRead(error, ok);
        } finally {
          this.inFlight = undefined;
          settle();
          if (!this.closed && !this.paused) this.readNext();
        }
      };
      k.ReadFile.async(this.handle, this.buffer, this.buffer.length, this.bytesRead, null, done);
    });
  }

  private onRead(error: unknown, ok: number): void {
    const sink = this.sink;
    if (!sink) return;
    if (error) {
      this.paused = true;
      sink.error(couldNotRun('ReadFile', this.path, error));
      return;
    }
    if (ok) {
      const n = this.bytesRead[0] as number;
      if (n > this.maxMessageBytes) sink.oversized(n);
      else sink.message(this.buffer.slice(0, n));
      return;
    }
    // koffi saves the thread's last error with the call, so GetLastError() here is ReadFile's.
    const failure = win32Error('ReadFile', this.path);
    switch (failure.errno) {
      case ERROR_SEM_TIMEOUT:
        // The read timeout passed with nothing to read; loop.
        return;
      case ERROR_BROKEN_PIPE:
        // Wine only: its mailslots are datagram socketpairs, and reading a zero-length
        // datagram looks like end-of-file to it. The message is consumed; Windows
        // itself returns TRUE with 0 bytes. A server handle has no pipe to break.
        if (!this.closed) sink.message(new Uint8Array(0));
        return;
      case ERROR_INSUFFICIENT_BUFFER:
        // A message over our buffer (only possible if the slot's maximum was not enforced):
        // take it out with a buffer of its size, so the queue does not stick, and report it.
        this.discardOversized(sink);
        return;
      default:
        if (this.closed) return;
        this.paused = true;
        sink.error(failure);
    }
  }

  private discardOversized(sink: SlotSink): void {
    const k = kernel32();
    const next = [0];
    if (!k.GetMailslotInfo(this.handle, null, next, null, null) || next[0] === MAILSLOT_NO_MESSAGE) return;
    const size = next[0] as number;
    // A read timeout of 0 for this one read, so it never waits on the event loop.
    const timeout = [0];
    k.GetMailslotInfo(this.handle, null, null, null, timeout);
    k.SetMailslotInfo(this.handle, 0);
    k.ReadFile(this.handle, new Uint8Array(size), size, [0], null);
    k.SetMailslotInfo(this.handle, timeout[0] as number);
    sink.oversized(size);
  }

  queueInfo(): SlotQueueInfo {
    if (this.closed) return { nextMessageBytes: undefined, messagesWaiting: 0, readTimeoutMs: undefined };
    const max = [0];
    const next = [0];
    const count = [0];
    const timeout = [0];
    if (!kernel32().GetMailslotInfo(this.handle, max, next, count, timeout)) throw win32Error('GetMailslotInfo', this.path);
    const t = timeout[0] as number;
    return {
      // What the slot really enforces (CreateMailslotW's nMaxMessageSize), not what we meant to ask.
      maxMessageBytes: max[0],
      nextMessageBytes: next[0] === MAILSLOT_NO_MESSAGE ? undefined : next[0],
      messagesWaiting: count[0],
      readTimeoutMs: t === MAILSLOT_WAIT_FOREVER ? Infinity : t,
    };
  }

  setReadTimeout(ms: number): void {
    if (this.closed) throw new IpcError('ECLOSED', 'the mailslot was closed', { path: this.path });
    if (!kernel32().SetMailslotInfo(this.handle, ms)) throw win32Error('SetMailslotInfo', this.path);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.paused = true;
    // The worker's ReadFile returns within the read timeout; the handle must outlive it.
    await this.inFlight;
    kernel32().CloseHandle(this.handle);
  }
}

class WindowsWriter implements SlotWriter {
  private closed = false;
  private inFlight: Promise<void> | undefined;
  private readonly written = [0];

  constructor(
    private readonly handle: Handle,
    private readonly path: string,
  ) {}

  /**
   * WriteFile on a worker thread. On Windows a mailslot write completes as soon
   * as the message is queued in the slot (there is no "full": the slot grows
   * until kernel memory runs out); under Wine it waits while the slot's socket
   * buffer is full. Either way the event loop never waits.
   */
  write(message: Uint8Array, _signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new IpcError('ECLOSED', 'the channel was closed', { path: this.path }));
    const k = kernel32();
    const writing = new Promise<void>((resolve, reject) => {
      const done: AsyncDone = (error, ok) => {
        if (error) {
          reject(couldNotRun('WriteFile', this.path, error));
          return;
        }
        if (ok) {
          resolve();
          return;
        }
        const failure = win32Error('WriteFile', this.path);
        if (failure.errno === ERROR_INVALID_PARAMETER && message.length > 0) {
          // What the mailslot file system answers for a message over the slot's maximum.
          reject(recode(failure, 'EMSGSIZE', `the message (${message.length} bytes) is over the maximum of the mailslot ${this.path}`));
        } else if (failure.code === 'ENOENT') {
          reject(recode(failure, 'EPIPE', `the mailslot ${this.path} is gone: ${failure.osCode}`));
        } else {
          reject(failure);
        }
      };
      k.WriteFile.async(this.handle, message, message.length, this.written, null, done);
    });
    this.inFlight = writing.then(
      () => undefined,
      () => undefined,
    );
    return writing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const handle = this.handle;
    // The worker's WriteFile needs the handle until it returns; close it then, without waiting here
    // (under Wine a WriteFile to a full slot waits for the reader; close() must stay bounded).
    if (this.inFlight) void this.inFlight.then(() => kernel32().CloseHandle(handle));
    else kernel32().CloseHandle(handle);
  }
}

/** Windows mailslots through kernel32 (koffi). */
export const windowsBackend: MailslotBackend = {
  pathFor(name: string): string {
    const path = MAILSLOT_PREFIX + name;
    if (path.length > MAX_MAILSLOT_PATH_CHARS) {
      throw new IpcError('EINVAL', `mailslot path ${path} is ${path.length} characters; Windows allows ${MAX_MAILSLOT_PATH_CHARS}`, { path });
    }
    return path;
  },

  maxMessageBytesLimit: () => WINDOWS_LIMIT,

  async createSlot(path: string, options: SlotOptions): Promise<SlotReader> {
    const timeout = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    const handle = kernel32().CreateMailslotW(path, options.maxMessageBytes, timeout, null);
    if (isBadHandle(handle)) {
      const error = win32Error('CreateMailslotW', path);
      if (error.code === 'EADDRINUSE') throw recode(error, 'EADDRINUSE', `the mailslot ${path} is already served by a running process: ${error.osCode}`);
      throw error;
    }
    return new WindowsReader(handle, path, options.maxMessageBytes);
  },

  async openWriter(path: string): Promise<SlotWriter> {
    // FILE_SHARE_WRITE as well as the documented FILE_SHARE_READ: Windows lets writers share a slot
    // either way, but Wine refuses a second writer (ERROR_SHARING_VIOLATION) unless every writer shares writing.
    const handle = kernel32().CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, 0);
    if (isBadHandle(handle)) {
      const error = win32Error('CreateFileW', path);
      if (error.code === 'ENOENT') throw recode(error, 'ENOENT', `nobody serves the mailslot ${path}: ${error.osCode}`);
      throw error;
    }
    return new WindowsWriter(handle, path);
  },
};
