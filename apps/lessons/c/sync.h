/*
 * Lesson 4's shared pieces in C: the record, the region it lives in and
 * its named mutex, on both OSes. ipckit's own objects, by the OS's calls:
 * on Windows the kernel objects by name (OpenFileMappingW, OpenMutexW,
 * OpenEventW); on Linux the layouts of docs/sync.md, through the header
 * packages/sync/examples/students/c/ipckit_sync_posix.h.
 */
#ifndef SYNC_H
#define SYNC_H

#include "lesson.h"

#ifndef _WIN32
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../../../packages/sync/examples/students/c/ipckit_sync_posix.h"
#pragma GCC diagnostic pop
#endif

/* Fixed-width fields: 32 bytes on every OS (src/04-sync/record.ts). */
struct record {
  int32_t ID;
  char name[28];
};

/* A consistent record: {1, 27 x 'A'} or {2, 27 x 'B'}. */
static inline int consistent(const struct record *r) {
  char letter = r->ID == 1 ? 'A' : r->ID == 2 ? 'B' : 0;
  if (letter == 0) return 0;
  for (int i = 0; i < 27; i++)
    if (r->name[i] != letter) return 0;
  return r->name[27] == 0;
}

#ifdef _WIN32
typedef HANDLE lock_t;
#else
typedef pthread_mutex_t *lock_t;
#endif

/* Maps the existing region `name`, read-write. */
static inline void *open_shared(const char *name, size_t size) {
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(name, wide, 300);
  HANDLE mapping = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wide);
  if (mapping == NULL) fail("OpenFileMappingW", GetLastError());
  void *p = MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, size);
  if (p == NULL) fail("MapViewOfFile", GetLastError());
  CloseHandle(mapping); /* the view keeps the object alive */
  return p;
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  int created;
  return map_region(path, size, 0, &created);
#endif
}

/* Opens the mutex `<name>.lock` that ipckit's createMutex made. */
static inline lock_t open_lock(const char *name) {
  char lock_name[300];
#ifdef _WIN32
  wchar_t wide[300];
  snprintf(lock_name, sizeof lock_name, "%s.lock", name);
  to_wide(lock_name, wide, 300);
  HANDLE lock = OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, wide);
  if (lock == NULL) fail("OpenMutexW", GetLastError());
  return lock;
#else
  snprintf(lock_name, sizeof lock_name, "/%s.lock", name);
  uint8_t *region;
  return mutex_open_or_create(lock_name, &region);
#endif
}

/* #region lock */
/* Takes the mutex; returns 1 when its holder died holding it (abandoned). */
static inline int lock_take(lock_t lock) {
#ifdef _WIN32
  DWORD r = WaitForSingleObject(lock, 10000);
  if (r == WAIT_ABANDONED) return 1; /* ours now, but the last holder never released it */
  if (r != WAIT_OBJECT_0) fail("WaitForSingleObject", r == WAIT_FAILED ? GetLastError() : r);
  return 0;
#else
  return mutex_lock(lock); /* EOWNERDEAD: made consistent and reported as 1 */
#endif
}

static inline void lock_give(lock_t lock) {
#ifdef _WIN32
  ReleaseMutex(lock);
#else
  pthread_mutex_unlock(lock);
#endif
}
/* #endregion lock */

/* What the OS calls an abandoned mutex. */
static inline const char *abandoned_name(void) {
#ifdef _WIN32
  return "WAIT_ABANDONED";
#else
  return "EOWNERDEAD";
#endif
}

/* COMPILER_BARRIER(), which keeps the compiler from caching shared memory in
 * registers across a loop, is in lesson.h, for gcc and MSVC alike. */

#endif
