/*
 * Lesson 2, waiting without blocking, in one process: a server end that
 * starts a connect and a read, and keeps its thread free until they are done.
 *
 *   pipe_async <path>      (\\.\pipe\<name> on Windows, a socket path on Linux)
 *
 * Windows, overlapped I/O (the completion model): a pipe made with
 * FILE_FLAG_OVERLAPPED; ConnectNamedPipe and ReadFile given an OVERLAPPED
 * with a manual-reset event return at once with ERROR_IO_PENDING; the
 * event is signalled when the kernel has done the work (the bytes are then
 * already in the buffer), WaitForSingleObject waits for it and
 * GetOverlappedResult gives the result. CancelIoEx ends a pending read.
 * POSIX, non-blocking descriptors and poll (the readiness model): accept
 * and read fail with EAGAIN instead of waiting; poll says when they would
 * not block, and the call then does the work.
 *
 * Build: cc -O2 -Wall -o pipe_async pipe_async.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o pipe_async.exe pipe_async.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS pipe_async.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

#ifdef _WIN32
/* What the event says now: signalled or not, without waiting. */
static const char *event_now(HANDLE event) {
  DWORD r = WaitForSingleObject(event, 0);
  return r == WAIT_OBJECT_0 ? "WAIT_OBJECT_0" : r == WAIT_TIMEOUT ? "WAIT_TIMEOUT" : "WAIT_FAILED";
}

/* Waits (watchdog: 10 s) for the event of a started operation, then reads its result. */
static DWORD complete(HANDLE pipe, OVERLAPPED *overlapped, const char *what) {
  if (WaitForSingleObject(overlapped->hEvent, 10000) != WAIT_OBJECT_0) fail("WaitForSingleObject", GetLastError());
  DWORD bytes = 0;
  if (!GetOverlappedResult(pipe, overlapped, &bytes, FALSE)) fail(what, GetLastError());
  return bytes;
}

static int run(const char *narrow) {
  wchar_t path[300];
  to_wide(narrow, path, 300);
  char text[100];
  /* #region overlapped-connect */
  HANDLE server = CreateNamedPipeW(path, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, NULL);
  if (server == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  OVERLAPPED overlapped;
  memset(&overlapped, 0, sizeof overlapped);
  overlapped.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL); /* manual-reset, as the documentation asks */
  if (overlapped.hEvent == NULL) fail("CreateEventW", GetLastError());
  if (ConnectNamedPipe(server, &overlapped)) fail("ConnectNamedPipe (overlapped: never TRUE)", 0);
  DWORD error = GetLastError();
  if (error == ERROR_PIPE_CONNECTED) SetEvent(overlapped.hEvent); /* done already, and no one will signal */
  else if (error != ERROR_IO_PENDING) fail("ConnectNamedPipe", error);
  say("ConnectNamedPipe returned at once: %s; the thread is free", error == ERROR_IO_PENDING ? "ERROR_IO_PENDING" : "ERROR_PIPE_CONNECTED");
  say("the event, not waited for: %s", event_now(overlapped.hEvent));
  /* #endregion overlapped-connect */

  HANDLE client = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (client == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  say("a client opens the pipe (CreateFileW)");
  complete(server, &overlapped, "ConnectNamedPipe");
  say("WaitForSingleObject: the event is signalled; GetOverlappedResult: connected");

  /* #region overlapped-read */
  char buffer[64];
  /* ReadFile resets the event when it starts; the buffer and the OVERLAPPED are the kernel's until
   * the read completes: neither may go out of scope or be reused before. */
  if (ReadFile(server, buffer, sizeof buffer - 1, NULL, &overlapped)) fail("ReadFile (nothing written yet, and it completed)", 0);
  error = GetLastError();
  if (error != ERROR_IO_PENDING) fail("ReadFile", error);
  say("ReadFile returned at once: ERROR_IO_PENDING; the event: %s", event_now(overlapped.hEvent));
  DWORD bytes = 0;
  BOOL done = GetOverlappedResult(server, &overlapped, &bytes, FALSE); /* FALSE: do not wait */
  error = GetLastError();
  say("GetOverlappedResult(bWait = FALSE): %s", done ? "done" : error == ERROR_IO_INCOMPLETE ? "ERROR_IO_INCOMPLETE, still pending" : OS_ERROR(text, error));
  DWORD written;
  if (!WriteFile(client, "hello", 5, &written, NULL)) fail("WriteFile", GetLastError());
  say("the client writes \"hello\"");
  bytes = complete(server, &overlapped, "ReadFile");
  buffer[bytes] = 0;
  say("WaitForSingleObject: signalled; GetOverlappedResult: %lu bytes, already in the buffer: \"%s\"", (unsigned long)bytes, buffer);
  /* #endregion overlapped-read */

  /* #region overlapped-cancel */
  if (ReadFile(server, buffer, sizeof buffer - 1, NULL, &overlapped) || GetLastError() != ERROR_IO_PENDING) fail("ReadFile", GetLastError());
  if (!CancelIoEx(server, &overlapped)) fail("CancelIoEx", GetLastError());
  /* TRUE: wait for the cancelled read to end; only then are the buffer and the OVERLAPPED ours again. */
  done = GetOverlappedResult(server, &overlapped, &bytes, TRUE);
  error = GetLastError();
  say("a second read, then CancelIoEx: GetOverlappedResult says %s", done ? "done" : error == ERROR_OPERATION_ABORTED ? "ERROR_OPERATION_ABORTED" : OS_ERROR(text, error));
  /* #endregion overlapped-cancel */
  CloseHandle(client);
  CloseHandle(server);
  CloseHandle(overlapped.hEvent);
  return 0;
}
#else
/* What poll says about one descriptor now, without waiting. */
static const char *ready_now(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int n = poll(&p, 1, 0);
  return n < 0 ? "failed" : n == 0 ? "0, nothing ready" : "1, readable";
}

/* Waits (watchdog: 10 s) until `fd` is readable. */
static void wait_readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int n = poll(&p, 1, 10000);
  if (n < 0) fail("poll", errno);
  if (n == 0) fail("poll (10 s)", ETIMEDOUT);
}

static int run(const char *path) {
  struct sockaddr_un address;
  unix_address(&address, path);
  char text[100];
  /* #region nonblocking-accept */
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) fail("socket", errno);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) fail("bind", errno);
  if (listen(listener, 8) != 0) fail("listen", errno);
  int server = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (server >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) fail("accept4 (no client yet, and it did not say EAGAIN)", errno);
  say("accept4 on a non-blocking socket: %s; the thread is free", OS_ERROR(text, errno));
  say("poll(listener, 0 ms): %s", ready_now(listener));
  /* #endregion nonblocking-accept */

  int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0) fail("socket", errno);
  if (connect(client, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", errno);
  say("a client connects");
  wait_readable(listener);
  server = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (server < 0) fail("accept4", errno);
  say("poll: the listener is readable; accept4 now returns the client's socket at once");

  /* #region nonblocking-read */
  char buffer[64];
  ssize_t got = read(server, buffer, sizeof buffer - 1);
  if (got >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) fail("read (nothing written yet, and it did not say EAGAIN)", errno);
  say("read on a non-blocking socket: %s; poll(0 ms): %s", OS_ERROR(text, errno), ready_now(server));
  if (write(client, "hello", 5) != 5) fail("write", errno);
  say("the client writes \"hello\"");
  wait_readable(server);
  /* poll only said that read will not block: the copy into the buffer happens now, in read. */
  got = read(server, buffer, sizeof buffer - 1);
  if (got < 0) fail("read", errno);
  buffer[got] = 0;
  say("poll: readable; read copies %zd bytes now: \"%s\"", got, buffer);
  /* #endregion nonblocking-read */
  close(client);
  close(server);
  close(listener);
  unlink(path);
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <path>\n", argv[0]);
    return 2;
  }
  return run(argv[1]);
}
