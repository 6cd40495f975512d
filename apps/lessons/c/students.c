/*
 * Lesson 4, the students scenario in C (after packages/sync/examples/students/c):
 * the series' writer and reader with a mutex and two events, taking part with
 * the Node programs (src/04-sync/students-*.ts) by the same names.
 *
 *   students reader <base>    waits on <base>.ready, reads the 30 records under <base>.lock, sets <base>.done
 *   students writer <base>    creates <base>, writes 30 records under the mutex, sets "ready", waits for "done"
 *
 * Fixed from the articles: a wide name (never a cast), INVALID_HANDLE_VALUE
 * for a paging-file mapping, ERROR_ALREADY_EXISTS checked, every handle and
 * view closed, and the reader told by an event instead of hoping it waits.
 */
#include "sync.h"

struct student {
  long ID;
  char name[20];
};
#define COUNT 30

#ifdef _WIN32
typedef HANDLE event_t;
static event_t event_open(const char *base, const char *suffix, BOOL manual) {
  char name[300];
  wchar_t wide[300];
  snprintf(name, sizeof name, "%s%s", base, suffix);
  to_wide(name, wide, 300);
  HANDLE e = CreateEventW(NULL, manual, FALSE, wide); /* opens it when it exists */
  if (e == NULL) fail("CreateEventW", GetLastError());
  return e;
}
static void event_signal(event_t e) { SetEvent(e); }
static void event_await(event_t e) {
  if (WaitForSingleObject(e, 30000) != WAIT_OBJECT_0) fail("WaitForSingleObject", GetLastError());
}
static void event_close(event_t e, const char *base, const char *suffix) {
  (void)base;
  (void)suffix;
  CloseHandle(e); /* the event goes with its last handle */
}
#else
typedef uint8_t *event_t;
/* Which events this process created: it is the one to remove their names (shm_unlink). */
static int created_ready, created_done;
static event_t event_open(const char *base, const char *suffix, int manual) {
  char name[300];
  snprintf(name, sizeof name, "/%s%s", base, suffix);
  return event_open_or_create(name, manual, strcmp(suffix, ".ready") == 0 ? &created_ready : &created_done);
}
static void event_signal(event_t e) { event_set(e); }
static void event_await(event_t e) { event_wait(e); }
static void event_close(event_t e, const char *base, const char *suffix) {
  char name[300];
  snprintf(name, sizeof name, "/%s%s", base, suffix);
  munmap(e, IPCKIT_EVENT_BYTES);
  if (strcmp(suffix, ".ready") == 0 ? created_ready : created_done) shm_unlink(name);
}
#endif

static void reader(const char *base) {
  /* #region reader */
  event_t ready = event_open(base, ".ready", 1), done = event_open(base, ".done", 0);
  say("waiting for \"ready\"");
  event_await(ready); /* asleep in the kernel until the writer sets it */
  const struct student *students = open_shared(base, COUNT * sizeof(struct student));
  lock_t lock = open_lock(base);
  struct student copy[COUNT];
  lock_take(lock);
  memcpy(copy, students, sizeof copy);
  lock_give(lock);
  say("read %d records: first {ID: %ld, name: \"%.20s\"}, last {ID: %ld, name: \"%.20s\"}", COUNT, copy[0].ID, copy[0].name, copy[COUNT - 1].ID, copy[COUNT - 1].name);
  event_signal(done);
  /* #endregion reader */
#ifdef _WIN32
  UnmapViewOfFile(students);
  CloseHandle(lock);
#else
  munmap((void *)students, COUNT * sizeof(struct student));
#endif
  event_close(ready, base, ".ready");
  event_close(done, base, ".done");
}

static void writer(const char *base) {
  event_t ready = event_open(base, ".ready", 1), done = event_open(base, ".done", 0);
  size_t bytes = COUNT * sizeof(struct student);
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(base, wide, 300);
  HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)bytes, wide);
  DWORD error = GetLastError();
  if (mapping == NULL) fail("CreateFileMappingW", error);
  if (error == ERROR_ALREADY_EXISTS) fail("CreateFileMappingW: the name is taken", error);
  struct student *students = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, bytes);
  if (students == NULL) fail("MapViewOfFile", GetLastError());
  char lock_name[300];
  snprintf(lock_name, sizeof lock_name, "%s.lock", base);
  to_wide(lock_name, wide, 300);
  HANDLE lock = CreateMutexW(NULL, FALSE, wide);
  if (lock == NULL) fail("CreateMutexW", GetLastError());
#else
  char path[300], lock_name[300];
  int created;
  snprintf(path, sizeof path, "/%s", base);
  snprintf(lock_name, sizeof lock_name, "/%s.lock", base);
  struct student *students = (struct student *)map_region(path, bytes, 1, &created);
  if (!created) fail("shm_open: the name is taken", EEXIST);
  uint8_t *lock_region;
  pthread_mutex_t *lock = mutex_open_or_create(lock_name, &lock_region);
#endif
  lock_take(lock);
  for (int i = 0; i < COUNT; i++) {
    students[i].ID = 99041200 + i;
    snprintf(students[i].name, sizeof students[i].name, "student-%02d", i);
  }
  lock_give(lock);
  say("wrote %d records of %zu bytes under the mutex; setting \"ready\"", COUNT, sizeof(struct student));
  event_signal(ready);
  event_await(done);
  say("the reader set \"done\": closing everything");
#ifdef _WIN32
  UnmapViewOfFile(students);
  CloseHandle(mapping);
  CloseHandle(lock);
#else
  munmap(students, bytes);
  munmap(lock_region, IPCKIT_MUTEX_BYTES);
  shm_unlink(path); /* the creator forgets the names it made, as ipckit does */
  shm_unlink(lock_name);
#endif
  event_close(ready, base, ".ready");
  event_close(done, base, ".done");
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "reader") == 0) reader(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "writer") == 0) writer(argv[2]);
  else {
    fprintf(stderr, "usage: %s reader|writer <base>\n", argv[0]);
    return 2;
  }
  return 0;
}
