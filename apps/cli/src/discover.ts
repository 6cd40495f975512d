/**
 * `discover()`: the ipckit services on this machine, as they appear, change
 * and go. It looks at the objects ipckit already names (the socket files in
 * its runtime directory, the objects of /dev/shm with ownership records)
 * through the one scan that `ipckit ls` and `ipckit clean` use (objects.ts),
 * so an object is live or gone by the same ownership-and-liveness rule
 * everywhere: there is no second check here.
 */
import { IpcError } from '@ipckit/core';
import { MAX_TIMER_MS, setLongTimeout, validateInteger, validateSignal, type LongTimeout } from '@ipckit/core/kit';
import { matches, publicView, scan, type IpcObject, type ObjectKind, type PublicObject } from './objects.js';

/** The kinds of service discover() reports (pair regions, ownership records and topics' data regions are parts, not services). */
export type ServiceKind = Exclude<ObjectKind, 'pair' | 'record' | 'topic-data'>;

/**
 * One service: a pipe:// or mailslot:// listener (its socket file), an
 * shm:// listener or topic (its control region), a shared region, or a sync
 * object (mutex, semaphore, event). The same object `ipckit ls --json`
 * prints. Its `state` is `live` (its process runs), `kept` (a region kept on
 * purpose, its creator gone) or `unknown` (this OS gives no evidence); a
 * `gone` event's service may say `stale` (a crashed process's leftover).
 */
export interface Service extends PublicObject {
  readonly kind: ServiceKind;
}

/** What happened to a service since the previous look. */
export interface DiscoveryEvent {
  /**
   * `appeared`: first seen (every service there at the start appears first);
   * `changed`: its state, pid, size, note or topic headers changed (with
   * `traffic`, also its message count); `gone`: removed, or judged stale by
   * the liveness rule (its process has crashed), or another process now
   * serves the name (then `appeared` follows).
   */
  readonly type: 'appeared' | 'changed' | 'gone';
  readonly service: Service;
}

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** Report the services there now (each as `appeared`), then end. Default false: watch until stopped. */
  readonly once?: boolean;
  /** Milliseconds between the end of one look and the start of the next (10 to 2^31 - 1). Default {@link DEFAULT_DISCOVER_INTERVAL_MS}. */
  readonly intervalMs?: number;
  /** Only services whose name or address matches one of these (`*` matches any run of characters), as `ipckit ls NAME…`. */
  readonly names?: readonly string[];
  /** Also report a topic whose message count moved as `changed` (at most once a look). Default false. */
  readonly traffic?: boolean;
  /** Stops watching: the pending (or next) step rejects with ECANCELED, then the iteration is done. */
  readonly signal?: AbortSignal;
}

/** How long discover() waits between looks unless told: a look reads every object, so not much more often. */
export const DEFAULT_DISCOVER_INTERVAL_MS = 500;

/** The iterator discover() returns. */
export interface Discovery extends AsyncIterableIterator<DiscoveryEvent, undefined> {
  /** What the latest look could not see, and why (a directory skipped, what this OS cannot list). */
  readonly notes: readonly string[];
  /** Stops watching at once: clears its timer, drops undelivered events, settles a pending step as done. */
  return(): Promise<IteratorResult<DiscoveryEvent, undefined>>;
}

const OPTION_KEYS = new Set(['once', 'intervalMs', 'names', 'traffic', 'signal']);
const PARTS = new Set<ObjectKind>(['pair', 'record', 'topic-data']);

/** The options checked: IpcError EINVAL (ECANCELED for an aborted signal) before anything starts. */
function checkOptions(options: unknown): Required<Omit<DiscoverOptions, 'signal'>> & { signal: AbortSignal | undefined } {
  if (options === undefined) return { once: false, intervalMs: DEFAULT_DISCOVER_INTERVAL_MS, names: [], traffic: false, signal: undefined };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new IpcError('EINVAL', `discover options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!OPTION_KEYS.has(key)) throw new IpcError('EINVAL', `discover has no option ${JSON.stringify(key)}`);
  for (const key of ['once', 'traffic'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new IpcError('EINVAL', `${key} must be true or false, got ${typeof o[key]}`);
  }
  const names = o.names;
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) {
    throw new IpcError('EINVAL', 'names must be an array of strings (patterns such as "myapp-*" or "shm://*")');
  }
  return {
    once: o.once === true,
    intervalMs: o.intervalMs === undefined ? DEFAULT_DISCOVER_INTERVAL_MS : validateInteger(o.intervalMs, 'intervalMs', 10, MAX_TIMER_MS),
    names: (names as string[] | undefined) ?? [],
    traffic: o.traffic === true,
    signal: validateSignal(o.signal),
  };
}

/** A service as last seen, with when. */
interface Seen {
  readonly service: Service;
  /** What a `changed` is judged on: everything but the traffic counters (unless `traffic`). */
  readonly signature: string;
  readonly at: number;
}

const isService = (o: IpcObject): o is IpcObject & { kind: ServiceKind } => !PARTS.has(o.kind);
/** Services are there while live, kept or unknown; stale ones have gone, foreign ones are not this user's. */
const present = (o: IpcObject): boolean => o.state !== 'stale' && o.state !== 'foreign';
const keyOf = (o: PublicObject): string => `${o.kind}\u0000${o.path}`;

/** A watch (or a single look) over the scan; pull-driven: it looks only while someone waits for an event. */
class Watch implements Discovery {
  readonly #options: ReturnType<typeof checkOptions>;
  readonly #queue: DiscoveryEvent[] = [];
  readonly #waiters: { resolve: (r: IteratorResult<DiscoveryEvent, undefined>) => void; reject: (e: Error) => void }[] = [];
  #seen = new Map<string, Seen>();
  #done = false;
  #failure: Error | undefined;
  #looking = false;
  #looked = false;
  #lastLook = 0;
  #timer: LongTimeout | undefined;
  #notes: readonly string[] = [];
  readonly #onAbort = (): void => {
    const reason = this.#options.signal?.reason as unknown;
    this.#fail(new IpcError('ECANCELED', 'discover() was aborted', { cause: reason }));
  };

  constructor(options: ReturnType<typeof checkOptions>) {
    this.#options = options;
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get notes(): readonly string[] {
    return this.#notes;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<DiscoveryEvent, undefined>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      return Promise.reject(failure);
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    const pending = new Promise<IteratorResult<DiscoveryEvent, undefined>>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#pump();
    return pending;
  }

  return(): Promise<IteratorResult<DiscoveryEvent, undefined>> {
    this.#queue.length = 0;
    this.#failure = undefined;
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Schedules the next look when someone waits and none is under way. */
  #pump(): void {
    if (this.#done || this.#looking || this.#timer !== undefined || this.#waiters.length === 0) return;
    const wait = this.#looked ? Math.max(0, this.#lastLook + this.#options.intervalMs - performance.now()) : 0;
    this.#timer = setLongTimeout(() => {
      this.#timer = undefined;
      void this.#look();
    }, wait);
  }

  async #look(): Promise<void> {
    this.#looking = true;
    let scanned;
    try {
      scanned = await scan();
    } catch (error) {
      this.#looking = false;
      this.#fail(error);
      return;
    }
    this.#looking = false;
    if (this.#done) return; // stopped meanwhile: what was seen is nobody's
    this.#lastLook = performance.now();
    this.#looked = true;
    this.#notes = scanned.notes;
    for (const event of this.#diff(
      scanned.objects.filter((o) => matches(o, this.#options.names)),
      this.#lastLook,
    ))
      this.#queue.push(event);
    while (this.#waiters.length > 0 && this.#queue.length > 0) this.#waiters.shift()?.resolve({ value: this.#queue.shift() as DiscoveryEvent, done: false });
    if (this.#options.once) this.#finish();
    else this.#pump();
  }

  /** The events between the previous look and this one: gone first (a name served anew goes, then appears), in path order. */
  #diff(objects: IpcObject[], at: number): DiscoveryEvent[] {
    const services = objects.filter(isService);
    const now = new Map<string, IpcObject & { kind: ServiceKind }>();
    for (const o of services) now.set(keyOf(o), o);
    const gone: DiscoveryEvent[] = [];
    const appeared: DiscoveryEvent[] = [];
    const changed: DiscoveryEvent[] = [];
    const next = new Map<string, Seen>();
    for (const [key, before] of this.#seen) {
      const o = now.get(key);
      if (o === undefined || !present(o)) {
        // Judged stale now: say so with what the scan says of it; removed: as last seen.
        gone.push({ type: 'gone', service: o === undefined ? before.service : (publicView(o) as Service) });
      }
    }
    for (const o of services.filter(present)) {
      const key = keyOf(o);
      const before = this.#seen.get(key);
      let service = publicView(o) as Service;
      const replaced = before !== undefined && before.service.pid !== undefined && service.pid !== undefined && before.service.pid !== service.pid;
      if (replaced) gone.push({ type: 'gone', service: before.service });
      const previous = replaced ? undefined : before;
      service = withRate(service, previous, at);
      const signature = signatureOf(service, this.#options.traffic);
      next.set(key, { service, signature, at });
      if (previous === undefined) appeared.push({ type: 'appeared', service });
      else if (previous.signature !== signature) changed.push({ type: 'changed', service });
    }
    this.#seen = next;
    const byPath = (a: DiscoveryEvent, b: DiscoveryEvent): number => (a.service.path < b.service.path ? -1 : a.service.path > b.service.path ? 1 : 0);
    return [...gone.sort(byPath), ...appeared.sort(byPath), ...changed.sort(byPath)];
  }

  /** Ends the watch with `error`: a pending step rejects with it, or else the next one does. */
  #fail(error: unknown): void {
    if (this.#done) return;
    this.#queue.length = 0;
    const failure = error instanceof Error ? error : new IpcError('EIO', `discover() failed: ${String(error)}`);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.reject(failure);
    else this.#failure = failure;
    this.#finish();
  }

  /** Stops: no timer, no signal listener, every pending step done. */
  #finish(): void {
    this.#done = true;
    this.#timer?.clear();
    this.#timer = undefined;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }
}

/** A topic's message rate since the previous look, when both looks read the same data region. */
function withRate(service: Service, previous: Seen | undefined, at: number): Service {
  const topic = service.topic;
  const before = previous?.service.topic;
  if (topic?.published === undefined || before?.published === undefined || before.dataRegion !== topic.dataRegion || at <= previous!.at) return service;
  const messages = (topic.published - before.published) >>> 0;
  return { ...service, topic: { ...topic, messageRate: Math.round((messages * 1000 * 100) / (at - previous!.at)) / 100 } };
}

/** What a `changed` compares: the service without its rate, and without its message count unless `traffic`. */
function signatureOf(service: Service, traffic: boolean): string {
  if (service.topic === undefined) return JSON.stringify(service);
  const { published, messageRate: _rate, ...topic } = service.topic;
  return JSON.stringify({ ...service, topic: traffic ? { ...topic, published } : topic });
}

/**
 * The ipckit services of this user on this machine, as an async iterable of
 * {@link DiscoveryEvent}s: every service there at the start `appeared`, then
 * what `appeared`, `changed` or went (`gone`) since, looking again every
 * `intervalMs` while someone waits for an event. `{ once: true }` is the
 * snapshot: the services there now, then the iteration ends. Stop a watch
 * with `signal`, `break` (which calls `return()`), or `return()`: no timer
 * is left behind.
 *
 * ```ts
 * for await (const { type, service } of discover({ names: ['sensors*'] })) {
 *   console.log(type, service.kind, service.address ?? service.name, service.pid, service.topic?.subscribers);
 * }
 * for await (const { service } of discover({ once: true })) console.log(service.kind, service.name); // a snapshot
 * ```
 *
 * A service is what `ipckit ls` lists, judged by the same rule in the same
 * code (apps/cli/src/objects.ts): a socket file is live while a socket is
 * bound to it, an shm object while the process its ownership record names
 * runs (a zombie does not; a process in another PID namespace counts unless
 * proven gone). So a process killed with SIGKILL shows as `gone` at the next
 * look, though its files stay until `ipckit clean` or the next user of the
 * name removes them. An shm:// topic carries `topic`: the publisher's pid,
 * the subscribers it counts in, `maxSubscribers`, `history`, `capacity`,
 * `policy`, messages `published`, and (while watching) `messageRate`.
 * Options are checked at once: IpcError EINVAL (an unknown option, an
 * `intervalMs` out of range), ECANCELED for an aborted signal.
 *
 * ## Platform-specific behaviour
 * - Linux: pipe:// and mailslot:// listeners (socket files in ipckit's
 *   runtime directory, liveness from /proc/net/unix and connect(2)), shm://
 *   listeners and topics, regions and sync objects (/dev/shm with ownership
 *   records). A pipe:// topic is a pipe:// listener from outside (`kind:
 *   'pipe'`): telling it from a channel would take connecting to it, which
 *   would disturb it. tcp:// services leave no named object: not seen.
 * - Windows: named pipes only, every one of `\\.\pipe\` (ipckit puts no mark
 *   on its own, so other programs' pipes too, and other users' where
 *   listable), all `live`: file mappings, mailslots, sync objects and
 *   shm:// listeners or topics are kernel objects Windows does not list, and
 *   nothing is ever stale there (objects go with their last handle).
 *   `notes` says so.
 * - Other POSIX systems: socket files with `state: 'unknown'`, no shm objects.
 */
export function discover(options?: DiscoverOptions): Discovery {
  return new Watch(checkOptions(options));
}
