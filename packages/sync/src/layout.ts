/**
 * The POSIX layouts of ipckit's synchronization objects: small named regions
 * (shm_open, mode 0600) that a C program maps to take part. docs/sync.md
 * describes every byte; this file is the code's copy of it. All fields are
 * little-endian u32 unless said otherwise. The creator writes everything
 * else first and the magic last, so a region whose magic is 0 is still being
 * set up.
 */

/** 'IPCM': a mutex region. */
export const MUTEX_MAGIC = 0x4d435049;
/** 'IPCS': a semaphore's record (beside the sem_open semaphore of the same name). */
export const SEMAPHORE_MAGIC = 0x53435049;
/** 'IPCE': an event region. */
export const EVENT_MAGIC = 0x45435049;
export const LAYOUT_VERSION = 1;

/** u32 word indexes of the header every object's region starts with. */
export const H = {
  magic: 0,
  version: 1,
  /** Event: bit 0 = manual reset. Semaphore: its maximum count. */
  info: 2,
  /**
   * Event: the state word (a futex word). Manual reset: 0 = reset, 1 = set.
   * Auto reset: how many waiters the sets so far will release (0 = reset).
   */
  state: 4,
  /** Auto-reset event: how many threads are waiting on it right now. */
  waiters: 5,
} as const;

/** Mutex region: a process-shared robust pthread_mutex_t at byte 64 (40 bytes on x86-64 glibc, 48 on arm64). */
export const MUTEX_OFFSET = 64;
export const MUTEX_REGION_BYTES = 128;
/** Semaphore record: the post guard, a robust pthread_mutex_t at byte 64, held around "check the count, then sem_post". */
export const SEMAPHORE_GUARD_OFFSET = 64;
export const SEMAPHORE_REGION_BYTES = 128;
export const EVENT_REGION_BYTES = 64;
export const EVENT_MANUAL_RESET = 1;

/** The kinds by magic, for messages about a name that holds another kind. */
export const KIND_OF_MAGIC: Readonly<Record<number, string>> = {
  [MUTEX_MAGIC]: 'mutex',
  [SEMAPHORE_MAGIC]: 'semaphore',
  [EVENT_MAGIC]: 'event',
};

/** The FUTEX_WAITERS bit of a robust mutex's lock word (futex(2), "Robust futexes"). */
export const FUTEX_WAITERS = 0x80000000 | 0;
/** The owner-TID bits of a robust mutex's lock word. */
export const FUTEX_TID_MASK = 0x3fffffff;
