/*
 * Lesson 2, a named-pipe server loop in C that serves one client after
 * another, and the client it serves. Each request is a line of text; the
 * reply is the same line in capitals.
 *
 *   pipe_server serve <path> <clients>    serves <clients> clients, one at a time, then exits
 *   pipe_server client <path> <text> [--hold]
 *                                         sends <text>, prints the reply; --hold keeps the
 *                                         connection until "close" on stdin
 *
 * <path>: \\.\pipe\<name> on Windows, the socket's path on Linux.
 *
 * Windows: one instance of the pipe per client (CreateNamedPipeW with
 * PIPE_UNLIMITED_INSTANCES), the next one created while the current client
 * is served, so a client that comes meanwhile finds an instance to connect
 * to; ConnectNamedPipe, where ERROR_PIPE_CONNECTED (the client came first)
 * is a success; FlushFileBuffers, DisconnectNamedPipe and CloseHandle when
 * the client leaves.
 * POSIX: socket(AF_UNIX, SOCK_STREAM) + bind + listen, then an accept loop:
 * the listening socket stays, a client that comes meanwhile waits in its
 * backlog, and each accept returns a new socket for one client.
 *
 * Build: cc -O2 -Wall -o pipe_server pipe_server.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o pipe_server.exe pipe_server.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS pipe_server.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

#define LINE_BYTES 256

#ifdef _WIN32
typedef HANDLE connection;
/* One byte; 1 when read, 0 at the end (the other side closed). */
static int read_byte(connection c, char *byte) {
  DWORD got = 0;
  if (ReadFile(c, byte, 1, &got, NULL) && got == 1) return 1;
  DWORD error = GetLastError();
  if (error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED) return 0;
  fail("ReadFile", error);
  return 0;
}
static void write_all(connection c, const char *data, size_t size) {
  DWORD written = 0;
  if (!WriteFile(c, data, (DWORD)size, &written, NULL) || written != size) fail("WriteFile", GetLastError());
}
#else
typedef int connection;
static int read_byte(connection c, char *byte) {
  for (;;) {
    ssize_t n = read(c, byte, 1);
    if (n == 1) return 1;
    if (n == 0) return 0;
    if (errno != EINTR) fail("read", errno);
  }
}
static void write_all(connection c, const char *data, size_t size) {
  while (size > 0) {
    ssize_t n = write(c, data, size);
    if (n < 0) fail("write", errno);
    data += n;
    size -= (size_t)n;
  }
}
#endif

/* Reads one line (without its newline); 0 when the other side closed first. A byte stream has no
 * messages: the newline is where a request ends. */
static int read_line(connection c, char *line, size_t size) {
  size_t used = 0;
  char byte;
  while (read_byte(c, &byte)) {
    if (byte == '\n') {
      line[used] = 0;
      return 1;
    }
    if (used + 1 < size) line[used++] = byte;
  }
  return 0;
}

/* Answers each line in capitals until the client leaves. `first` is the client's first line,
 * already read. */
static void answer(connection c, int number, char *first) {
  char line[LINE_BYTES + 1];
  char *text = first;
  do {
    say("client %d says \"%s\"", number, text);
    size_t length = strlen(text);
    for (size_t i = 0; i < length; i++)
      if (text[i] >= 'a' && text[i] <= 'z') text[i] = (char)(text[i] - 'a' + 'A');
    text[length] = '\n';
    write_all(c, text, length + 1);
    text = line;
  } while (read_line(c, line, LINE_BYTES));
}

#ifdef _WIN32
static HANDLE new_instance(const wchar_t *path) {
  /* PIPE_UNLIMITED_INSTANCES: as many instances of the name as there are clients at once. */
  HANDLE instance = CreateNamedPipeW(path, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
  if (instance == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  return instance;
}

static int serve(const char *narrow, int clients) {
  wchar_t path[300];
  to_wide(narrow, path, 300);
  /* #region serve-win32 */
  HANDLE instance = new_instance(path);
  say("instance 1 of %s created; ConnectNamedPipe waits for a client", narrow);
  for (int number = 1; number <= clients; number++) {
    /* TRUE: a client came while we waited. FALSE with ERROR_PIPE_CONNECTED: it connected between
     * CreateNamedPipeW and this call, and the connection is just as good. */
    BOOL waited = ConnectNamedPipe(instance, NULL);
    DWORD error = GetLastError();
    if (!waited && error != ERROR_PIPE_CONNECTED) fail("ConnectNamedPipe", error);
    char line[LINE_BYTES + 1];
    if (!read_line(instance, line, LINE_BYTES)) fail("ReadFile", ERROR_BROKEN_PIPE);
    if (waited) say("client %d: ConnectNamedPipe returned TRUE: it waited for this client", number);
    else say("client %d: ConnectNamedPipe failed with ERROR_PIPE_CONNECTED: the client was there first, a success", number);
    /* The next client needs an instance to connect to while this one is served. */
    HANDLE next = INVALID_HANDLE_VALUE;
    if (number < clients) {
      next = new_instance(path);
      say("instance %d created while client %d is served", number + 1, number);
    }
    answer(instance, number, line);
    FlushFileBuffers(instance);     /* every reply read by the client before we cut it off */
    DisconnectNamedPipe(instance);  /* the instance could now serve another client... */
    CloseHandle(instance);          /* ...but each client here gets a new one */
    say("client %d left (ReadFile: ERROR_BROKEN_PIPE): DisconnectNamedPipe, CloseHandle", number);
    instance = next;
  }
  /* #endregion serve-win32 */
  say("served %d clients: the last instance is closed and the name is gone", clients);
  return 0;
}

static HANDLE open_client(const char *narrow) {
  wchar_t path[300];
  to_wide(narrow, path, 300);
  for (;;) {
    HANDLE pipe = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (pipe != INVALID_HANDLE_VALUE) return pipe;
    DWORD error = GetLastError();
    if (error != ERROR_PIPE_BUSY) fail("CreateFileW", error);
    if (!WaitNamedPipeW(path, 10000)) fail("WaitNamedPipeW", GetLastError());
  }
}
static void close_client(HANDLE pipe) { CloseHandle(pipe); }
#else
static int serve(const char *path, int clients) {
  struct sockaddr_un address;
  unix_address(&address, path);
  /* #region serve-posix */
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) fail("socket", errno);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) fail("bind", errno);
  /* The backlog: clients whose connect() has returned but whom accept() has not taken yet. */
  if (listen(listener, 8) != 0) fail("listen", errno);
  /* Only to say which case each accept is: is a client already waiting in the backlog? Asked
   * before anything is printed, so the answer does not depend on how fast the client starts. */
  struct pollfd ready = {listener, POLLIN, 0};
  int waiting = poll(&ready, 1, 0);
  say("listening on %s; accept waits for a client", path);
  for (int number = 1; number <= clients; number++) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) fail("accept4", errno);
    char line[LINE_BYTES + 1];
    if (!read_line(c, line, LINE_BYTES)) fail("read", ECONNRESET);
    if (waiting > 0) say("client %d: it was already in the backlog: connect() returned before accept()", number);
    else say("client %d: accept waited for this client", number);
    answer(c, number, line);
    close(c); /* this client's socket; the listener stays for the next */
    waiting = poll(&ready, 1, 0);
    say("client %d left (read returned 0): close(its socket)", number);
  }
  close(listener);
  unlink(path); /* the socket file outlives the socket: remove the name */
  /* #endregion serve-posix */
  say("served %d clients: closed the listener and unlinked its path", clients);
  return 0;
}

static int open_client(const char *path) {
  struct sockaddr_un address;
  unix_address(&address, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", errno);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", errno);
  return fd;
}
static void close_client(int fd) { close(fd); }
#endif

/* Reads one line from stdin into `line`; 0 at end of file. */
static int read_stdin_line(char *line, int size) {
  if (fgets(line, size, stdin) == NULL) return 0;
  line[strcspn(line, "\r\n")] = 0;
  return 1;
}

static int client(const char *path, const char *text, int hold) {
  connection c = open_client(path);
  /* Printed before the request is written: the server prints only after it has read it. */
  say("connected; sending \"%s\"", text);
  char line[LINE_BYTES + 1];
  snprintf(line, sizeof line, "%s\n", text);
  write_all(c, line, strlen(line));
  if (!read_line(c, line, LINE_BYTES)) {
    say("the server closed the connection");
    return 1;
  }
  say("reply: \"%s\"", line);
  if (hold) {
    say("holding the connection: the server is busy with me");
    char command[64];
    while (read_stdin_line(command, sizeof command) && strcmp(command, "close") != 0) {
    }
    say("closing");
  }
  close_client(c);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "serve") == 0) return serve(argv[2], atoi(argv[3]));
  if (argc >= 4 && strcmp(argv[1], "client") == 0) return client(argv[2], argv[3], argc >= 5 && strcmp(argv[4], "--hold") == 0);
  fprintf(stderr, "usage: %s serve <path> <clients> | client <path> <text> [--hold]\n", argv[0]);
  return 2;
}
