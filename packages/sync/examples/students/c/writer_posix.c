/* The articles' writer, in C, on Linux, taking part with ipckit's Node
 * programs (reader.mjs): the same objects, by the layouts of docs/sync.md.
 *   cc -O2 -Wall -o writer writer_posix.c -pthread      ./writer <base name>
 * Creates the region <base>, fills 30 records under the mutex <base>.lock,
 * sets the manual-reset event <base>.ready, waits for <base>.done. */
#include "ipckit_sync_posix.h"
#include "student.h"

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : "students";
  char region_name[256], lock_name[256], ready_name[256], done_name[256];
  object_name(region_name, sizeof region_name, base, "");
  object_name(lock_name, sizeof lock_name, base, ".lock");
  object_name(ready_name, sizeof ready_name, base, ".ready");
  object_name(done_name, sizeof done_name, base, ".done");

  int ready_created, done_created, region_created;
  uint8_t *ready = event_open_or_create(ready_name, 1, &ready_created);
  uint8_t *done = event_open_or_create(done_name, 0, &done_created);
  struct student *students = (struct student *)map_region(region_name, STUDENT_COUNT * sizeof(struct student), 1, &region_created);
  if (!region_created) {
    fprintf(stderr, "%s already exists\n", region_name);
    return 1;
  }
  uint8_t *lock_region;
  pthread_mutex_t *lock = mutex_open_or_create(lock_name, &lock_region);

  mutex_lock(lock);
  for (int i = 0; i < STUDENT_COUNT; i++) {
    students[i].ID = 99041200 + i;
    snprintf(students[i].name, sizeof students[i].name, "student-%02d", i);
  }
  pthread_mutex_unlock(lock);
  printf("{\"event\":\"written\",\"count\":%d,\"recordBytes\":%zu}\n", STUDENT_COUNT, sizeof(struct student));
  fflush(stdout);
  event_set(ready);
  event_wait(done);

  munmap(students, STUDENT_COUNT * sizeof(struct student));
  munmap(lock_region, IPCKIT_MUTEX_BYTES);
  munmap(ready, IPCKIT_EVENT_BYTES);
  munmap(done, IPCKIT_EVENT_BYTES);
  /* Names are forgotten by whoever created them (ipckit's default, unlinkOnClose). */
  shm_unlink(region_name);
  shm_unlink(lock_name);
  if (ready_created) shm_unlink(ready_name);
  if (done_created) shm_unlink(done_name);
  printf("{\"event\":\"done\"}\n");
  return 0;
}
