/**
 * POSIX: an Event is a futex word in a region, and waitAny sleeps on several
 * of them at once (futex_waitv). Layout and steps: docs/sync.md.
 */
import { IpcError } from '@ipckit/core';
import { SyncThread } from '@ipckit/native';
import type { EventHandle } from './backend.js';
import { EVENT_MANUAL_RESET, H } from './layout.js';
import type { ObjectRegion } from './posix-region.js';
import { ThreadCache, WaitLine, remaining, timedOut, waitOn, type Deadline } from './wait.js';

/**
 * An event on a futex word. Manual reset: the word is 0 or 1. Auto reset, to
 * behave as a Windows event does (a set releases exactly one waiter when any
 * waits, and is kept for the next one when none does): the word counts the
 * releases granted so far, at most as many as there are waiters (1 when
 * nobody waits), and each waiter takes one. Waiters count themselves in the
 * `waiters` word while they wait. docs/sync.md gives the same steps for a C
 * program. Any other word (a manual-reset word not 0 or 1, a negative
 * auto-reset one) is refused with EINVAL: no wait spins on it.
 *
 * This process's asynchronous waits stand in one line served by one thread
 * (WaitLine); blocking waits use a second; waitAny calls use threads of their
 * own, listed in {@link watchers} so that close() stops them before the
 * memory goes.
 */
export class PosixEvent implements EventHandle {
  readonly manualReset: boolean;
  /** Threads of waitAny calls sleeping on this event's word right now. */
  readonly watchers = new Set<SyncThread>();
  readonly #line: WaitLine;
  #blocking: SyncThread | undefined;

  constructor(readonly object: ObjectRegion) {
    this.manualReset = (Atomics.load(object.words, H.info) & EVENT_MANUAL_RESET) !== 0;
    this.#line = new WaitLine(
      {
        tryTake: () => this.tryWait(),
        sleep: (thread) => thread.waitWords([{ ...this.word(), expected: 0 }]),
        sleepTakes: false,
        giveBack: () => undefined,
        enter: () => this.#counted(1),
        exit: (gaveUp) => {
          this.#counted(-1);
          if (gaveUp) this.#passOn();
        },
      },
      `waiting on the event ${object.path}`,
    );
  }

  get existed(): boolean {
    return this.object.existed;
  }

  get closed(): boolean {
    return this.object.closed;
  }

  /** The state word, for waits on it (waitAny). */
  word(): { buffer: ArrayBuffer; byteOffset: number } {
    return { buffer: this.object.buffer, byteOffset: this.object.base + H.state * 4 };
  }

  /** The state word, checked: EINVAL for a value ipckit never writes (foreign or corrupted bytes). */
  #state(): number {
    const state = Atomics.load(this.object.words, H.state);
    if (this.manualReset ? state !== 0 && state !== 1 : state < 0) {
      throw new IpcError(
        'EINVAL',
        `the state word of the event ${this.object.path} holds ${state}, which ipckit never writes (${this.manualReset ? 'a manual-reset event holds 0 or 1' : 'an auto-reset one holds 0 or more'}): corrupted or foreign bytes`,
        { path: this.object.path },
      );
    }
    return state;
  }

  /** Adds `n` to the waiters word (auto reset only). */
  #counted(n: number): void {
    if (!this.manualReset && !this.object.closed) Atomics.add(this.object.words, H.waiters, n);
  }

  #thread(): SyncThread {
    return (this.#blocking ??= new SyncThread());
  }

  #wake(count: number): void {
    const { buffer, byteOffset } = this.word();
    this.#thread().wakeWord(buffer, byteOffset, count);
  }

  set(): void {
    const words = this.object.words;
    if (this.manualReset) {
      this.#state();
      Atomics.store(words, H.state, 1);
      this.#line.serve();
      this.#wake(Infinity);
      return;
    }
    for (;;) {
      const granted = this.#state();
      const cap = Math.max(1, Atomics.load(words, H.waiters));
      if (granted >= cap) return; // already set for everyone waiting: a set has no more effect
      if (Atomics.compareExchange(words, H.state, granted, granted + 1) === granted) break;
    }
    // A waiter of this process takes it at once; otherwise a sleeper anywhere is woken for it.
    this.#line.serve();
    if (Atomics.load(words, H.state) > 0) this.#wake(1);
  }

  reset(): void {
    Atomics.store(this.object.words, H.state, 0);
  }

  tryWait(): boolean {
    const words = this.object.words;
    if (this.manualReset) return this.#state() === 1;
    for (;;) {
      const granted = this.#state();
      if (granted === 0) return false;
      if (Atomics.compareExchange(words, H.state, granted, granted - 1) === granted) return true;
    }
  }

  /** Counts a waitAny call in (+1) or out (-1) as a waiter (auto reset only). */
  countWaiter(n: 1 | -1): void {
    this.#counted(n);
  }

  wait(deadline: Deadline): Promise<void> {
    return this.#line.take(deadline);
  }

  /** A release granted to a waiter that is leaving (timed out, aborted): let another have it. */
  #passOn(): void {
    if (this.manualReset || this.object.closed) return;
    this.#line.serve();
    if (Atomics.load(this.object.words, H.state) > 0) this.#wake(1);
  }

  waitSync(timeoutMs: number): boolean {
    const until = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    this.#counted(1);
    try {
      const thread = this.#thread();
      for (;;) {
        if (this.tryWait()) return true;
        const left = until === Infinity ? Infinity : Math.max(0, until - performance.now());
        if (left === 0) return false;
        thread.waitWordsSync([{ ...this.word(), expected: 0 }], left);
      }
    } finally {
      this.#counted(-1);
    }
  }

  close(): void {
    // Every thread sleeping on the word first, then the memory: none may wait on unmapped memory (EFAULT).
    this.#line.close();
    for (const thread of this.watchers) thread.close();
    this.watchers.clear();
    this.#blocking?.close();
    this.object.close();
  }
}

/** Threads for waitAny calls, shared by every call in this process. */
const anyThreads = new ThreadCache();

/**
 * Sleeps on every event's word until one can be taken (the first set one, in
 * array order). The thread is listed as a watcher of each event while it
 * sleeps, so closing one of them stops it (ECLOSED) before unmapping.
 */
export async function waitAnyOf(all: readonly PosixEvent[], deadline: Deadline): Promise<number> {
  const what = 'waiting for any of the events';
  const thread = anyThreads.take();
  const closedOne = (): IpcError => new IpcError('ECLOSED', `${what}: an event was closed while waiting`);
  // Counted in as a waiter of every auto-reset event while it waits (see PosixEvent).
  for (const e of all) e.countWaiter(1);
  try {
    for (;;) {
      if (all.some((e) => e.closed)) throw closedOne();
      // In order, as WaitForMultipleObjects does: the first set event is taken.
      const index = all.findIndex((e) => e.tryWait());
      if (index >= 0) return index;
      const left = remaining(deadline);
      if (left === 0) throw timedOut(what, deadline);
      for (const e of all) e.watchers.add(thread);
      let outcome;
      try {
        outcome = await waitOn(thread, deadline.signal, what, () =>
          thread.waitWords(
            all.map((e) => ({ ...e.word(), expected: 0 })),
            left,
          ),
        );
      } catch (error) {
        if (all.some((e) => e.closed)) throw closedOne();
        throw error;
      } finally {
        for (const e of all) e.watchers.delete(thread);
      }
      if (outcome.result === 'timed-out') {
        const last = all.findIndex((e) => e.tryWait());
        if (last >= 0) return last;
        throw timedOut(what, deadline);
      }
    }
  } finally {
    for (const e of all) e.countWaiter(-1);
    anyThreads.give(thread);
  }
}
