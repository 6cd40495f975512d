/*
 * Lesson 4: waiting for a condition another process makes true, under a
 * lock. On POSIX, a condition variable and a robust mutex in shared memory,
 * both PTHREAD_PROCESS_SHARED. Windows has no condition variable two
 * processes can share (CONDITION_VARIABLE is a user-mode object of one
 * process), so the Windows branch pairs a named mutex with a named
 * auto-reset event and waits with SignalObjectAndWait.
 *
 *   condvar waiter <name> <n>   creates the shared state, waits until <n> jobs are done
 *   condvar worker <name> <n>   opens it and does <n> jobs, signalling after each
 *
 *   cc -O2 -Wall -pthread -o condvar condvar.c
 *   x86_64-w64-mingw32-gcc -O2 -Wall -static -o condvar.exe condvar.c
 *   cl /W4 /D_CRT_SECURE_NO_WARNINGS condvar.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#endif

#define WATCHDOG_MS 30000 /* no wait here lasts for ever: a lost peer is an error, not a hang */
#define READY 0x56434e44u  /* 'DNCV': written last by the creator, once the rest is set up */

#ifndef _WIN32
/* #region shared-posix */
/* The shared state, in one region: the condition, and the lock and condition variable that guard it. */
struct shared {
  uint32_t ready; /* READY once the creator has initialised the rest */
  uint32_t done;  /* the condition: how many jobs are done (under `lock`) */
  pthread_mutex_t lock;
  pthread_cond_t changed;
};

static void init_shared(struct shared *s) {
  pthread_mutexattr_t m;
  pthread_mutexattr_init(&m);
  pthread_mutexattr_setpshared(&m, PTHREAD_PROCESS_SHARED); /* usable from every process that maps it */
  pthread_mutexattr_setrobust(&m, PTHREAD_MUTEX_ROBUST);    /* a holder's death is reported (EOWNERDEAD) */
  int r = pthread_mutex_init(&s->lock, &m);
  if (r != 0) fail("pthread_mutex_init", r);
  pthread_mutexattr_destroy(&m);
  pthread_condattr_t c;
  pthread_condattr_init(&c);
  pthread_condattr_setpshared(&c, PTHREAD_PROCESS_SHARED);
  pthread_condattr_setclock(&c, CLOCK_MONOTONIC); /* deadlines that a change of the wall clock does not move */
  r = pthread_cond_init(&s->changed, &c);
  if (r != 0) fail("pthread_cond_init", r);
  pthread_condattr_destroy(&c);
  s->done = 0;
  atomic_store_u32(&s->ready, READY); /* last: an opener that sees READY sees the rest set up */
}
/* #endregion shared-posix */

/* What a robust mutex's lock returns: 0, or EOWNERDEAD when its holder died holding it. Then the
 * condition it guards may be half-updated: this program's is one counter, so it keeps it; a real
 * one checks and repairs it, and then marks the mutex consistent (or nobody can lock it again). */
static void after_lock(struct shared *s, int r, const char *call) {
  if (r == EOWNERDEAD) {
    say("%s: EOWNERDEAD, the last holder died holding the lock; done = %u", call, (unsigned)s->done);
    pthread_mutex_consistent(&s->lock);
  } else if (r != 0) {
    fail(call, r);
  }
}

static void lock(struct shared *s) { after_lock(s, pthread_mutex_lock(&s->lock), "pthread_mutex_lock"); }
static void unlock(struct shared *s) { pthread_mutex_unlock(&s->lock); }

static struct shared *map_shared(const char *base, int create) {
  char name[300];
  snprintf(name, sizeof name, "/%s", base);
  int fd = shm_open(name, create ? O_CREAT | O_EXCL | O_RDWR : O_RDWR, 0600);
  if (fd < 0) fail("shm_open", errno);
  if (create && ftruncate(fd, sizeof(struct shared)) != 0) fail("ftruncate", errno);
  void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail("mmap", errno);
  close(fd);
  struct shared *s = p;
  if (create) init_shared(s);
  else if (atomic_load_u32(&s->ready) != READY) fail("condvar: the waiter has not set the shared state up yet", EAGAIN);
  return s;
}

static void waiter(const char *base, uint32_t n) {
  struct shared *s = map_shared(base, 1);
  say("created \"%s\": a robust mutex and a condition variable, both PTHREAD_PROCESS_SHARED", base);
  long wakeups = 0;
  /* #region wait-posix */
  lock(s);
  say("waiting until %u jobs are done (%u so far)", (unsigned)n, (unsigned)s->done);
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += WATCHDOG_MS / 1000;
  while (s->done < n) { /* a wake-up is a hint, not a promise: check the condition again */
    /* Unlocks, sleeps until signalled, locks again: the unlock and the sleep are one step, so a
     * signal sent between them is not lost. */
    int r = pthread_cond_timedwait(&s->changed, &s->lock, &until);
    if (r == ETIMEDOUT) fail("pthread_cond_timedwait", r);
    after_lock(s, r, "pthread_cond_timedwait");
    wakeups++;
  }
  say("%u jobs done; woke up %ld %s to check", (unsigned)s->done, wakeups, wakeups == 1 ? "time" : "times");
  unlock(s);
  /* #endregion wait-posix */
  char name[300];
  snprintf(name, sizeof name, "/%s", base);
  munmap(s, sizeof *s); /* not destroyed: the worker may still be in pthread_mutex_unlock */
  shm_unlink(name);     /* the name goes; the memory with the last mapping */
}

static void worker(const char *base, uint32_t n) {
  struct shared *s = map_shared(base, 0);
  /* #region signal-posix */
  for (uint32_t i = 1; i <= n; i++) {
    lock(s);
    s->done = i; /* change the condition under the lock... */
    say("job %u of %u done; signalling", (unsigned)i, (unsigned)n);
    pthread_cond_signal(&s->changed); /* ...and wake a waiter (pthread_cond_broadcast: every one) */
    unlock(s);
  }
  /* #endregion signal-posix */
  munmap(s, sizeof *s);
}
#else
/* The shared state: the condition in a mapping, a named mutex guarding it, and a named auto-reset
 * event "it changed". Three kernel objects where POSIX needs one region. */
struct shared {
  uint32_t done; /* the condition: how many jobs are done (under the mutex) */
};

struct objects {
  HANDLE mapping, lock, changed;
  struct shared *s;
};

static HANDLE named(const char *base, const char *suffix, int create, int kind) {
  char name[300];
  wchar_t wide[300];
  snprintf(name, sizeof name, "%s%s", base, suffix);
  to_wide(name, wide, 300);
  HANDLE h;
  if (kind == 'm') h = create ? CreateMutexW(NULL, FALSE, wide) : OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, wide);
  else h = create ? CreateEventW(NULL, FALSE, FALSE, wide) /* auto-reset, not set */ : OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, wide);
  DWORD error = GetLastError();
  const char *call = kind == 'm' ? (create ? "CreateMutexW" : "OpenMutexW") : (create ? "CreateEventW" : "OpenEventW");
  if (h == NULL) fail(call, error);
  if (create && error == ERROR_ALREADY_EXISTS) fail(call, error);
  return h;
}

static struct objects open_objects(const char *base, int create) {
  struct objects o;
  wchar_t wide[300];
  to_wide(base, wide, 300);
  o.mapping = create ? CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)sizeof(struct shared), wide)
                     : OpenFileMappingW(FILE_MAP_WRITE, FALSE, wide);
  DWORD error = GetLastError();
  if (o.mapping == NULL) fail(create ? "CreateFileMappingW" : "OpenFileMappingW", error);
  if (create && error == ERROR_ALREADY_EXISTS) fail("CreateFileMappingW", error);
  o.s = MapViewOfFile(o.mapping, FILE_MAP_WRITE, 0, 0, sizeof(struct shared));
  if (o.s == NULL) fail("MapViewOfFile", GetLastError());
  o.lock = named(base, ".lock", create, 'm');
  o.changed = named(base, ".changed", create, 'e');
  return o;
}

static void close_objects(struct objects *o) {
  UnmapViewOfFile(o->s);
  CloseHandle(o->mapping); /* each object goes with its last handle */
  CloseHandle(o->lock);
  CloseHandle(o->changed);
}

/* What a wait that takes the mutex returns: WAIT_OBJECT_0, or WAIT_ABANDONED when its holder died
 * holding it (the mutex is ours; the condition may be half-updated). */
static void after_lock(struct objects *o, DWORD r, const char *call) {
  if (r == WAIT_ABANDONED) say("%s: WAIT_ABANDONED, the last holder died holding the lock; done = %u", call, (unsigned)o->s->done);
  else if (r != WAIT_OBJECT_0) fail(call, r == WAIT_FAILED ? GetLastError() : r);
}

static void lock(struct objects *o) { after_lock(o, WaitForSingleObject(o->lock, WATCHDOG_MS), "WaitForSingleObject"); }
static void unlock(struct objects *o) {
  if (!ReleaseMutex(o->lock)) fail("ReleaseMutex", GetLastError());
}

static void waiter(const char *base, uint32_t n) {
  struct objects o = open_objects(base, 1);
  say("created \"%s\": a named mutex and a named auto-reset event (Windows shares no condition variable)", base);
  long wakeups = 0;
  /* #region wait-win32 */
  lock(&o);
  say("waiting until %u jobs are done (%u so far)", (unsigned)n, (unsigned)o.s->done);
  while (o.s->done < n) { /* a wake-up is a hint, not a promise: check the condition again */
    /* Releases the mutex and waits on the event in one call. The event keeps a SetEvent that
     * comes before the wait, so even two calls would lose nothing; one is one trip to the kernel. */
    DWORD r = SignalObjectAndWait(o.lock, o.changed, WATCHDOG_MS, FALSE);
    if (r != WAIT_OBJECT_0) fail("SignalObjectAndWait", r == WAIT_FAILED ? GetLastError() : r);
    lock(&o); /* the condition is read under the mutex, as before */
    wakeups++;
  }
  say("%u jobs done; woke up %ld %s to check", (unsigned)o.s->done, wakeups, wakeups == 1 ? "time" : "times");
  unlock(&o);
  /* #endregion wait-win32 */
  close_objects(&o);
}

static void worker(const char *base, uint32_t n) {
  struct objects o = open_objects(base, 0);
  /* #region signal-win32 */
  for (uint32_t i = 1; i <= n; i++) {
    lock(&o);
    o.s->done = i; /* change the condition under the mutex... */
    say("job %u of %u done; signalling", (unsigned)i, (unsigned)n);
    if (!SetEvent(o.changed)) fail("SetEvent", GetLastError()); /* ...and wake the waiter (one: auto-reset) */
    unlock(&o);
  }
  /* #endregion signal-win32 */
  close_objects(&o);
}
#endif

int main(int argc, char **argv) {
  long n = argc >= 4 ? atol(argv[3]) : 0;
  if (argc >= 4 && n > 0 && strcmp(argv[1], "waiter") == 0) waiter(argv[2], (uint32_t)n);
  else if (argc >= 4 && n > 0 && strcmp(argv[1], "worker") == 0) worker(argv[2], (uint32_t)n);
  else {
    fprintf(stderr, "usage: %s waiter|worker <name> <n>\n", argv[0]);
    return 2;
  }
  return 0;
}
