/*
 * Lesson 8, file locking: two processes and one byte range of a file.
 *
 *   tb_lock hold <file>   makes the file, locks bytes 0-99 for writing, and
 *                         holds the lock until "release" on stdin
 *   tb_lock try <file>    tries the same lock, writes into the range anyway,
 *                         then waits for the lock
 *   tb_lock owner <file>  who owns a lock: the process, or the open file
 *
 * POSIX: fcntl(F_SETLK) takes or fails at once (EAGAIN or EACCES),
 * F_SETLKW waits, F_GETLK says who holds a conflicting lock. The locks are
 * advisory: they stop only those who ask for a lock, never read or write.
 * A classic record lock belongs to the process: any close() of any
 * descriptor of the file drops it. F_OFD_SETLK (Linux 3.15) locks belong to
 * the open file description, as flock's do (fcntl_locking(2)).
 * Windows: LockFileEx(LOCKFILE_EXCLUSIVE_LOCK) locks are mandatory: ReadFile
 * and WriteFile of the range through any other handle fail with
 * ERROR_LOCK_VIOLATION. LOCKFILE_FAIL_IMMEDIATELY fails at once, without it
 * the call waits. A lock belongs to the handle that took it.
 *
 * Build: cc -O2 -Wall -o tb_lock tb_lock.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o tb_lock.exe tb_lock.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS tb_lock.c
 */
#include "lesson.h"

/* Waits for `word` on stdin. */
static void wait_for(const char *word) {
  char line[100];
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\r\n")] = 0;
    if (strcmp(line, word) == 0) return;
  }
  exit(3);
}

#ifdef _WIN32
static const char *error_text(char *out, size_t size, DWORD code) {
  if (code == ERROR_LOCK_VIOLATION) snprintf(out, size, "error %lu (ERROR_LOCK_VIOLATION)", (unsigned long)code);
  else win32_error(out, size, code);
  return out;
}

static HANDLE open_file(const char *file, DWORD disposition) {
  wchar_t path[1000];
  to_wide(file, path, 1000);
  HANDLE h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, disposition, 0, NULL);
  if (h == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  return h;
}

static int hold(const char *file) {
  HANDLE h = open_file(file, CREATE_ALWAYS);
  char block[100];
  memset(block, 'x', sizeof block);
  DWORD n;
  if (!WriteFile(h, block, sizeof block, &n, NULL)) fail("WriteFile", GetLastError());
  /* #region hold-win32 */
  OVERLAPPED at = {0}; /* Offset 0: the range starts at byte 0 */
  if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, 100, 0, &at)) fail("LockFileEx", GetLastError());
  say("LockFileEx(LOCKFILE_EXCLUSIVE_LOCK): holding bytes 0-99");
  wait_for("release");
  say("UnlockFileEx: releasing");
  if (!UnlockFileEx(h, 0, 100, 0, &at)) fail("UnlockFileEx", GetLastError());
  /* #endregion hold-win32 */
  CloseHandle(h);
  return 0;
}

static int try_lock(const char *file) {
  char text[100];
  HANDLE h = open_file(file, OPEN_EXISTING);
  /* #region try-win32 */
  OVERLAPPED at = {0};
  BOOL ok = LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 100, 0, &at);
  DWORD error = GetLastError();
  say("LockFileEx(LOCKFILE_FAIL_IMMEDIATELY): %s", ok ? "locked" : error_text(text, sizeof text, error));
  /* Without asking for the lock: a write and a read of the locked range. */
  DWORD n = 0;
  OVERLAPPED zero = {0};
  ok = WriteFile(h, "mine", 4, &n, &zero);
  error = GetLastError();
  say("WriteFile at byte 0, without the lock: %s", ok ? "wrote 4 bytes: the lock did not stop it" : error_text(text, sizeof text, error));
  char buffer[4];
  OVERLAPPED zero2 = {0};
  ok = ReadFile(h, buffer, sizeof buffer, &n, &zero2);
  error = GetLastError();
  say("ReadFile at byte 0, without the lock: %s", ok ? "read 4 bytes: the lock did not stop it" : error_text(text, sizeof text, error));
  say("LockFileEx without LOCKFILE_FAIL_IMMEDIATELY: waits for the holder");
  if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, 100, 0, &at)) fail("LockFileEx", GetLastError());
  say("LockFileEx returned: the lock is mine");
  UnlockFileEx(h, 0, 100, 0, &at);
  /* #endregion try-win32 */
  CloseHandle(h);
  return 0;
}

static int owner(const char *file) {
  char text[100];
  /* #region owner-win32 */
  HANDLE first = open_file(file, OPEN_EXISTING), second = open_file(file, OPEN_EXISTING);
  OVERLAPPED at = {0};
  if (!LockFileEx(first, LOCKFILE_EXCLUSIVE_LOCK, 0, 100, 0, &at)) fail("LockFileEx", GetLastError());
  say("locked bytes 0-99 through one handle; a second handle of the same process, same file:");
  BOOL ok = LockFileEx(second, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 100, 0, &at);
  DWORD error = GetLastError();
  say("LockFileEx on the second handle: %s", ok ? "locked" : error_text(text, sizeof text, error));
  DWORD n = 0;
  OVERLAPPED zero = {0};
  ok = WriteFile(second, "mine", 4, &n, &zero);
  error = GetLastError();
  say("WriteFile at byte 0 through the second handle: %s", ok ? "wrote 4 bytes" : error_text(text, sizeof text, error));
  /* #endregion owner-win32 */
  UnlockFileEx(first, 0, 100, 0, &at);
  CloseHandle(second);
  CloseHandle(first);
  DeleteFileA(file);
  return 0;
}
#else
#include <fcntl.h>
#include <sys/wait.h>

static const char *lock_error(char *out, size_t size, int code) { return posix_error(out, size, code); }

/* A write lock on bytes 0-99. */
static struct flock range(short type) {
  struct flock l;
  memset(&l, 0, sizeof l);
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = 0;
  l.l_len = 100;
  return l;
}

static int hold(const char *file) {
  int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", errno);
  char block[100];
  memset(block, 'x', sizeof block);
  if (write(fd, block, sizeof block) != (ssize_t)sizeof block) fail("write", errno);
  /* #region hold-posix */
  struct flock l = range(F_WRLCK);
  if (fcntl(fd, F_SETLK, &l) != 0) fail("fcntl(F_SETLK)", errno);
  say("fcntl(F_SETLK, F_WRLCK): holding bytes 0-99");
  wait_for("release");
  say("fcntl(F_SETLK, F_UNLCK): releasing");
  l = range(F_UNLCK);
  if (fcntl(fd, F_SETLK, &l) != 0) fail("fcntl(F_SETLK)", errno);
  /* #endregion hold-posix */
  close(fd);
  return 0;
}

static int try_lock(const char *file) {
  char text[100];
  int fd = open(file, O_RDWR | O_CLOEXEC);
  if (fd < 0) fail("open", errno);
  /* #region try-posix */
  struct flock l = range(F_WRLCK);
  if (fcntl(fd, F_GETLK, &l) != 0) fail("fcntl(F_GETLK)", errno);
  say("fcntl(F_GETLK): %s", l.l_type == F_WRLCK ? "a write lock is there" : "no lock");
  if (l.l_type != F_UNLCK) say("F_GETLK: held by pid %d", (int)l.l_pid);
  l = range(F_WRLCK);
  int r = fcntl(fd, F_SETLK, &l);
  int error = errno;
  say("fcntl(F_SETLK): %s", r == 0 ? "locked" : lock_error(text, sizeof text, error));
  /* Without asking for the lock: a write and a read of the locked range. */
  ssize_t n = pwrite(fd, "mine", 4, 0);
  say("pwrite at byte 0, without the lock: %s", n == 4 ? "wrote 4 bytes: the lock did not stop it" : lock_error(text, sizeof text, errno));
  char buffer[4];
  n = pread(fd, buffer, sizeof buffer, 0);
  say("pread at byte 0, without the lock: %s", n == 4 ? "read 4 bytes: the lock did not stop it" : lock_error(text, sizeof text, errno));
  say("fcntl(F_SETLKW): waits for the holder");
  if (fcntl(fd, F_SETLKW, &l) != 0) fail("fcntl(F_SETLKW)", errno);
  say("fcntl(F_SETLKW) returned: the lock is mine");
  /* #endregion try-posix */
  close(fd);
  return 0;
}

/* Asks from another process (a child) whether bytes 0-99 are locked. */
static void ask_child(const char *file, const char *when) {
  pid_t pid = fork();
  if (pid < 0) fail("fork", errno);
  if (pid == 0) {
    int fd = open(file, O_RDWR | O_CLOEXEC);
    struct flock l = range(F_WRLCK);
    if (fd < 0 || fcntl(fd, F_GETLK, &l) != 0) _exit(1);
    say("  a child's F_GETLK %s: %s", when, l.l_type == F_UNLCK ? "no lock" : "locked");
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

static int owner(const char *file) {
  char text[100];
  /* #region owner-posix */
  /* A classic lock belongs to the process: a second descriptor does not conflict... */
  int first = open(file, O_RDWR | O_CLOEXEC), second = open(file, O_RDWR | O_CLOEXEC);
  if (first < 0 || second < 0) fail("open", errno);
  struct flock l = range(F_WRLCK);
  if (fcntl(first, F_SETLK, &l) != 0) fail("fcntl(F_SETLK)", errno);
  int r = fcntl(second, F_SETLK, &l);
  say("F_SETLK through one descriptor, then through a second: %s", r == 0 ? "both succeed, the process owns the lock" : lock_error(text, sizeof text, errno));
  ask_child(file, "before");
  /* ...and closing any descriptor of the file drops the process's locks. */
  close(second);
  say("close() on the second descriptor");
  ask_child(file, "after");
  l = range(F_UNLCK);
  fcntl(first, F_SETLK, &l);
  /* An open file description lock belongs to the open file: two opens conflict. */
  second = open(file, O_RDWR | O_CLOEXEC);
  l = range(F_WRLCK);
  if (fcntl(first, F_OFD_SETLK, &l) != 0) fail("fcntl(F_OFD_SETLK)", errno);
  l = range(F_WRLCK);
  r = fcntl(second, F_OFD_SETLK, &l);
  int error = errno;
  say("F_OFD_SETLK through one open, then through a second open: %s", r == 0 ? "both succeed" : lock_error(text, sizeof text, error));
  /* #endregion owner-posix */
  close(second);
  close(first);
  unlink(file);
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "hold") == 0) return hold(argv[2]);
  if (argc == 3 && strcmp(argv[1], "try") == 0) return try_lock(argv[2]);
  if (argc == 3 && strcmp(argv[1], "owner") == 0) return owner(argv[2]);
  fprintf(stderr, "usage: %s hold|try|owner <file>\n", argv[0]);
  return 2;
}
