/**
 * A first-in first-out list of frames with O(1) push and shift, for the
 * publisher's per-subscriber queues and its history (both up to
 * MAX_TOPIC_CAPACITY long, where Array.shift would copy on every message).
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** How many items are in the list. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds `item` at the end. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The first item without taking it, or undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Takes the first item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The items, first to last (a copy). */
  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }

  /** Empties the list. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
