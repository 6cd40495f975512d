/*
 * Lesson 2, a FIFO: a pipe with a name in the file system (mkfifo), one
 * way, no connections. A reader and a writer in two processes, and what a
 * blocking open() means: each end's open waits until the other end opens.
 *
 *   pipe_fifo read <folder> <name>             makes the FIFO <folder>/<name>, reads it to the end, removes it
 *   pipe_fifo write <folder> <name> <line>...  opens it for writing and writes the lines
 *
 * POSIX: mkfifo(path, 0600); open(O_RDONLY) blocks until a writer opens it
 * and open(O_WRONLY) until a reader does; open(O_WRONLY | O_NONBLOCK) with
 * no reader fails with ENXIO; read returns 0 when every writer has closed.
 * The FIFO is a file: it stays until unlink removes it.
 * Windows has no FIFOs. The nearest is a one-way named pipe
 * (\\.\pipe\<name>, PIPE_ACCESS_INBOUND): the reader is the server, its
 * ConnectNamedPipe waits for the writer as the FIFO's open does, and the
 * name goes with the last handle. <folder> is not used there.
 *
 * Build: cc -O2 -Wall -o pipe_fifo pipe_fifo.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o pipe_fifo.exe pipe_fifo.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS pipe_fifo.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#endif

/* Prints each line of `data` (`size` bytes, ending in a newline or not) as read from the FIFO. */
static void print_lines(char *data, size_t size, char *pending, size_t *used, size_t room) {
  for (size_t i = 0; i < size; i++) {
    if (data[i] == '\n') {
      pending[*used] = 0;
      say("read \"%s\"", pending);
      *used = 0;
    } else if (*used + 1 < room) {
      pending[(*used)++] = data[i];
    }
  }
}

#ifdef _WIN32
static int reader(const char *folder, const char *name) {
  (void)folder;
  char narrow[300];
  wchar_t path[300];
  snprintf(narrow, sizeof narrow, "\\\\.\\pipe\\%s", name);
  to_wide(narrow, path, 300);
  char text[100];
  /* #region read-win32 */
  /* Before the reader is there, a writer finds no such name. */
  HANDLE early = CreateFileW(path, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  DWORD error = GetLastError();
  if (early != INVALID_HANDLE_VALUE) CloseHandle(early);
  say("no FIFOs on Windows: a one-way named pipe instead; a writer before the reader: %s", early != INVALID_HANDLE_VALUE ? "opened" : OS_ERROR(text, error));
  /* PIPE_ACCESS_INBOUND: the server (here the reader) only reads, the client only writes. */
  HANDLE pipe = CreateNamedPipeW(path, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 0, 4096, 0, NULL);
  if (pipe == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  say("created %s (PIPE_ACCESS_INBOUND); ConnectNamedPipe blocks until a writer opens it", narrow);
  if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) fail("ConnectNamedPipe", GetLastError());
  say("ConnectNamedPipe returned: a writer has opened the pipe");
  char chunk[256], line[256];
  size_t used = 0;
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(pipe, chunk, sizeof chunk, &got, NULL)) {
      error = GetLastError();
      if (error == ERROR_BROKEN_PIPE) break; /* the writer closed: the end */
      fail("ReadFile", error);
    }
    print_lines(chunk, got, line, &used, sizeof line);
  }
  say("ReadFile: ERROR_BROKEN_PIPE, the writer closed its end");
  CloseHandle(pipe);
  say("closed the last handle: the name is gone with it");
  /* #endregion read-win32 */
  return 0;
}

static int writer(const char *folder, const char *name, int count, char **lines) {
  (void)folder;
  char narrow[300];
  wchar_t path[300];
  snprintf(narrow, sizeof narrow, "\\\\.\\pipe\\%s", name);
  to_wide(narrow, path, 300);
  say("opening %s for writing (CreateFileW, GENERIC_WRITE), then writing %d lines", narrow, count);
  HANDLE pipe = CreateFileW(path, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (pipe == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  for (int i = 0; i < count; i++) {
    DWORD written;
    if (!WriteFile(pipe, lines[i], (DWORD)strlen(lines[i]), &written, NULL) || !WriteFile(pipe, "\n", 1, &written, NULL)) fail("WriteFile", GetLastError());
  }
  CloseHandle(pipe);
  return 0;
}
#else
static int reader(const char *folder, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", folder, name);
  char text[100];
  /* #region read-posix */
  /* A FIFO is a file of its own kind: 0600, only this user may open it. */
  if (mkfifo(path, 0600) != 0) fail("mkfifo", errno);
  say("mkfifo: made %s", name);
  /* Non-blocking, a writer's open does not wait: with no reader it fails. */
  int early = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  int error = errno;
  if (early >= 0) close(early);
  if (early < 0 && error == ENXIO) snprintf(text, sizeof text, "ENXIO (%s)", strerror(error)); /* not in lesson.h's list */
  else if (early < 0) OS_ERROR(text, error);
  say("a writer's open(O_WRONLY | O_NONBLOCK) before any reader: %s", early >= 0 ? "opened" : text);
  say("open(O_RDONLY) blocks until a writer opens the FIFO");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", errno);
  say("open returned: a writer has opened the FIFO");
  char chunk[256], line[256];
  size_t used = 0;
  for (;;) {
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("read", errno);
    if (got == 0) break; /* every writer has closed: the end */
    print_lines(chunk, (size_t)got, line, &used, sizeof line);
  }
  say("read returned 0: the writer closed its end");
  close(fd);
  /* The FIFO outlives both ends, like any file: remove its name. */
  if (unlink(path) != 0) fail("unlink", errno);
  say("unlink: removed %s", name);
  /* #endregion read-posix */
  return 0;
}

static int writer(const char *folder, const char *name, int count, char **lines) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", folder, name);
  /* #region write-posix */
  say("opening %s for writing (open, O_WRONLY), then writing %d lines", name, count);
  int fd = open(path, O_WRONLY | O_CLOEXEC); /* blocks until a reader has opened it */
  if (fd < 0) fail("open", errno);
  for (int i = 0; i < count; i++) {
    if (write(fd, lines[i], strlen(lines[i])) < 0 || write(fd, "\n", 1) != 1) fail("write", errno);
  }
  close(fd); /* the reader's read returns 0 once every writer has closed */
  /* #endregion write-posix */
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "read") == 0) return reader(argv[2], argv[3]);
  if (argc >= 5 && strcmp(argv[1], "write") == 0) return writer(argv[2], argv[3], argc - 4, argv + 4);
  fprintf(stderr, "usage: %s read <folder> <name> | write <folder> <name> <line>...\n", argv[0]);
  return 2;
}
