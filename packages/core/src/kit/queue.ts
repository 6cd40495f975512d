import { IpcError } from '../errors.js';

/** Callbacks an {@link AsyncQueue} uses to push back on its source. */
export interface QueueHooks {
  /** Called when the buffer reaches the high-water mark: stop reading from the source. */
  pause?: () => void;
  /** Called when the buffer drains to half the mark: start reading again. */
  resume?: () => void;
  /** Called when the consumer stops iterating early (break / return). */
  cancel?: () => void;
}

/**
 * A single-consumer async queue: producers `push`, one consumer iterates.
 * It applies backpressure through `pause`/`resume` hooks around a high-water
 * mark, ends cleanly with `end()` and fails the consumer with `fail(error)`.
 * Transports use it for incoming messages and incoming channels alike.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private error: unknown;
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

  /** The next item without taking it, or undefined when none is buffered. */
  peek(): T | undefined {
    return this.size > 0 ? this.items[this.head] : undefined;
  }

  /** Adds an item; hands it straight to a waiting consumer if there is one. */
  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.paused && this.size >= this.highWaterMark) {
      this.paused = true;
      this.hooks.pause?.();
    }
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

  /** Ends the queue with an error: the consumer gets what is buffered, then the error. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.error = error;
    this.ended = true;
    this.settleWaiter();
  }

  /** Takes the next item, waiting if none is buffered. */
  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
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
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      if (this.error === undefined) return Promise.resolve({ value: undefined, done: true });
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the queue hands on whatever fail() was given, unchanged, as the waiter path below does
      return Promise.reject(this.error);
    }
    if (this.waiter) {
      return Promise.reject(new IpcError('EINVAL', 'this queue is already being read by another consumer'));
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Iterates once: a second concurrent iteration is refused with EINVAL. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterating) {
      throw new IpcError('EINVAL', 'a channel or listener can be iterated by one consumer at a time');
    }
    this.iterating = true;
    return {
      next: () => this.next(),
      return: () => {
        this.iterating = false;
        this.hooks.cancel?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter || this.size > 0) return;
    this.waiter = undefined;
    if (this.error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(this.error);
  }
}
