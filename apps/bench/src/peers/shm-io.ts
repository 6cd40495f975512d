/**
 * How a peer of the shm sync-API family (shm-sync-worker.ts) moves a
 * message: the one place a new way of sending or receiving plugs in.
 *
 * A target names its strategy (`io` in targets.ts); the worker looks it up
 * here and uses nothing else of the channel. A receive hands out a view that
 * stays valid until `release()`, which is what reading in place needs: the
 * echo receives, sends the view back, then releases it; the reader counts
 * and releases. A strategy that needs ShmChannel methods lists them in
 * `requires`, and the target is reported "not available" (with the missing
 * method's name) until @ipckit/shared-memory has them, so a strategy can be
 * written before the API it uses is released.
 *
 * `in-place` is the zero-copy path (issue 13 §2): reserve, fill, commit;
 * read in place, release. Another way is one strategy here and one
 * `shmSyncTarget(...)` entry in targets.ts with its id.
 */
import type { ShmChannel } from '@ipckit/shared-memory';

/** The part of a shm:// channel every strategy may use: the sync API. */
export type SyncChannel = Pick<ShmChannel, 'sendSync' | 'receiveSync'>;

/** One channel's way of moving messages, made per channel. */
export interface SyncIo {
  /** Sends a copy of `message` (blocking while the ring is full). */
  send(message: Uint8Array, timeoutMs?: number): void;
  /** The next message, valid until release(); undefined when the peer closed. */
  receive(timeoutMs?: number): Uint8Array | undefined;
  /** Done with the last message receive() returned. */
  release(): void;
}

export interface SyncIoDef {
  /** ShmChannel methods the strategy calls beyond sendSync/receiveSync: missing ones make the target unavailable. */
  requires: string[];
  /** What it does, for the report's backend column. */
  describe: string;
  /** Makes the strategy for one channel whose messages are at most `maxMessageBytes`. */
  make(channel: SyncChannel, maxMessageBytes: number): SyncIo;
  /** Options the connecting peer adds to shm:// connect (e.g. a ring large enough for its messages). */
  connectOptions?(maxMessageBytes: number): Record<string, unknown>;
}

/**
 * What `in-place` uses of ShmChannel (typed here by shape, so the bench
 * builds whatever the package is; the probe checks the methods are there).
 */
interface InPlaceChannel {
  /** Room for `size` bytes in the peer's ring: fill `bytes`, then commit(). */
  reserveSync(size: number, timeoutMs?: number): { bytes: Uint8Array; commit(length?: number): void };
  /** The next message as a view of the ring, valid until release(); undefined once the channel has ended. */
  receiveInPlaceSync(timeoutMs?: number): { bytes: Uint8Array; release(): void } | undefined;
}

/** The ring's largest record is a quarter of it (docs/ring-protocol.md): four times the message, and a margin for the record header. */
function ringFor(maxMessageBytes: number): number {
  let ring = 1024 * 1024;
  while (ring < 4 * maxMessageBytes + 256) ring *= 2;
  return ring;
}

const nothing = (): void => undefined;

export const SYNC_IO: Readonly<Record<string, SyncIoDef>> = {
  /** sendSync, and receiveSync(): a new array per received message. */
  copy: {
    requires: [],
    describe: 'ShmChannel.sendSync/receiveSync()',
    make: (ch) => ({
      send: (message, timeoutMs) => ch.sendSync(message, timeoutMs),
      receive: (timeoutMs) => ch.receiveSync(timeoutMs),
      release: nothing,
    }),
  },
  /**
   * sendSync, and receiveSync(into) into one array made once: no allocation
   * per message. The view of the message is made once per new length (one
   * size per phase here), as a real receiver of fixed-size messages would.
   */
  into: {
    requires: [],
    describe: 'ShmChannel.sendSync/receiveSync(into) into one reused array',
    make: (ch, maxMessageBytes) => {
      const into = new Uint8Array(maxMessageBytes);
      let view = into.subarray(0, 0);
      return {
        send: (message, timeoutMs) => ch.sendSync(message, timeoutMs),
        receive: (timeoutMs) => {
          const length = ch.receiveSync(into, timeoutMs);
          if (length === undefined) return undefined;
          if (view.length !== length) view = into.subarray(0, length);
          return view;
        },
        release: nothing,
      };
    },
  },
  /**
   * Zero copy: each send reserves the message's room in the peer's ring,
   * copies the payload in (the one copy any sender makes) and commits; each
   * receive is a view of the ring, released once used (the reader only counts
   * it, as every target's reader does; the echo sends the view back). The
   * rings are made large enough that the largest message is one record (a
   * quarter of the ring), as the rule for writing in place asks.
   */
  'in-place': {
    requires: ['reserveSync', 'receiveInPlaceSync'],
    describe: 'ShmChannel.reserveSync + commit / receiveInPlaceSync + release (zero copy: written and read in the ring); rings sized for the largest message',
    connectOptions: (maxMessageBytes) => ({ ringBytes: ringFor(maxMessageBytes) }),
    make: (ch) => {
      const c = ch as unknown as InPlaceChannel;
      let held: { release(): void } | undefined;
      return {
        send: (message, timeoutMs) => {
          const reservation = c.reserveSync(message.byteLength, timeoutMs);
          reservation.bytes.set(message);
          reservation.commit();
        },
        receive: (timeoutMs) => {
          const message = c.receiveInPlaceSync(timeoutMs);
          held = message;
          return message?.bytes;
        },
        release: () => {
          held?.release();
          held = undefined;
        },
      };
    },
  },
};
