/**
 * How a subscriber wakes its topic's publisher (docs/topics-shm.md §6
 * "Joining" and step 4 of reading): add 1 to the header `bell` and wake its
 * waiters, and ring the publisher's doorbell when it sleeps there (2, taken
 * back first). After finishing a message, only when the publisher says it
 * sleeps (`publisherSleeping` not 0): one load per message otherwise; and
 * while it waits for room, only the last subscriber to reach what it waits
 * for rings (one wake-up per message, not one per subscriber).
 */
import type { Waiter } from '@ipckit/native';
import { BACKEND } from '@ipckit/sys';
import type { Doorbell } from './doorbell.js';
import { AWAKE, H, ON_DOORBELL, S, SLOT_ACTIVE, seqDiff, type TopicControl } from './topic-control.js';

/** A subscriber's way to the publisher's bell. */
export class PublisherRinger {
  #waiter: Waiter | undefined;
  #failed = false;

  constructor(
    readonly c: TopicControl,
    readonly name: string,
    /** This thread's doorbell, when the publisher sleeps on its own. */
    readonly doorbell: Doorbell | undefined,
  ) {}

  /** Wakes the publisher: always with `force` (a join, a leave), else only when it sleeps. */
  ring(force: boolean): void {
    const c = this.c;
    const sleeping = c.load(H.publisherSleeping);
    if (!force && (sleeping === AWAKE || this.#othersLag())) return;
    Atomics.add(c.words, H.bell, 1);
    if (!this.#failed) {
      try {
        this.#waiter ??= c.openPublisherBell(this.name);
        // Every waiter: the publisher's admission loop and a blocked sendSync may both sleep there.
        // On Windows the bell is one auto-reset event, which releases one waiter per SetEvent
        // whatever the count: ring it once per possible waiter (an extra one found nobody and
        // leaves the event set, which costs the next wait one spurious return, never a lost wake).
        this.#waiter.wake(Infinity);
        if (BACKEND === 'win32') this.#waiter.wake(Infinity);
      } catch {
        // The event could not be opened (Windows): the publisher looks every 250 ms anyway.
        this.#failed = true;
      }
    }
    if (sleeping === ON_DOORBELL && this.doorbell && Atomics.compareExchange(c.words, H.publisherSleeping, ON_DOORBELL, AWAKE) === ON_DOORBELL) {
      this.doorbell.ring(c.load(H.publisherPid), c.load(H.publisherBell), c.load(H.publisherToken));
    }
  }

  /**
   * True when the publisher waits for room (`wakeAtSet`) and some active
   * subscriber, this one included, has not reached `wakeAt` yet: that one
   * rings when it gets there, so this finish wakes nobody. Of subscribers
   * finishing at once, at least one sees every cursor stored (each stores
   * its own before loading the others'), so the wake-up is never lost.
   */
  #othersLag(): boolean {
    const c = this.c;
    if (c.load(H.wakeAtSet) !== 1) return false;
    const wakeAt = c.load(H.wakeAt);
    for (let slot = 0; slot < c.slots; slot++) {
      if (c.slot(slot, S.state) === SLOT_ACTIVE && seqDiff(wakeAt, c.slot(slot, S.cursor)) > 0) return true;
    }
    return false;
  }

  close(): void {
    this.#waiter?.close();
    this.#waiter = undefined;
  }
}
