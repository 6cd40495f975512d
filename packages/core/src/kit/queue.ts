import { IpcError } from '../errors.js';
import { checkWait, rejection, watchWait, type WaitOptions } from './cancel.js';

/** Callbacks an {@link AsyncQueue} uses to push back on its source. */
export interface QueueHooks {
  /** Called when the buffer reaches the high-water mark: stop reading from the source. */
  pause?: () => void;
  /** Called when the buffer drains to half the mark: start reading again. */
  resume?: () => void;
  /** Called when the consumer stops iterating early (break / return). */
  cancel?: () => void;
}

interface Waiter<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (error: unknown) => void;
  /** Stops the waiter's timeout and signal watch. */
  stop: () => void;
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/**
 * A single-consumer async queue: producers `push`, one consumer takes items
 * with {@link take} or by iterating. It applies backpressure through
 * `pause`/`resume` hooks around a high-water mark, ends cleanly with `end()`
 * and fails the consumer once with `fail(error)`. Transports use it for
 * incoming messages and incoming channels alike.
 *
 * A wait that is abandoned (its timeout passes, its signal aborts, or the
 * iteration is returned) takes nothing: an item that arrives afterwards stays
 * buffered for the next take. This is what makes receive timeouts lossless
 * (docs of `Channel`, Rule 4); racing `next()` against a timer would not be.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: Waiter<T> | undefined;
  private ended = false;
  private error: { value: unknown } | undefined;
  private paused = false;
  private iterating = false;

  constructor(
    private readonly highWaterMark = 1024,
    private readonly hooks: QueueHooks = {},
  ) {}

  /** Number of items waiting to be consumed. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** True once `end()` or `fail()` was called. */
  get done(): boolean {
    return this.ended;
  }

  /** True while a consumer waits in {@link take} (or an iteration step). */
  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  /** The next item without taking it, or undefined when none is buffered. */
  peek(): T | undefined {
    return this.size > 0 ? this.items[this.head] : undefined;
  }

  /** Adds an item; hands it straight to a waiting consumer if there is one. Ignored once ended. */
  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.stop();
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.paused && this.size >= this.highWaterMark) {
      this.paused = true;
      this.hooks.pause?.();
    }
  }

  /** Takes one buffered item out wherever it waits (e.g. a connection that closed before anyone took it); false when it is not buffered. */
  remove(item: T): boolean {
    const at = this.items.indexOf(item, this.head);
    if (at < 0) return false;
    this.items.splice(at, 1);
    if (this.paused && this.size <= this.highWaterMark >> 1) {
      this.paused = false;
      this.hooks.resume?.();
    }
    return true;
  }

  /** Takes every buffered item out at once (e.g. to close what nobody will consume). */
  drain(): T[] {
    const items = this.items.splice(this.head);
    this.items.length = 0;
    this.head = 0;
    if (this.paused) {
      this.paused = false;
      this.hooks.resume?.();
    }
    return items;
  }

  /** Ends the queue: the consumer gets what is buffered, then `done`. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settleWaiter();
  }

  /** Ends the queue with an error: the consumer gets what is buffered, then the error once, then `done`. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.error = { value: error };
    this.ended = true;
    this.settleWaiter();
  }

  /**
   * Takes the next item, waiting if none is buffered. With `options`, a wait
   * that times out rejects with ETIMEDOUT and one whose signal aborts with
   * ECANCELED (an already aborted signal: at once, nothing taken); either way
   * nothing is taken. EINVAL while another take is waiting.
   */
  take(options?: WaitOptions): Promise<IteratorResult<T>> {
    let wait;
    try {
      wait = checkWait(options);
    } catch (error) {
      return rejection(error);
    }
    if (this.size > 0) return Promise.resolve({ value: this.shift(), done: false });
    if (this.ended) return this.endResult();
    if (this.waiter) {
      return Promise.reject(new IpcError('EINVAL', 'this channel or listener is already being read by another consumer'));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, stop: () => undefined };
      this.waiter = waiter;
      waiter.stop = watchWait(wait, 'the receive', (error) => {
        if (this.waiter !== waiter) return;
        this.waiter = undefined;
        reject(error);
      });
    });
  }

  /** Takes the next item, waiting without limit (the iteration protocol's `next`). */
  next(): Promise<IteratorResult<T>> {
    return this.take();
  }

  /** Ends a pending take with `done` without taking anything (the consumer gave up). */
  cancelWait(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    waiter.stop();
    waiter.resolve(DONE);
  }

  /**
   * Iterates once at a time: a second concurrent iteration is refused with
   * EINVAL. Returning early (break) ends a pending step with `done` and takes
   * nothing; a later iteration continues with the next item.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterating) {
      throw new IpcError('EINVAL', 'a channel or listener can be iterated by one consumer at a time');
    }
    this.iterating = true;
    const finish = (): void => {
      this.iterating = false;
    };
    return {
      next: () =>
        this.take().then(
          (result) => {
            if (result.done) finish();
            return result;
          },
          (error: unknown) => {
            finish();
            throw error;
          },
        ),
      return: () => {
        finish();
        this.cancelWait();
        this.hooks.cancel?.();
        return Promise.resolve(DONE);
      },
    };
  }

  private shift(): T {
    const value = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.paused && this.size <= this.highWaterMark >> 1) {
      this.paused = false;
      this.hooks.resume?.();
    }
    return value;
  }

  /** What a take gets once the queue ended and is empty: the error once, then done. */
  private endResult(): Promise<IteratorResult<T>> {
    const error = this.error;
    if (error === undefined) return Promise.resolve(DONE);
    this.error = undefined;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the queue hands on whatever fail() was given, unchanged
    return Promise.reject(error.value);
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter || this.size > 0) return;
    this.waiter = undefined;
    waiter.stop();
    const error = this.error;
    if (error === undefined) {
      waiter.resolve(DONE);
      return;
    }
    this.error = undefined;
    waiter.reject(error.value);
  }
}
