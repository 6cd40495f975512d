/*
 * Lesson 8, signals and SIGPIPE: writing into a pipe nobody can read any
 * more. No reader is left, so the bytes can never arrive: the kernel says so.
 *
 *   tb_sigpipe [<node> <script>]   the three writers below; POSIX runs the
 *                                  Node script as the third
 *
 * POSIX: write() on a pipe whose read ends are all closed sends the writer
 * SIGPIPE, whose default action ends the process (pipe(7), signal(7)). A
 * process that ignores SIGPIPE (or handles it) gets -1 and EPIPE instead.
 * Node ignores SIGPIPE when it starts, so a Node program is never killed by
 * it: its stream reports an EPIPE error. The parent learns how each writer
 * ended from waitpid: WIFSIGNALED and WTERMSIG, or WEXITSTATUS.
 * Windows has no signals to die of: WriteFile on a pipe whose read handle is
 * closed fails, and GetLastError says why (ERROR_BROKEN_PIPE or
 * ERROR_NO_DATA). The nearest thing to a signal there is a console control
 * event (SetConsoleCtrlHandler), which only Ctrl+C, Ctrl+Break and closing
 * the console send.
 *
 * Build: cc -O2 -Wall -o tb_sigpipe tb_sigpipe.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o tb_sigpipe.exe tb_sigpipe.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS tb_sigpipe.c
 */
#include "lesson.h"

#ifdef _WIN32
int main(void) {
  char text[100];
  /* #region broken-win32 */
  HANDLE readEnd, writeEnd;
  if (!CreatePipe(&readEnd, &writeEnd, NULL, 0)) fail("CreatePipe", GetLastError());
  CloseHandle(readEnd);
  say("CreatePipe, then CloseHandle on the read end: nobody can read this pipe");
  for (int attempt = 1; attempt <= 2; attempt++) {
    DWORD written = 0;
    BOOL ok = WriteFile(writeEnd, "hello", 5, &written, NULL);
    DWORD error = GetLastError(); /* read at once, before anything else can change it */
    say("WriteFile #%d: %s", attempt, ok ? "succeeded" : OS_ERROR(text, error));
  }
  say("still running: Windows has no SIGPIPE, a failed WriteFile is all the writer gets");
  CloseHandle(writeEnd);
  /* #endregion broken-win32 */
  return 0;
}
#else
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

/* Says how child `pid` ended, as waitpid tells it. */
static void report(const char *who, pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) fail("waitpid", errno);
  if (WIFSIGNALED(status))
    say("%s: killed by signal %d (%s)", who, WTERMSIG(status), WTERMSIG(status) == SIGPIPE ? "SIGPIPE" : "another signal");
  else say("%s: exited with code %d", who, WEXITSTATUS(status));
}

int main(int argc, char **argv) {
  char text[100];
  /* #region broken-posix */
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fail("pipe2", errno);
  close(fds[0]);
  say("pipe2, then close on the read end: nobody can read this pipe");

  /* 1. SIGPIPE's default action: the writer dies in write() and never returns. */
  pid_t first = fork();
  if (first < 0) fail("fork", errno);
  if (first == 0) {
    signal(SIGPIPE, SIG_DFL);
    say("writer 1 (SIGPIPE as it comes): write()");
    ssize_t n = write(fds[1], "hello", 5);
    say("writer 1: write returned %zd, which it never should", n);
    _exit(0);
  }
  report("writer 1", first);

  /* 2. SIGPIPE ignored: the same write returns -1 with EPIPE. */
  pid_t second = fork();
  if (second < 0) fail("fork", errno);
  if (second == 0) {
    signal(SIGPIPE, SIG_IGN);
    say("writer 2 (SIGPIPE ignored): write()");
    ssize_t n = write(fds[1], "hello", 5);
    int error = errno;
    say("writer 2: write returned %zd, errno %s", n, n < 0 ? OS_ERROR(text, error) : "none");
    _exit(0);
  }
  report("writer 2", second);
  /* #endregion broken-posix */

  /* 3. Node: its stdout is the same broken pipe. */
  if (argc == 3) {
    /* #region node-posix */
    pid_t third = fork();
    if (third < 0) fail("fork", errno);
    if (third == 0) {
      dup2(fds[1], 1); /* stdout: the pipe with no reader (dup2 clears O_CLOEXEC) */
      execl(argv[1], argv[1], argv[2], (char *)NULL);
      _exit(127);
    }
    say("writer 3: node, its stdout on the same pipe");
    report("writer 3 (node)", third);
    /* #endregion node-posix */
  }
  close(fds[1]);
  return 0;
}
#endif
