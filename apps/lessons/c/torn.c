/*
 * Lesson 4 in C: the reader of a record another process keeps rewriting,
 * without a lock and then with ipckit's named mutex, and the next holder
 * of a mutex whose holder died.
 *
 *   torn peek <name> [--lock <count>]    read the record; count the torn reads
 *   torn check <name>                    take the mutex; report an abandoned one; repair the record
 *
 * The article's MemRead copies the struct out of the view (stu = *lpstu)
 * while MemWrite may be writing it: nothing makes the 32 bytes arrive
 * together. A read that sees half of one write and half of the next is a
 * torn read.
 */
#include "sync.h"

static void show(const struct record *r, char *out, size_t size) { snprintf(out, size, "{ID: %d, name: \"%.28s\"}", (int)r->ID, r->name); }

static void peek(const char *name, int locked, long count) {
  volatile struct record *shared = open_shared(name, sizeof(struct record));
  struct record copy;
  char text[100];
  if (!locked) {
    long reads = 0, torn = 0;
    struct record example;
    uint64_t deadline = now_ns() + 10000000000ull;
    while ((torn == 0 || reads < 100000) && now_ns() < deadline) {
      for (int i = 0; i < 1000; i++) {
        /* #region copy */
        /* stu = *lpstu, with nobody taking turns. The barriers stop the compiler
         * from reading shared memory again later instead of using this copy:
         * without a lock this is a data race, and C lets it assume there is none. */
        COMPILER_BARRIER();
        memcpy(&copy, (const void *)shared, sizeof copy);
        COMPILER_BARRIER();
        reads++;
        if (!consistent(&copy)) {
          if (torn++ == 0) example = copy;
        }
        /* #endregion copy */
      }
    }
    if (torn > 0) show(&example, text, sizeof text);
    say("read %ld times without the lock: %ld torn%s%s", reads, torn, torn > 0 ? ", e.g. " : "", torn > 0 ? text : "");
    return;
  }
  lock_t lock = open_lock(name);
  long torn = 0;
  for (long i = 0; i < count; i++) {
    lock_take(lock);
    memcpy(&copy, (const void *)shared, sizeof copy);
    lock_give(lock);
    if (!consistent(&copy)) torn++;
  }
  say("read %ld times with the lock: %ld torn", count, torn);
}

static void check(const char *name) {
  struct record *shared = open_shared(name, sizeof(struct record));
  lock_t lock = open_lock(name);
  char text[100];
  /* #region check */
  int abandoned = lock_take(lock);
  show(shared, text, sizeof text);
  if (abandoned) say("took the lock: %s, its holder died holding it; the record is %s: %s", abandoned_name(), consistent(shared) ? "consistent" : "torn", text);
  else say("took the lock; the record is %s: %s", consistent(shared) ? "consistent" : "torn", text);
  if (abandoned || !consistent(shared)) {
    shared->ID = 1;
    memset(shared->name, 'A', 27);
    shared->name[27] = 0;
    show(shared, text, sizeof text);
    say("repaired it: %s", text);
  }
  lock_give(lock);
  /* #endregion check */
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "peek") == 0) {
    int locked = argc >= 5 && strcmp(argv[3], "--lock") == 0;
    peek(argv[2], locked, locked ? atol(argv[4]) : 0);
  } else if (argc >= 3 && strcmp(argv[1], "check") == 0) {
    check(argv[2]);
  } else {
    fprintf(stderr, "usage: %s peek <name> [--lock <count>] | check <name>\n", argv[0]);
    return 2;
  }
  return 0;
}
