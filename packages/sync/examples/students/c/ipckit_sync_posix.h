/*
 * The POSIX side of @ipckit/sync for C programs (Linux, glibc): open or create
 * ipckit's named mutexes and events by following docs/sync.md, byte for byte.
 * Every object is a small shm_open region (mode 0600):
 *
 *   word 0 (u32)  magic: 'IPCM' 0x4d435049 mutex, 'IPCE' 0x45435049 event
 *   word 1 (u32)  layout version, 1
 *   word 2 (u32)  event: bit 0 = manual reset
 *   word 4 (u32)  event: the state, a futex word
 *   word 5 (u32)  auto-reset event: how many threads are waiting
 *   byte 64       mutex: a process-shared robust pthread_mutex_t
 *
 * The creator writes everything else first and the magic last; an opener
 * waits until the magic is there.
 */
#ifndef IPCKIT_SYNC_POSIX_H
#define IPCKIT_SYNC_POSIX_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define IPCKIT_MUTEX_MAGIC 0x4d435049u
#define IPCKIT_EVENT_MAGIC 0x45435049u
#define IPCKIT_LAYOUT_VERSION 1u
#define IPCKIT_MUTEX_OFFSET 64
#define IPCKIT_MUTEX_BYTES 128
#define IPCKIT_EVENT_BYTES 64
#define IPCKIT_EVENT_MANUAL 1u

enum { W_MAGIC = 0, W_VERSION = 1, W_INFO = 2, W_STATE = 4, W_WAITERS = 5 };

static void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

/* "/<base><suffix>", the POSIX name of an object. */
static void object_name(char *out, size_t size, const char *base, const char *suffix) {
  if ((size_t)snprintf(out, size, "/%s%s", base, suffix) >= size) {
    fprintf(stderr, "name too long\n");
    exit(1);
  }
}

/* Maps the region `name`, creating it (exclusively, 0600, `size` bytes) when
 * `create` allows and it is missing. *created says which. */
static uint8_t *map_region(const char *name, size_t size, int create, int *created) {
  int fd = -1;
  *created = 0;
  if (create) {
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      *created = 1;
      if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)size) != 0) die("ftruncate");
    } else if (errno != EEXIST) {
      die("shm_open");
    }
  }
  if (fd < 0) {
    /* Not ours to create: wait (up to 10 s) for whoever creates it. */
    for (int i = 0; fd < 0 && i < 10000; i++) {
      fd = shm_open(name, O_RDWR, 0);
      if (fd < 0 && errno != ENOENT) die("shm_open");
      if (fd < 0) usleep(1000);
    }
    if (fd < 0) die(name);
    struct stat st;
    if (fstat(fd, &st) != 0) die("fstat");
    /* A creator sets the size right after creating it. */
    for (int i = 0; st.st_size < (off_t)size && i < 1000; i++) {
      usleep(1000);
      if (fstat(fd, &st) != 0) die("fstat");
    }
    if (st.st_size < (off_t)size) {
      fprintf(stderr, "%s is smaller than %zu bytes\n", name, size);
      exit(1);
    }
  }
  uint8_t *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) die("mmap");
  close(fd);
  return base;
}

static uint32_t *word(uint8_t *base, int index) { return (uint32_t *)(base + 4 * index); }

static void publish(uint8_t *base, uint32_t magic) {
  __atomic_store_n(word(base, W_VERSION), IPCKIT_LAYOUT_VERSION, __ATOMIC_RELAXED);
  __atomic_store_n(word(base, W_MAGIC), magic, __ATOMIC_RELEASE);
}

static void await_magic(uint8_t *base, uint32_t magic, const char *name) {
  for (int i = 0; i < 1000; i++) {
    if (__atomic_load_n(word(base, W_MAGIC), __ATOMIC_ACQUIRE) == magic) return;
    usleep(1000);
  }
  fprintf(stderr, "%s is not an ipckit object of the expected kind\n", name);
  exit(1);
}

/* A mutex: open it, or create it and initialise the robust pthread mutex. */
static pthread_mutex_t *mutex_open_or_create(const char *name, uint8_t **region) {
  int created;
  uint8_t *base = map_region(name, IPCKIT_MUTEX_BYTES, 1, &created);
  pthread_mutex_t *m = (pthread_mutex_t *)(base + IPCKIT_MUTEX_OFFSET);
  if (created) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (pthread_mutex_init(m, &attr) != 0) die("pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);
    publish(base, IPCKIT_MUTEX_MAGIC);
  } else {
    await_magic(base, IPCKIT_MUTEX_MAGIC, name);
  }
  *region = base;
  return m;
}

/* Locks; a holder that died is reported (1) and the mutex made consistent, as ipckit does. */
static int mutex_lock(pthread_mutex_t *m) {
  int r = pthread_mutex_lock(m);
  if (r == EOWNERDEAD) {
    pthread_mutex_consistent(m);
    return 1;
  }
  if (r != 0) {
    errno = r;
    die("pthread_mutex_lock");
  }
  return 0;
}

/* An event: open it, or create it (manual or auto reset, initially reset). */
static uint8_t *event_open_or_create(const char *name, int manual, int *created) {
  uint8_t *base = map_region(name, IPCKIT_EVENT_BYTES, 1, created);
  if (*created) {
    __atomic_store_n(word(base, W_INFO), manual ? IPCKIT_EVENT_MANUAL : 0u, __ATOMIC_RELAXED);
    publish(base, IPCKIT_EVENT_MAGIC);
  } else {
    await_magic(base, IPCKIT_EVENT_MAGIC, name);
  }
  return base;
}

static long futex(uint32_t *addr, int op, uint32_t value) { return syscall(SYS_futex, addr, op, value, NULL, NULL, 0); }

static int event_manual(uint8_t *event) { return (__atomic_load_n(word(event, W_INFO), __ATOMIC_RELAXED) & IPCKIT_EVENT_MANUAL) != 0; }

/* Sets the event: manual reset wakes everyone; auto reset grants one release (at most one per waiter). */
static void event_set(uint8_t *event) {
  uint32_t *state = word(event, W_STATE);
  if (event_manual(event)) {
    __atomic_store_n(state, 1u, __ATOMIC_RELEASE);
    futex(state, FUTEX_WAKE, INT_MAX);
    return;
  }
  for (;;) {
    uint32_t granted = __atomic_load_n(state, __ATOMIC_ACQUIRE);
    uint32_t waiters = __atomic_load_n(word(event, W_WAITERS), __ATOMIC_ACQUIRE);
    uint32_t cap = waiters > 1 ? waiters : 1;
    if (granted >= cap) return;
    if (__atomic_compare_exchange_n(state, &granted, granted + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) break;
  }
  futex(state, FUTEX_WAKE, 1);
}

/* Waits until the event is set (and takes it, for auto reset). */
static void event_wait(uint8_t *event) {
  uint32_t *state = word(event, W_STATE);
  if (event_manual(event)) {
    while (__atomic_load_n(state, __ATOMIC_ACQUIRE) == 0) futex(state, FUTEX_WAIT, 0);
    return;
  }
  __atomic_add_fetch(word(event, W_WAITERS), 1, __ATOMIC_ACQ_REL);
  for (;;) {
    uint32_t granted = __atomic_load_n(state, __ATOMIC_ACQUIRE);
    if (granted > 0) {
      if (__atomic_compare_exchange_n(state, &granted, granted - 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) break;
      continue;
    }
    futex(state, FUTEX_WAIT, 0);
  }
  __atomic_sub_fetch(word(event, W_WAITERS), 1, __ATOMIC_ACQ_REL);
}

#endif
