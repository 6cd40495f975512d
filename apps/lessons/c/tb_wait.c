/*
 * Lesson 8, one process waiting on several things at once.
 *
 *   tb_wait            the parent: makes three channels, starts a child that
 *                      uses them, and waits on all three at once
 *   tb_wait child ...  the child (started by the parent; Windows only)
 *
 * POSIX: poll() takes an array of descriptors (pipes, sockets, FIFOs,
 * terminals, ...) and returns when one is ready: readable (POLLIN), hung up
 * (POLLHUP). epoll (Linux) keeps the set in the kernel: epoll_ctl adds a
 * descriptor once, epoll_wait returns only the ready ones. The answer is
 * readiness: a read will not block now.
 * Windows: WaitForMultipleObjects takes up to MAXIMUM_WAIT_OBJECTS (64)
 * handles of objects that are signalled or not (events, mutexes,
 * semaphores, processes, threads, ...) and returns the lowest index of one
 * that is signalled. A pipe handle is not such an object: to wait for a
 * pipe's bytes, start an overlapped ReadFile and wait on its event (lesson 2).
 *
 * Build: cc -O2 -Wall -o tb_wait tb_wait.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o tb_wait.exe tb_wait.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS tb_wait.c
 */
#include "lesson.h"

static const char *NAMES[] = {"A", "B", "C", "the child process"};

#ifdef _WIN32
static HANDLE handle_of(const char *text) { return (HANDLE)(uintptr_t)strtoull(text, NULL, 16); }

static int child(char **argv) {
  HANDLE a = handle_of(argv[2]), b = handle_of(argv[3]), c = handle_of(argv[4]), ack = handle_of(argv[5]);
  say("child: SetEvent(B)");
  SetEvent(b);
  if (WaitForSingleObject(ack, INFINITE) != WAIT_OBJECT_0) fail("WaitForSingleObject", GetLastError());
  say("child: SetEvent(C), SetEvent(A), then exit");
  SetEvent(c);
  SetEvent(a);
  return 0;
}

int main(int argc, char **argv) {
  char text[100];
  if (argc == 6 && strcmp(argv[1], "child") == 0) return child(argv);
  /* #region wait-win32 */
  /* Three auto-reset events and an acknowledgement, inheritable: the child gets the handles. */
  SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
  HANDLE events[3], ack = CreateEventW(&inherit, FALSE, FALSE, NULL);
  for (int i = 0; i < 3; i++)
    if ((events[i] = CreateEventW(&inherit, FALSE, FALSE, NULL)) == NULL) fail("CreateEventW", GetLastError());
  wchar_t self[MAX_PATH], command[600];
  GetModuleFileNameW(NULL, self, MAX_PATH);
  swprintf(command, 600, L"\"%ls\" child %llx %llx %llx %llx", self, (unsigned long long)(uintptr_t)events[0], (unsigned long long)(uintptr_t)events[1],
           (unsigned long long)(uintptr_t)events[2], (unsigned long long)(uintptr_t)ack);
  say("WaitForMultipleObjects on events A, B, C and the child process");
  STARTUPINFOW si = {sizeof si};
  PROCESS_INFORMATION pi;
  if (!CreateProcessW(self, command, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) fail("CreateProcessW", GetLastError());
  CloseHandle(pi.hThread);
  /* Four objects of two kinds in one array: three events and a process (set one by one:
   * MSVC's C wants constants in an array's initializer, warning C4204). */
  HANDLE all[4];
  for (int i = 0; i < 3; i++) all[i] = events[i];
  all[3] = pi.hProcess;
  DWORD r = WaitForMultipleObjects(4, all, FALSE, INFINITE);
  say("returned WAIT_OBJECT_0 + %lu: %s is signalled", (unsigned long)(r - WAIT_OBJECT_0), r < WAIT_OBJECT_0 + 4 ? NAMES[r - WAIT_OBJECT_0] : "?");
  SetEvent(ack);
  /* Wait for the child's end, so that all it signals is signalled before we look. */
  WaitForSingleObject(pi.hProcess, INFINITE);
  say("the child has exited; now A, C and the process are signalled at once");
  for (;;) {
    r = WaitForMultipleObjects(4, all, FALSE, 0);
    if (r == WAIT_TIMEOUT || r == WAIT_FAILED) break;
    say("returned WAIT_OBJECT_0 + %lu: %s (the lowest index signalled)", (unsigned long)(r - WAIT_OBJECT_0), NAMES[r - WAIT_OBJECT_0]);
    if (r == WAIT_OBJECT_0 + 3) break; /* a process stays signalled: stop there */
  }
  /* The limit: MAXIMUM_WAIT_OBJECTS handles, 64. */
  HANDLE many[MAXIMUM_WAIT_OBJECTS + 1];
  for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++) many[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
  r = WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, many, FALSE, 0);
  DWORD error = GetLastError();
  say("WaitForMultipleObjects on %d events: %s", MAXIMUM_WAIT_OBJECTS + 1, r == WAIT_FAILED ? OS_ERROR(text, error) : "it waited");
  /* #endregion wait-win32 */
  for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++) CloseHandle(many[i]);
  for (int i = 0; i < 3; i++) CloseHandle(events[i]);
  CloseHandle(ack);
  CloseHandle(pi.hProcess);
  return 0;
}
#else
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/wait.h>

/* "POLLIN | POLLHUP" */
static const char *events_text(char *out, size_t size, unsigned events) {
  snprintf(out, size, "%s%s%s", events & POLLIN ? "POLLIN" : "", (events & POLLIN) && (events & POLLHUP) ? " | " : "", events & POLLHUP ? "POLLHUP" : "");
  return out;
}

int main(void) {
  char text[100], data[64];
  /* #region wait-posix */
  /* A and C are pipes, B a socket pair: poll takes any descriptor. ends[i][0] is ours to read. */
  int ends[3][2], ack[2];
  if (pipe2(ends[0], O_CLOEXEC) != 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends[1]) != 0 || pipe2(ends[2], O_CLOEXEC) != 0 ||
      pipe2(ack, O_CLOEXEC) != 0)
    fail("pipe2/socketpair", errno);
  say("poll on A (a pipe), B (a socket) and C (a pipe)");
  pid_t pid = fork();
  if (pid < 0) fail("fork", errno);
  if (pid == 0) {
    for (int i = 0; i < 3; i++) close(ends[i][0]);
    say("child: writes \"one\" into B");
    if (write(ends[1][1], "one", 3) != 3) _exit(1);
    if (read(ack[0], data, 1) != 1) _exit(1); /* wait until the parent has seen it */
    say("child: writes \"two\" into C and \"three\" into A, then exits");
    if (write(ends[2][1], "two", 3) != 3 || write(ends[0][1], "three", 5) != 5) _exit(1);
    _exit(0);
  }
  for (int i = 0; i < 3; i++) close(ends[i][1]);
  struct pollfd fds[3];
  for (int i = 0; i < 3; i++) fds[i] = (struct pollfd){.fd = ends[i][0], .events = POLLIN};
  int ready = poll(fds, 3, -1);
  for (int i = 0; i < 3; i++) {
    if (fds[i].revents == 0) continue;
    ssize_t n = read(fds[i].fd, data, sizeof data - 1);
    data[n > 0 ? n : 0] = 0;
    say("poll returned %d: %s is %s; read \"%s\"", ready, NAMES[i], events_text(text, sizeof text, fds[i].revents), data);
  }
  if (write(ack[1], "k", 1) != 1) fail("write", errno);
  /* The same wait with epoll: the set lives in the kernel, epoll_wait returns only what is ready. */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fail("epoll_create1", errno);
  for (int i = 0; i < 3; i++) {
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ends[i][0], &e) != 0) fail("epoll_ctl", errno);
  }
  if (waitpid(pid, NULL, 0) < 0) fail("waitpid", errno); /* all it did is done before we look */
  say("the child has exited; epoll_wait on the same three");
  struct epoll_event got[3];
  int count = epoll_wait(ep, got, 3, -1);
  for (int i = 0; i < 3; i++) { /* in A, B, C order, whatever order the kernel listed them */
    for (int k = 0; k < count; k++) {
      if (got[k].data.u32 != (uint32_t)i) continue;
      ssize_t n = read(ends[i][0], data, sizeof data - 1);
      data[n > 0 ? n : 0] = 0;
      say("epoll_wait returned %d: %s is %s; read %s%s%s", count, NAMES[i], events_text(text, sizeof text, got[k].events), n > 0 ? "\"" : "", n > 0 ? data : "0 bytes (end of file)", n > 0 ? "\"" : "");
    }
  }
  /* #endregion wait-posix */
  close(ep);
  for (int i = 0; i < 3; i++) close(ends[i][0]);
  return 0;
}
#endif
