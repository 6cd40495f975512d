/*
 * Lesson 2, anonymous pipes in C: the parent makes two pipes, starts a child
 * whose stdin and stdout are the pipes' far ends, writes three lines, closes
 * its end, and prints what the child writes back. The child is any program;
 * the lesson runs the Node one (src/02-pipes/anon-child.ts).
 *
 *   pipe_anon [--forget-close] <child program> [child arguments...]
 *
 * Windows: CreatePipe with SECURITY_ATTRIBUTES.bInheritHandle = TRUE, the
 * parent's own ends made not inheritable (SetHandleInformation), CreateProcessW
 * with STARTF_USESTDHANDLES and bInheritHandles = TRUE.
 * POSIX: pipe2(O_CLOEXEC), fork, dup2 onto 0 and 1 in the child (dup2 clears
 * close-on-exec on the copy), execvp.
 *
 * The classic mistake, shown with --forget-close: the parent keeps its copy
 * of the write end of the child's stdout pipe. The child exits, but the pipe
 * still has a writer (the parent itself), so the parent's read never sees
 * end-of-file. A pipe reports end-of-file only when every write end, in every
 * process, is closed.
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#endif

static const char input[] = "one\ntwo\nthree\n";

/* Splits what arrives into lines, printing each as the child's. Returns 1 after the child's last line. */
static int take(char *pending, size_t *used, const char *data, size_t size) {
  int last = 0;
  for (size_t i = 0; i < size; i++) {
    if (data[i] == '\r') continue;
    if (data[i] != '\n' && *used < 1023) {
      pending[(*used)++] = data[i];
      continue;
    }
    pending[*used] = 0;
    say("child says: %s", pending);
    if (strncmp(pending, "end of input", 12) == 0) last = 1;
    *used = 0;
  }
  return last;
}

int main(int argc, char **argv) {
  int forget = argc > 1 && strcmp(argv[1], "--forget-close") == 0;
  int first = forget ? 2 : 1;
  if (argc <= first) {
    fprintf(stderr, "usage: %s [--forget-close] <child program> [arguments...]\n", argv[0]);
    return 2;
  }
  char pending[1024];
  size_t used = 0;
  char buffer[512];
#ifdef _WIN32
  /* #region win32 */
  /* Both pipes' handles are made inheritable... */
  SECURITY_ATTRIBUTES inheritable = {sizeof inheritable, NULL, TRUE};
  HANDLE child_in_read, child_in_write, child_out_read, child_out_write;
  if (!CreatePipe(&child_in_read, &child_in_write, &inheritable, 0)) fail("CreatePipe", GetLastError());
  if (!CreatePipe(&child_out_read, &child_out_write, &inheritable, 0)) fail("CreatePipe", GetLastError());
  /* ...and the parent's own ends are then taken back: a child that inherits
   * the write end of its own stdin would keep that pipe open forever. */
  if (!SetHandleInformation(child_in_write, HANDLE_FLAG_INHERIT, 0)) fail("SetHandleInformation", GetLastError());
  if (!SetHandleInformation(child_out_read, HANDLE_FLAG_INHERIT, 0)) fail("SetHandleInformation", GetLastError());
  HANDLE error_copy;
  if (!DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_ERROR_HANDLE), GetCurrentProcess(), &error_copy, 0, TRUE, DUPLICATE_SAME_ACCESS)) {
    error_copy = NULL;
  }

  /* The command line: each argument in double quotes (the lesson's paths have none inside). */
  wchar_t command[4096] = L"";
  for (int i = first; i < argc; i++) {
    wchar_t arg[1024];
    to_wide(argv[i], arg, 1024);
    if (wcslen(command) + wcslen(arg) + 4 >= 4096) {
      fprintf(stderr, "command line too long\n");
      return 2;
    }
    wcscat(command, i > first ? L" \"" : L"\"");
    wcscat(command, arg);
    wcscat(command, L"\"");
  }
  STARTUPINFOW startup;
  memset(&startup, 0, sizeof startup);
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = child_in_read;
  startup.hStdOutput = child_out_write;
  startup.hStdError = error_copy;
  PROCESS_INFORMATION child;
  if (!CreateProcessW(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child)) fail("CreateProcessW", GetLastError());
  /* The child has its copies now: close ours, or end-of-file never comes. */
  CloseHandle(child_in_read);
  if (!forget) CloseHandle(child_out_write);
  if (error_copy != NULL) CloseHandle(error_copy);
  CloseHandle(child.hThread);
  /* #endregion win32 */
  say("started the child (pid %lu): its stdin and stdout are the pipes' far ends", (unsigned long)child.dwProcessId);

  say("writing \"one\", \"two\", \"three\" into the child's stdin");
  DWORD written;
  if (!WriteFile(child_in_write, input, (DWORD)strlen(input), &written, NULL)) fail("WriteFile", GetLastError());
  CloseHandle(child_in_write);
  say("closed my end of the pipe: the child will read end-of-file");

  for (;;) {
    DWORD got = 0;
    if (!ReadFile(child_out_read, buffer, sizeof buffer, &got, NULL)) {
      DWORD error = GetLastError();
      if (error == ERROR_BROKEN_PIPE) break; /* every write end is closed: end-of-file */
      fail("ReadFile", error);
    }
    if (take(pending, &used, buffer, got) && forget) break;
  }
  WaitForSingleObject(child.hProcess, INFINITE);
  DWORD code = 0;
  GetExitCodeProcess(child.hProcess, &code);
  CloseHandle(child.hProcess);
  say("the child exited with code %lu", (unsigned long)code);
  if (forget) {
    /* The child is gone, yet the pipe is not at end-of-file: PeekNamedPipe
     * still succeeds (0 bytes waiting) because our copy of the write end is open. */
    DWORD start = GetTickCount(), available = 0;
    BOOL open = TRUE;
    while (open && GetTickCount() - start < 500) {
      open = PeekNamedPipe(child_out_read, NULL, 0, NULL, &available, NULL);
      Sleep(20);
    }
    if (open) say("no end-of-file after 500 ms: my own copy of the write end keeps the pipe open");
    CloseHandle(child_out_write);
    DWORD got = 0;
    if (!ReadFile(child_out_read, buffer, sizeof buffer, &got, NULL) && GetLastError() == ERROR_BROKEN_PIPE) {
      say("closed it: end-of-file at once");
    }
  }
  CloseHandle(child_out_read);
#else
  /* #region posix */
  int to_child[2], from_child[2];
  /* O_CLOEXEC: no other program this process starts inherits them by accident. */
  if (pipe2(to_child, O_CLOEXEC) != 0) fail("pipe2", errno);
  if (pipe2(from_child, O_CLOEXEC) != 0) fail("pipe2", errno);
  pid_t pid = fork();
  if (pid < 0) fail("fork", errno);
  if (pid == 0) {
    /* The child: the pipes' far ends become its stdin and stdout. dup2's
     * copies do not have close-on-exec; the originals close at exec. */
    if (dup2(to_child[0], 0) < 0 || dup2(from_child[1], 1) < 0) _exit(126);
    execvp(argv[first], argv + first);
    _exit(127);
  }
  /* The child has its copies now: close ours, or end-of-file never comes. */
  close(to_child[0]);
  if (!forget) close(from_child[1]);
  /* #endregion posix */
  say("started the child (pid %d): its stdin and stdout are the pipes' far ends", (int)pid);

  say("writing \"one\", \"two\", \"three\" into the child's stdin");
  if (write(to_child[1], input, strlen(input)) != (ssize_t)strlen(input)) fail("write", errno);
  close(to_child[1]);
  say("closed my end of the pipe: the child will read end-of-file");

  for (;;) {
    ssize_t got = read(from_child[0], buffer, sizeof buffer);
    if (got < 0) fail("read", errno);
    if (got == 0) break; /* every write end is closed: end-of-file */
    if (take(pending, &used, buffer, (size_t)got) && forget) break;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) fail("waitpid", errno);
  say("the child exited with code %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  if (forget) {
    /* The child is gone, yet no end-of-file: poll says nothing is readable
     * for 500 ms, because our own copy of the write end is still open. */
    struct pollfd readable = {from_child[0], POLLIN, 0};
    if (poll(&readable, 1, 500) == 0) say("no end-of-file after 500 ms: my own copy of the write end keeps the pipe open");
    close(from_child[1]);
    if (read(from_child[0], buffer, sizeof buffer) == 0) say("closed it: end-of-file at once");
  }
  close(from_child[0]);
#endif
  return 0;
}
