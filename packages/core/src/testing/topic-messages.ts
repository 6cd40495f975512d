/**
 * The messages of the topics suite and the check of what a subscriber got:
 * each message's content names its `seq`, so a delivery proves that it is
 * the message the publisher numbered so, and the log proves that `missed`
 * told every gap (Rule T1).
 */
import type { Delivery } from '../topic.js';
import { bulkMessage, readBulkMessage, readSequenceMessage, sequenceMessage } from './messages.js';

/** Test message `seq`: a sequence message (12 to 72 bytes), or a bulk message of `bulkBytes`. */
export function topicMessage(seq: number, bulkBytes?: number): Uint8Array {
  return bulkBytes === undefined ? sequenceMessage(0, seq) : bulkMessage(seq, bulkBytes);
}

/** The seq a test message carries; throws when it is corrupt. */
export function readTopicMessage(data: Uint8Array, bulkBytes?: number): number {
  return bulkBytes === undefined ? readSequenceMessage(data).seq : readBulkMessage(data, bulkBytes);
}

/** What a subscriber received, summed up. */
export interface DeliverySummary {
  /** Deliveries received. */
  count: number;
  /** The first delivery's seq and missed (-1 and 0 when none came). */
  first: number;
  firstMissed: number;
  /** The last delivery's seq (-1 when none came). */
  last: number;
  /** The sum of every delivery's missed. */
  missed: number;
}

/**
 * Checks deliveries one by one and throws at the first that breaks Rule T1:
 * content that does not match its seq, a seq that does not increase, a
 * `missed` that is not the gap since the previous delivery.
 */
export class DeliveryLog {
  count = 0;
  private first = -1;
  private firstMissed = 0;
  private last = -1;
  private missed = 0;

  constructor(private readonly bulkBytes?: number) {}

  /** Checks one delivery. */
  accept(delivery: Delivery): void {
    const carried = readTopicMessage(delivery.data, this.bulkBytes);
    if (carried !== delivery.seq) throw new Error(`delivery numbered ${delivery.seq} carries message ${carried}`);
    if (!Number.isSafeInteger(delivery.missed) || delivery.missed < 0) throw new Error(`delivery ${delivery.seq} has missed ${delivery.missed}`);
    if (this.count === 0) {
      this.first = delivery.seq;
      this.firstMissed = delivery.missed;
    } else {
      if (delivery.seq <= this.last) throw new Error(`delivery ${delivery.seq} came after ${this.last}: out of order or twice`);
      const gap = delivery.seq - this.last - 1;
      if (delivery.missed !== gap)
        throw new Error(`delivery ${delivery.seq} says missed ${delivery.missed}, but ${gap} messages were skipped since ${this.last}`);
    }
    this.last = delivery.seq;
    this.missed += delivery.missed;
    this.count++;
  }

  /** The summary so far. */
  summary(): DeliverySummary {
    return { count: this.count, first: this.first, firstMissed: this.firstMissed, last: this.last, missed: this.missed };
  }
}
