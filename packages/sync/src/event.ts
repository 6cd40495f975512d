/**
 * A named event that processes (and native programs) share. See docs/sync.md.
 */
import { IpcError } from '@ipckit/core';
import type { EventHandle } from './backend.js';
import { NamedSyncObject, createRequest, openWaiting, prepare, syncBackend, type CreateOptions, type OpenOptions } from './objects.js';
import { deadlineOf, takeUnit, takeUnitSync, type SyncWaitOptions, type WaitOptions } from './wait.js';

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
 * Threads: this object's asynchronous waits, however many, stand in one line
 * and sleep on one native thread (kept from the first wait until close),
 * blocking waits on one more. A wait that needs a new thread when the
 * process is at its thread limit rejects with ENOMEM (osCode EAGAIN). A state
 * word ipckit never writes (foreign or corrupted bytes) is EINVAL, never a
 * spin. See docs/sync.md, "How many threads".
 *
 * ## Platform-specific behaviour
 * - Windows: a named kernel event (CreateEventW / OpenEventW), so native
 *   programs take part with SetEvent / WaitForSingleObject.
 * - POSIX (Linux): a futex word in a 64-byte region of the same name (layout
 *   in docs/sync.md): a C program sets it with an atomic store and
 *   FUTEX_WAKE, and waits with FUTEX_WAIT.
 */
export class Event extends NamedSyncObject<EventHandle> {
  /** @internal made by createEvent / openEvent / openOrCreateEvent */
  constructor(name: string, path: string, handle: EventHandle) {
    super(name, path, handle, 'event');
  }

  /** @internal the OS handle, for waitAny */
  get osHandle(): EventHandle {
    return this.handle();
  }

  /** True for a manual-reset event; undefined for one opened on Windows, which does not tell (it is the creator's). */
  get manualReset(): boolean | undefined {
    return this.handle().manualReset;
  }

  /** Sets the event: a manual-reset event releases every waiter and stays set; an auto-reset one releases one. */
  set(): void {
    this.handle().set();
  }

  /** Resets the event (no effect on an event that is not set). */
  reset(): void {
    this.handle().reset();
  }

  /**
   * Waits until the event is set (taking it, for an auto-reset event),
   * without blocking the event loop. ETIMEDOUT after `timeoutMs`, ECANCELED
   * when `signal` aborts, ECLOSED when the object is closed meanwhile.
   */
  async wait(options?: WaitOptions): Promise<void> {
    await takeUnit(this.handle(), options);
  }

  /** Waits, blocking the calling thread (worker threads); ETIMEDOUT after `timeoutMs`. */
  waitSync(options?: SyncWaitOptions): void {
    takeUnitSync(this.handle(), `waiting on the event ${this.path}`, options);
  }

  /** True when the event is set (and taken, for an auto-reset event). Never waits. */
  tryWait(): boolean {
    return this.handle().tryWait();
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
 * Each call in progress sleeps on a native thread of its own (up to 4 idle
 * ones are kept per process). Closing one of the events while this waits on
 * it ends it with ECLOSED.
 *
 * ## Platform-specific behaviour
 * - Windows: WaitForMultipleObjects (up to 63 events).
 * - Linux: futex_waitv (Linux 5.16 or later; up to 128 events).
 */
export async function waitAny(events: readonly Event[], options?: WaitOptions): Promise<number> {
  if (!Array.isArray(events) || events.length === 0 || !events.every((e) => e instanceof Event)) {
    throw new IpcError('EINVAL', 'waitAny takes a non-empty array of Event objects');
  }
  const handles = events.map((e) => e.osHandle);
  const deadline = deadlineOf(options);
  return (await syncBackend()).waitAny(handles, deadline);
}
