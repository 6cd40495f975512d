/**
 * A named event that processes (and native programs) share. See docs/sync.md.
 */
import { IpcError } from '@ipckit/core';
import type { EventHandle } from './backend.js';
import { closedError, createRequest, openWaiting, prepare, syncBackend, type CreateOptions, type OpenOptions } from './objects.js';
import { checkTimeout, deadlineOf, remaining, timedOut, type SyncWaitOptions, type WaitOptions } from './wait.js';

/** Options of createEvent / openOrCreateEvent. */
export interface EventOptions extends CreateOptions {
  /**
   * Manual reset: once set, the event stays set (releasing every waiter)
   * until {@link Event.reset}. Default false: auto reset, where each set
   * releases one waiter and the event resets itself as that waiter takes it
   * (a set with nobody waiting is kept for the next one).
   */
  manualReset?: boolean;
  /** Start set (default false). */
  initialState?: boolean;
}

/**
 * A named event shared by processes: one side sets it, the others wait.
 *
 * ## Platform-specific behaviour
 * - Windows: a named kernel event (CreateEventW / OpenEventW), so native
 *   programs take part with SetEvent / WaitForSingleObject.
 * - POSIX (Linux): a futex word in a 64-byte region of the same name (layout
 *   in docs/sync.md): a C program sets it with an atomic store and
 *   FUTEX_WAKE, and waits with FUTEX_WAIT.
 */
export class Event implements Disposable {
  #handle: EventHandle | undefined;

  /** @internal made by createEvent / openEvent / openOrCreateEvent */
  constructor(
    /** The name as given. */
    readonly name: string,
    /** The OS name. */
    readonly path: string,
    handle: EventHandle,
  ) {
    this.#handle = handle;
  }

  #open(): EventHandle {
    if (this.#handle === undefined) throw closedError('event', this.path);
    return this.#handle;
  }

  /** @internal the OS handle, for waitAny */
  get handle(): EventHandle {
    return this.#open();
  }

  /** True when the name already existed. */
  get existed(): boolean {
    return this.#open().existed;
  }

  /** True for a manual-reset event; undefined for one opened on Windows, which does not tell (it is the creator's). */
  get manualReset(): boolean | undefined {
    return this.#open().manualReset;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#handle === undefined;
  }

  /** Sets the event: a manual-reset event releases every waiter and stays set; an auto-reset one releases one. */
  set(): void {
    this.#open().set();
  }

  /** Resets the event (no effect on an event that is not set). */
  reset(): void {
    this.#open().reset();
  }

  /**
   * Waits until the event is set (taking it, for an auto-reset event),
   * without blocking the event loop. ETIMEDOUT after `timeoutMs`, ECANCELED
   * when `signal` aborts, ECLOSED when the object is closed meanwhile.
   */
  async wait(options?: WaitOptions): Promise<void> {
    const handle = this.#open();
    const deadline = deadlineOf(options);
    if (handle.tryWait()) return;
    if (remaining(deadline) === 0) throw timedOut(`waiting on the event ${this.path}`, deadline);
    await handle.wait(deadline);
  }

  /** Waits, blocking the calling thread (worker threads); ETIMEDOUT after `timeoutMs`. */
  waitSync(options?: SyncWaitOptions): void {
    const handle = this.#open();
    const timeoutMs = checkTimeout(options?.timeoutMs);
    if (!handle.tryWait() && !handle.waitSync(timeoutMs)) {
      throw new IpcError('ETIMEDOUT', `waiting on the event ${this.path}: not within ${timeoutMs} ms`);
    }
  }

  /** True when the event is set (and taken, for an auto-reset event). Never waits. */
  tryWait(): boolean {
    return this.#open().tryWait();
  }

  /** Closes the object; a wait in progress ends with ECLOSED. Idempotent. */
  close(): void {
    const handle = this.#handle;
    this.#handle = undefined;
    handle?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Creates the event `name`; EADDRINUSE when it exists. */
export async function createEvent(name: string, options?: EventOptions): Promise<Event> {
  const { backend, osName } = await prepare(name);
  return new Event(
    name,
    osName,
    await backend.openEvent(createRequest(osName, 'create', options), options?.manualReset === true, options?.initialState === true),
  );
}

/** Opens the existing event `name` (its reset mode is the creator's); ENOENT when missing (or waits for it). */
export async function openEvent(name: string, options?: OpenOptions): Promise<Event> {
  const { backend, osName } = await prepare(name);
  return new Event(name, osName, await openWaiting(osName, options, (request) => backend.openEvent(request, false, false)));
}

/** Opens the event `name`, or creates it; `existed` says which (an existing event keeps its reset mode). */
export async function openOrCreateEvent(name: string, options?: EventOptions): Promise<Event> {
  const { backend, osName } = await prepare(name);
  return new Event(
    name,
    osName,
    await backend.openEvent(createRequest(osName, 'open-or-create', options), options?.manualReset === true, options?.initialState === true),
  );
}

/**
 * Waits until any of `events` is set and returns the index of the one
 * taken: the first set one in the array order (an auto-reset event is reset
 * by it; the others are left alone). Options as for {@link Event.wait}.
 *
 * Only events: a mutex belongs to the thread that acquires it on Windows,
 * and POSIX has no call that waits on a sem_t and a futex together, so
 * "any of these" over mixed objects could not take exactly one.
 *
 * ## Platform-specific behaviour
 * - Windows: WaitForMultipleObjects (up to 63 events).
 * - Linux: futex_waitv (Linux 5.16 or later; up to 128 events).
 */
export async function waitAny(events: readonly Event[], options?: WaitOptions): Promise<number> {
  if (!Array.isArray(events) || events.length === 0 || !events.every((e) => e instanceof Event)) {
    throw new IpcError('EINVAL', 'waitAny takes a non-empty array of Event objects');
  }
  const handles = events.map((e) => e.handle);
  const deadline = deadlineOf(options);
  return (await syncBackend()).waitAny(handles, deadline);
}
