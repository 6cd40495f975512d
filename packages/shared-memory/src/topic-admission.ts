/**
 * The publisher's side of a topic's slots (docs/topics-shm.md §5
 * "Admitting", §7): admitting subscribers that asked, freeing the slots of
 * those that left or died, evicting under the policy, and waking subscribers
 * the way each sleeps. The publisher never uses a word a subscriber wrote as
 * a position in its own memory: a `cursor` is only compared with `head`.
 */
import type { Waiter } from '@ipckit/native';
import type { ProcessWatch, ShmBackend } from './backend.js';
import type { Doorbell } from './doorbell.js';
import { WATCHDOG_MS } from './ends.js';
import { atTurnEnd } from './turns.js';
import {
  ON_BELL,
  ON_DOORBELL,
  AWAKE,
  H,
  S,
  SLOT_ACTIVE,
  SLOT_CLAIMED,
  SLOT_EVICTED,
  SLOT_FREE,
  SLOT_LEFT,
  SLOT_REFUSED,
  SLOT_REQUESTED,
  TopicControl,
  seqDiff,
} from './topic-control.js';

/** The slots as the publisher keeps them. */
export class SlotTable {
  /** Slots counted in (state 3). */
  readonly active = new Set<number>();
  readonly #watches = new Map<number, ProcessWatch>();
  /** When each watched slot's process was last asked whether it lives (see #alive). */
  readonly #checkedAt = new Map<number, number>();
  readonly #bells = new Map<number, Waiter>();
  /** The pid of each slot admitted and not yet freed (its doorbell connection is kept while it counts). */
  readonly #pids = new Map<number, number>();
  /** Per lagging slot: the cursor it had when first seen lagging, and since when. */
  readonly #lagging = new Map<number, { cursor: number; since: number }>();
  /** Slots woken by the last wake-ups that have not run since: their cursor then. */
  readonly #woken = new Map<number, number>();
  #lastBell = -1;

  constructor(
    readonly control: TopicControl,
    readonly name: string,
    readonly backend: ShmBackend,
    readonly doorbell: Doorbell,
    /** Called (on the event loop) when the OS says a subscriber's process exited. */
    readonly onExit: () => void,
  ) {}

  /** True when the header `bell` changed since the last {@link scan}. */
  get rung(): boolean {
    return this.control.load(H.bell) !== this.#lastBell;
  }

  /** Subscriber `slot`'s `cursor` as a full sequence number (never beyond `head`). */
  cursorOf(slot: number, head: number): number {
    const behind = seqDiff(head, this.control.slot(slot, S.cursor));
    return behind < 0 ? head : head - behind;
  }

  /**
   * One look at every slot: admits requests (cursor = the oldest of the last
   * `history` messages still above `floor`), frees the slots of subscribers
   * that left or died. Returns true when the count changed.
   */
  scan(head: number, floor: number, history: number): boolean {
    this.#lastBell = this.control.load(H.bell);
    const before = this.active.size;
    const c = this.control;
    for (let slot = 0; slot < c.slots; slot++) {
      const state = c.slot(slot, S.state);
      if (state === SLOT_FREE) continue;
      if (state === SLOT_REQUESTED) this.#admit(slot, head, floor, history);
      else if (state === SLOT_LEFT) this.#free(slot, state);
      else if (state === SLOT_CLAIMED || state === SLOT_REFUSED || state === SLOT_ACTIVE || state === SLOT_EVICTED) {
        const pid = c.slot(slot, S.pid);
        // 0: claimed a moment ago, its pid not yet written (the subscriber does so at once).
        if (pid !== 0 && !this.#alive(slot, pid)) this.#free(slot, state);
      }
    }
    return this.active.size !== before;
  }

  /**
   * Whether `slot`'s process lives. A slot with an exit watch is asked at
   * most every WATCHDOG_MS (a scan runs per bell, and each ask costs
   * syscalls); the OS telling of its exit makes the next scan ask at once.
   */
  #alive(slot: number, pid: number): boolean {
    const watch = this.#watches.get(slot);
    if (watch) {
      const now = performance.now();
      const last = this.#checkedAt.get(slot);
      if (last !== undefined && now - last < WATCHDOG_MS) return true;
      this.#checkedAt.set(slot, now);
      return watch.alive();
    }
    const probe = this.backend.watchProcess(pid);
    const alive = probe.alive();
    probe.close();
    return alive;
  }

  #admit(slot: number, head: number, floor: number, history: number): void {
    const c = this.control;
    const pid = c.slot(slot, S.pid);
    const watch = this.backend.watchProcess(pid);
    if (pid === 0 || !watch.alive()) {
      watch.close();
      this.#free(slot, SLOT_REQUESTED);
      return;
    }
    const start = Math.max(head - history, floor);
    c.setSlot(slot, S.start, start | 0);
    c.setSlot(slot, S.startHigh, Math.floor(start / 2 ** 32));
    c.setSlot(slot, S.cursor, start | 0);
    c.setSlot(slot, S.holding, 0);
    if (!c.moveSlot(slot, S.state, SLOT_REQUESTED, SLOT_ACTIVE)) {
      watch.close();
      return;
    }
    this.#watches.set(slot, watch);
    this.#pids.set(slot, pid);
    this.doorbell.retain(pid);
    this.active.add(slot);
    watch.onExit(() => {
      this.#checkedAt.delete(slot);
      this.onExit();
    });
    this.ring(slot);
  }

  /** Frees `slot` from `state` (compare-exchange), forgetting its watch and bell. */
  #free(slot: number, state: number): void {
    const c = this.control;
    if (!c.moveSlot(slot, S.state, state, SLOT_FREE)) return;
    c.setSlot(slot, S.pid, 0);
    this.active.delete(slot);
    this.#lagging.delete(slot);
    this.#woken.delete(slot);
    this.#watches.get(slot)?.close();
    this.#watches.delete(slot);
    this.#checkedAt.delete(slot);
    this.#bells.get(slot)?.close();
    this.#bells.delete(slot);
    const pid = this.#pids.get(slot);
    this.#pids.delete(slot);
    if (pid !== undefined) this.doorbell.release(pid);
  }

  /** Active slots whose cursor is below `x`. */
  laggingBelow(x: number, head: number): number[] {
    const out: number[] = [];
    for (const slot of this.active) if (this.cursorOf(slot, head) < x) out.push(slot);
    return out;
  }

  /** Active slots below `x` that hold (read) their cursor message now. */
  holdingBelow(x: number, head: number): number[] {
    return this.laggingBelow(x, head).filter((slot) => this.control.slot(slot, S.holding) !== 0);
  }

  /**
   * Since when `slot` has made no progress while lagging (`now` when it is
   * seen lagging for the first time, or with a new cursor).
   */
  laggingSince(slot: number, head: number, now: number): number {
    const cursor = this.cursorOf(slot, head);
    const seen = this.#lagging.get(slot);
    if (seen && seen.cursor === cursor) return seen.since;
    this.#lagging.set(slot, { cursor, since: now });
    return now;
  }

  /** The policy disconnects `slot`: state 5, its bell rung; it no longer counts. */
  evict(slot: number): void {
    if (!this.control.moveSlot(slot, S.state, SLOT_ACTIVE, SLOT_EVICTED)) return;
    this.active.delete(slot);
    this.#lagging.delete(slot);
    this.#woken.delete(slot);
    this.ring(slot);
  }

  /**
   * True while `slot` was woken by {@link wakeSleepers} and has not run
   * since (its cursor has not moved): what it was woken for is on its way
   * to it, as bytes in a socket's buffers are.
   */
  wokenNotRun(slot: number, head: number): boolean {
    const cursor = this.#woken.get(slot);
    if (cursor === undefined) return false;
    if (this.cursorOf(slot, head) === cursor) return true;
    this.#woken.delete(slot);
    return false;
  }

  /** Stops counting these slots as woken (the publisher gave up waiting for them). */
  forgetWoken(slots: readonly number[]): void {
    for (const slot of slots) this.#woken.delete(slot);
  }

  #bell(slot: number): Waiter | undefined {
    let bell = this.#bells.get(slot);
    if (!bell) {
      try {
        bell = this.control.openSlotBell(this.name, slot);
      } catch {
        return undefined;
      }
      this.#bells.set(slot, bell);
    }
    return bell;
  }

  /** Wakes `slot`'s subscriber however it sleeps, whatever its marks say (admission, eviction, close). */
  ring(slot: number): void {
    Atomics.add(this.control.words, this.control.slotWord(slot, S.bell), 1);
    this.#bell(slot)?.wake();
    this.#ringDoorbell(slot);
  }

  /** Takes back a doorbell mark and rings; true when this call rang. */
  #ringDoorbell(slot: number): boolean {
    const c = this.control;
    if (!c.moveSlot(slot, S.sleeping, ON_DOORBELL, AWAKE)) return false;
    this.doorbell.ring(c.slot(slot, S.pid), c.slot(slot, S.doorbellThread), c.slot(slot, S.token));
    return true;
  }

  /**
   * The lowest cursor of the active slots (`head` when there are none): no
   * active subscriber is below it, and none will be until a scan admits one
   * (cursors only move forward).
   */
  minCursor(head: number): number {
    let min = head;
    for (const slot of this.active) min = Math.min(min, this.cursorOf(slot, head));
    return min;
  }

  /**
   * §5 step 4: when `sleepers` is 0, nothing (one load per message while
   * every subscriber is awake); otherwise each active slot that sleeps is
   * woken: on its bell (1), or on its doorbell (2, taken back first).
   *
   * With `defer`, a slot is rung at most once per turn of the event loop
   * at once: one that went back to sleep after this turn's wake-up is rung
   * when the turn ends (setImmediate), or sooner by {@link flushWakes},
   * which the publisher calls before it waits for anything. A burst of
   * sends then costs each sleeping subscriber one or two wake-ups, not one
   * per message, and a message sent alone in its turn is rung at once.
   */
  wakeSleepers(head: number, defer: boolean): void {
    const c = this.control;
    this.#lastHead = head;
    if (c.load(H.sleepers) === 0) return;
    for (const slot of this.active) {
      const sleeping = c.slot(slot, S.sleeping);
      if (sleeping === AWAKE) continue;
      if (defer && this.#rungThisTurn.has(slot)) {
        this.#deferred.add(slot);
        continue;
      }
      if (this.#wake(slot, sleeping, head) && defer) {
        this.#rungThisTurn.add(slot);
        this.#endTurnSoon();
      }
    }
  }

  /** Rings now the slots {@link wakeSleepers} deferred to the end of the turn. */
  flushWakes(): void {
    if (this.#deferred.size === 0) return;
    const c = this.control;
    for (const slot of this.#deferred) if (this.active.has(slot)) this.#wake(slot, c.slot(slot, S.sleeping), this.#lastHead);
    this.#deferred.clear();
  }

  /** Wakes `slot` the way its mark says it sleeps; true when it rang. */
  #wake(slot: number, sleeping: number, head: number): boolean {
    const c = this.control;
    if (sleeping === ON_BELL) {
      Atomics.add(c.words, c.slotWord(slot, S.bell), 1);
      this.#bell(slot)?.wake();
    } else if (sleeping !== ON_DOORBELL || !this.#ringDoorbell(slot)) {
      return false;
    }
    this.#woken.set(slot, this.cursorOf(slot, head));
    return true;
  }

  /** Slots rung at once in this turn of the event loop, and those deferred to its end (see wakeSleepers). */
  readonly #rungThisTurn = new Set<number>();
  readonly #deferred = new Set<number>();
  readonly #endTurnSoon = atTurnEnd(() => {
    this.#rungThisTurn.clear();
    this.flushWakes();
  });
  #lastHead = 0;

  /** The publisher closes: every slot in use is rung (subscribers see the closed state), requests refused. */
  closeAll(): void {
    const c = this.control;
    for (let slot = 0; slot < c.slots; slot++) {
      const state = c.slot(slot, S.state);
      if (state === SLOT_FREE) continue;
      if (state === SLOT_REQUESTED) c.moveSlot(slot, S.state, SLOT_REQUESTED, SLOT_REFUSED);
      this.ring(slot);
    }
  }

  /** Lets go of every watch and waiter. */
  dispose(): void {
    this.#deferred.clear();
    this.#rungThisTurn.clear();
    for (const watch of this.#watches.values()) watch.close();
    for (const bell of this.#bells.values()) bell.close();
    for (const pid of this.#pids.values()) this.doorbell.release(pid);
    this.#watches.clear();
    this.#bells.clear();
    this.#pids.clear();
    this.active.clear();
  }
}
