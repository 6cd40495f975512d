/*
 * Lesson 8, exercise: take a lock without waiting, or say that someone
 * holds it. Locks bytes 0-99 of <file> for writing; if another process
 * holds a lock there, says "busy" and exits with 1 instead of waiting.
 *
 *   ex8_lock <file>     "locked bytes 0-99, then released them", or
 *                       "busy: another process holds bytes 0-99"
 *
 * Build: cc -O2 -Wall -o ex8_lock ex8_lock.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o ex8_lock.exe ex8_lock.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS ex8_lock.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#endif

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <file>\n", argv[0]);
    return 2;
  }
  /* #region lock */
#ifdef _WIN32
  wchar_t path[1000];
  to_wide(argv[1], path, 1000);
  HANDLE h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
  if (h == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  OVERLAPPED at = {0};
  if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 100, 0, &at)) {
    if (GetLastError() != ERROR_LOCK_VIOLATION) fail("LockFileEx", GetLastError());
    say("busy: another process holds bytes 0-99");
    return 1;
  }
  UnlockFileEx(h, 0, 100, 0, &at);
  CloseHandle(h);
#else
  int fd = open(argv[1], O_RDWR | O_CLOEXEC);
  if (fd < 0) fail("open", errno);
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
  if (fcntl(fd, F_SETLK, &l) != 0) { /* F_SETLK: never waits */
    if (errno != EAGAIN && errno != EACCES) fail("fcntl(F_SETLK)", errno);
    say("busy: another process holds bytes 0-99");
    return 1;
  }
  l.l_type = F_UNLCK;
  fcntl(fd, F_SETLK, &l);
  close(fd);
#endif
  say("locked bytes 0-99, then released them");
  /* #endregion lock */
  return 0;
}
