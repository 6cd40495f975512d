/*
 * Lesson 8, exercise: take a lock without waiting, or say that someone holds it. Lock bytes 0-99
 * of <file> for writing; if another process holds a lock there, say "busy" and exit with 1 instead
 * of waiting. Complete the TODO, then check your attempt: npm run lesson -- check 8
 * (the solution: c/ex8_lock.c).
 *
 *   ex8_lock <file>     "locked bytes 0-99, then released them", or
 *                       "busy: another process holds bytes 0-99"
 *
 * Build by hand: cc -I ../c -o ex8_lock ex8_lock.c (Linux), or in a Visual Studio developer
 * prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS /I ..\c ex8_lock.c
 */
#include "lesson.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <file>\n", argv[0]);
    return 2;
  }
  /* TODO: open the file, then take a write lock on bytes 0-99 that fails at once instead of
   * waiting: fcntl(F_SETLK) with F_WRLCK (EAGAIN or EACCES when it is held), or LockFileEx with
   * LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY (ERROR_LOCK_VIOLATION). When it is held,
   * say "busy: another process holds bytes 0-99" and return 1; otherwise release it. */
  say("locked bytes 0-99, then released them");
  return 0;
}
