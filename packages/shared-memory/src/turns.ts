/**
 * Settling at once without starving the event loop: a channel's sends and
 * receives that find the ring ready settle at once, but only so many per turn
 * of the loop (the Channel contract, Rule 2).
 */

/** A promise already resolved: what a send that went into the ring at once returns. */
export const RESOLVED = Promise.resolve();
/**
 * Sends and receives that a channel settles at once (the ring had room, or
 * a message) within one turn of the event loop; past this many, the next
 * settles on the loop's check phase (setImmediate). A loop of awaited sends
 * or receives otherwise runs on microtasks alone and never lets timers or
 * I/O run (the Channel contract, Rule 2). One hop per 1,024 messages costs
 * about a microsecond.
 */
const SETTLED_PER_TURN = 1024;

/**
 * A function that, however often it is called within one turn of the event
 * loop, has `fn` run once on the loop's next check phase (setImmediate):
 * what ends a turn's batching or resets a per-turn budget.
 */
export function atTurnEnd(fn: () => void): () => void {
  let pending = false;
  const run = (): void => {
    pending = false;
    fn();
  };
  return () => {
    if (pending) return;
    pending = true;
    setImmediate(run);
  };
}

/** Resolves on the event loop's next check phase (setImmediate). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Sends and receives of every channel of this thread settled at once since the event loop's last check phase. */
let settledThisTurn = 0;
const newTurn = atTurnEnd(() => {
  settledThisTurn = 0;
});

/** True while this turn of the event loop may settle one more send or receive at once (see SETTLED_PER_TURN). */
export function settledAtOnce(): boolean {
  if (settledThisTurn++ === 0) newTurn();
  return settledThisTurn <= SETTLED_PER_TURN;
}
