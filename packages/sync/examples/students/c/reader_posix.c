/* The articles' reader, in C, on Linux, taking part with ipckit's Node
 * programs (writer.mjs): started first, it waits on <base>.ready, takes
 * <base>.lock, reads the 30 records of <base> and sets <base>.done.
 *   cc -O2 -Wall -o reader reader_posix.c -pthread      ./reader <base name> */
#include "ipckit_sync_posix.h"
#include "student.h"

static void print_student(const char *key, const struct student *s) {
  printf("\"%s\":{\"ID\":%ld,\"name\":\"%.*s\"}", key, s->ID, (int)sizeof s->name, s->name);
}

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
  printf("{\"event\":\"waiting\"}\n");
  fflush(stdout);
  event_wait(ready);

  const struct student *students = (const struct student *)map_region(region_name, STUDENT_COUNT * sizeof(struct student), 0, &region_created);
  uint8_t *lock_region;
  pthread_mutex_t *lock = mutex_open_or_create(lock_name, &lock_region);
  struct student copy[STUDENT_COUNT];
  mutex_lock(lock);
  memcpy(copy, students, sizeof copy);
  pthread_mutex_unlock(lock);

  printf("{\"event\":\"read\",\"count\":%d,", STUDENT_COUNT);
  print_student("first", &copy[0]);
  printf(",");
  print_student("last", &copy[STUDENT_COUNT - 1]);
  printf("}\n");
  fflush(stdout);
  event_set(done);

  munmap((void *)students, STUDENT_COUNT * sizeof(struct student));
  munmap(lock_region, IPCKIT_MUTEX_BYTES);
  munmap(ready, IPCKIT_EVENT_BYTES);
  munmap(done, IPCKIT_EVENT_BYTES);
  if (ready_created) shm_unlink(ready_name);
  if (done_created) shm_unlink(done_name);
  return 0;
}
