/*
 * Lesson 4: a bounded buffer between two processes, with two counting
 * semaphores, on both OSes (Dijkstra's producer and consumer).
 *
 *   bounded_buffer producer <name> <count>   creates the buffer (4 slots) and its two
 *                                            semaphores, puts <count> items, blocking when full
 *   bounded_buffer consumer <name> <count>   opens them and takes <count> items, blocking when empty
 *
 * "empty" counts the free slots (it starts at 4), "full" the slots holding
 * an item (it starts at 0). The producer takes a unit of "empty" before it
 * writes a slot and gives one to "full" after; the consumer the other way
 * round. One producer and one consumer: each keeps its own slot index, so
 * the semaphores are all they share besides the slots. With several
 * producers the index they share would need a lock (a mutex, or a third
 * semaphore of one unit).
 *
 * Windows: CreateFileMappingW / OpenFileMappingW for the slots,
 * CreateSemaphoreW / OpenSemaphoreW, WaitForSingleObject, ReleaseSemaphore.
 * POSIX: shm_open + mmap for the slots, sem_open, sem_wait, sem_post.
 *
 *   cc -O2 -Wall -pthread -o bounded_buffer bounded_buffer.c
 *   x86_64-w64-mingw32-gcc -O2 -Wall -static -o bounded_buffer.exe bounded_buffer.c
 *   cl /W4 /D_CRT_SECURE_NO_WARNINGS bounded_buffer.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#endif

#define SLOTS 4
#define WATCHDOG_MS 30000 /* no wait here lasts for ever: a lost peer is an error, not a hang */

struct item {
  uint32_t number;
  char text[28];
};

/* The shared region: the slots, nothing else. */
struct buffer {
  struct item slot[SLOTS];
};

#ifdef _WIN32
typedef HANDLE semaphore_t;

static void wide_name(const char *base, const char *suffix, wchar_t *out, int count) {
  char name[300];
  snprintf(name, sizeof name, "%s%s", base, suffix);
  to_wide(name, out, count);
}

/* #region create-win32 */
/* A new semaphore holding `initial` units, at most `max`: Windows enforces the maximum. */
static semaphore_t semaphore_create(const char *base, const char *suffix, LONG initial, LONG max) {
  wchar_t wide[300];
  wide_name(base, suffix, wide, 300);
  HANDLE s = CreateSemaphoreW(NULL, initial, max, wide);
  DWORD error = GetLastError();
  if (s == NULL) fail("CreateSemaphoreW", error);
  if (error == ERROR_ALREADY_EXISTS) fail("CreateSemaphoreW: the name is taken", error);
  return s;
}
/* #endregion create-win32 */

static semaphore_t semaphore_open(const char *base, const char *suffix) {
  wchar_t wide[300];
  wide_name(base, suffix, wide, 300);
  /* SYNCHRONIZE to wait on it, SEMAPHORE_MODIFY_STATE to release it: nothing more. */
  HANDLE s = OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, wide);
  if (s == NULL) fail("OpenSemaphoreW", GetLastError());
  return s;
}

/* #region wait-win32 */
/* Takes one unit if there is one (1), without waiting; 0 when there is none. */
static int semaphore_try(semaphore_t s) {
  DWORD r = WaitForSingleObject(s, 0); /* a look, not a wait */
  if (r == WAIT_OBJECT_0) return 1;
  if (r != WAIT_TIMEOUT) fail("WaitForSingleObject", r == WAIT_FAILED ? GetLastError() : r);
  return 0;
}

/* Takes one unit, asleep in the kernel until there is one. */
static void semaphore_wait(semaphore_t s) {
  DWORD r = WaitForSingleObject(s, WATCHDOG_MS);
  if (r != WAIT_OBJECT_0) fail("WaitForSingleObject", r == WAIT_FAILED ? GetLastError() : r);
}

/* Gives one unit back (the count before is what ReleaseSemaphore reports). */
static void semaphore_give(semaphore_t s) {
  LONG before;
  if (!ReleaseSemaphore(s, 1, &before)) fail("ReleaseSemaphore", GetLastError()); /* ERROR_TOO_MANY_POSTS past the maximum */
}
/* #endregion wait-win32 */

static struct buffer *buffer_create(const char *base, HANDLE *mapping) {
  wchar_t wide[300];
  to_wide(base, wide, 300);
  *mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)sizeof(struct buffer), wide);
  DWORD error = GetLastError();
  if (*mapping == NULL) fail("CreateFileMappingW", error);
  if (error == ERROR_ALREADY_EXISTS) fail("CreateFileMappingW: the name is taken", error);
  struct buffer *b = MapViewOfFile(*mapping, FILE_MAP_WRITE, 0, 0, sizeof(struct buffer));
  if (b == NULL) fail("MapViewOfFile", GetLastError());
  return b;
}

static struct buffer *buffer_open(const char *base, HANDLE *mapping) {
  wchar_t wide[300];
  to_wide(base, wide, 300);
  *mapping = OpenFileMappingW(FILE_MAP_READ, FALSE, wide);
  if (*mapping == NULL) fail("OpenFileMappingW", GetLastError());
  struct buffer *b = MapViewOfFile(*mapping, FILE_MAP_READ, 0, 0, sizeof(struct buffer));
  if (b == NULL) fail("MapViewOfFile", GetLastError());
  return b;
}

static void buffer_close(struct buffer *b, HANDLE mapping, const char *base, int creator) {
  (void)base;
  (void)creator;
  UnmapViewOfFile(b);
  CloseHandle(mapping); /* the mapping goes with its last handle and view */
}

static void semaphore_close(semaphore_t s, const char *base, const char *suffix, int creator) {
  (void)base;
  (void)suffix;
  (void)creator;
  CloseHandle(s); /* the semaphore goes with its last handle */
}
#else
typedef sem_t *semaphore_t;
typedef int mapping_t;

static void posix_name(const char *base, const char *suffix, char *out, size_t size) { snprintf(out, size, "/%s%s", base, suffix); }

/* #region create-posix */
/* A new semaphore holding `initial` units. POSIX has no maximum (up to SEM_VALUE_MAX): `max` is
 * the program's promise, not the OS's. */
static semaphore_t semaphore_create(const char *base, const char *suffix, unsigned initial, unsigned max) {
  (void)max;
  char name[300];
  posix_name(base, suffix, name, sizeof name);
  sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, initial); /* exclusive, owner-only */
  if (s == SEM_FAILED) fail("sem_open", errno);
  return s;
}
/* #endregion create-posix */

static semaphore_t semaphore_open(const char *base, const char *suffix) {
  char name[300];
  posix_name(base, suffix, name, sizeof name);
  sem_t *s = sem_open(name, 0);
  if (s == SEM_FAILED) fail("sem_open", errno);
  return s;
}

/* #region wait-posix */
/* Takes one unit if there is one (1), without waiting; 0 when there is none. */
static int semaphore_try(semaphore_t s) {
  if (sem_trywait(s) == 0) return 1; /* a look, not a wait */
  if (errno != EAGAIN) fail("sem_trywait", errno);
  return 0;
}

/* Takes one unit, asleep in the kernel (a futex) until there is one. */
static void semaphore_wait(semaphore_t s) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until); /* sem_timedwait's deadline is on the wall clock */
  until.tv_sec += WATCHDOG_MS / 1000;
  while (sem_timedwait(s, &until) != 0)
    if (errno != EINTR) fail("sem_timedwait", errno);
}

static void semaphore_give(semaphore_t s) {
  if (sem_post(s) != 0) fail("sem_post", errno); /* EOVERFLOW past SEM_VALUE_MAX */
}
/* #endregion wait-posix */

static struct buffer *buffer_create(const char *base, mapping_t *mapping) {
  char name[300];
  posix_name(base, "", name, sizeof name);
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) fail("shm_open", errno);
  if (ftruncate(fd, sizeof(struct buffer)) != 0) fail("ftruncate", errno);
  void *p = mmap(NULL, sizeof(struct buffer), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail("mmap", errno);
  close(fd); /* the mapping keeps the memory */
  *mapping = 0;
  return p;
}

static struct buffer *buffer_open(const char *base, mapping_t *mapping) {
  char name[300];
  posix_name(base, "", name, sizeof name);
  int fd = shm_open(name, O_RDONLY, 0);
  if (fd < 0) fail("shm_open", errno);
  void *p = mmap(NULL, sizeof(struct buffer), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail("mmap", errno);
  close(fd);
  *mapping = 0;
  return p;
}

static void buffer_close(struct buffer *b, mapping_t mapping, const char *base, int creator) {
  (void)mapping;
  munmap(b, sizeof(struct buffer));
  if (creator) {
    char name[300];
    posix_name(base, "", name, sizeof name);
    shm_unlink(name); /* the name goes now; the memory with the last mapping */
  }
}

static void semaphore_close(semaphore_t s, const char *base, const char *suffix, int creator) {
  sem_close(s);
  if (creator) {
    char name[300];
    posix_name(base, suffix, name, sizeof name);
    sem_unlink(name); /* a POSIX semaphore stays until unlinked, even with nobody using it */
  }
}
#endif

static void producer(const char *base, long count) {
#ifdef _WIN32
  HANDLE mapping;
#else
  mapping_t mapping;
#endif
  struct buffer *b = buffer_create(base, &mapping);
  semaphore_t empty = semaphore_create(base, ".empty", SLOTS, SLOTS);
  semaphore_t full = semaphore_create(base, ".full", 0, SLOTS);
  say("created a buffer of %d slots in \"%s\" and two semaphores: empty = %d, full = 0", SLOTS, base, SLOTS);
  long waited = 0;
  /* #region produce */
  for (long i = 1; i <= count; i++) {
    if (!semaphore_try(empty)) { /* no free slot: the consumer is SLOTS items behind */
      if (waited++ == 0) say("item %ld: all %d slots are full; waiting on \"empty\" for the consumer", i, SLOTS);
      semaphore_wait(empty);
    }
    struct item *slot = &b->slot[(i - 1) % SLOTS];
    slot->number = (uint32_t)i;
    snprintf(slot->text, sizeof slot->text, "item %ld", i);
    if (i == count) say("put %ld items; found the buffer full %ld times", count, waited);
    semaphore_give(full); /* one more item for the consumer: it may wake */
  }
  /* #endregion produce */
  semaphore_close(empty, base, ".empty", 1);
  semaphore_close(full, base, ".full", 1);
  buffer_close(b, mapping, base, 1);
}

static void consumer(const char *base, long count) {
#ifdef _WIN32
  HANDLE mapping;
#else
  mapping_t mapping;
#endif
  const struct buffer *b = buffer_open(base, &mapping);
  semaphore_t empty = semaphore_open(base, ".empty");
  semaphore_t full = semaphore_open(base, ".full");
  say("opened the buffer and its semaphores; taking %ld items", count);
  long out_of_order = 0, waited = 0;
  char first[28] = "", last[28] = "";
  /* #region consume */
  for (long i = 1; i <= count; i++) {
    if (!semaphore_try(full)) { /* no item yet: the producer is behind */
      waited++;
      semaphore_wait(full);
    }
    struct item copy = b->slot[(i - 1) % SLOTS];
    semaphore_give(empty); /* the slot is free again: the producer may wake */
    if (copy.number != (uint32_t)i) out_of_order++;
    if (i == 1) memcpy(first, copy.text, sizeof first);
    if (i == count) memcpy(last, copy.text, sizeof last);
  }
  /* #endregion consume */
  first[27] = last[27] = 0;
  say("took %ld items, %s, from \"%s\" to \"%s\"; found the buffer empty %ld times", count, out_of_order == 0 ? "all in order" : "OUT OF ORDER", first, last, waited);
  semaphore_close(empty, base, ".empty", 0);
  semaphore_close(full, base, ".full", 0);
  buffer_close((struct buffer *)b, mapping, base, 0);
  if (out_of_order != 0) exit(1);
}

int main(int argc, char **argv) {
  long count = argc >= 4 ? atol(argv[3]) : 0;
  if (argc >= 4 && count > 0 && strcmp(argv[1], "producer") == 0) producer(argv[2], count);
  else if (argc >= 4 && count > 0 && strcmp(argv[1], "consumer") == 0) consumer(argv[2], count);
  else {
    fprintf(stderr, "usage: %s producer|consumer <name> <count>\n", argv[0]);
    return 2;
  }
  return 0;
}
