/*
 * Lesson 2, byte mode and message mode, in one process: two writes of
 * "hello" and "world", then one read with room for both.
 *
 *   pipe_modes <name>
 *
 * Windows: a named pipe in byte mode (PIPE_TYPE_BYTE) gives "helloworld"
 * in one read; in message mode (PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE)
 * "hello", then "world". A message longer than the read's buffer: ReadFile
 * fails with ERROR_MORE_DATA and the rest waits for the next read.
 * POSIX: a SOCK_STREAM socketpair is the byte stream; a SOCK_SEQPACKET one
 * keeps messages, like message mode, but a message longer than the buffer is
 * cut (MSG_TRUNC) and the rest is gone.
 */
#include "lesson.h"

#ifndef _WIN32
#include <sys/socket.h>
#endif

#ifdef _WIN32
static void demo(const char *base, int message_mode) {
  wchar_t name[300];
  char narrow[300];
  snprintf(narrow, sizeof narrow, "\\\\.\\pipe\\%s.%s", base, message_mode ? "messages" : "bytes");
  to_wide(narrow, name, 300);
  /* #region modes */
  DWORD mode = message_mode ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
  HANDLE server = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX, mode | PIPE_WAIT, 1, 4096, 4096, 0, NULL);
  if (server == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  HANDLE client = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (client == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  /* The client is already there: ConnectNamedPipe says ERROR_PIPE_CONNECTED, which is success. */
  if (!ConnectNamedPipe(server, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) fail("ConnectNamedPipe", GetLastError());
  /* #endregion modes */
  DWORD n;
  WriteFile(client, "hello", 5, &n, NULL);
  WriteFile(client, "world", 5, &n, NULL);
  char buffer[64];
  for (int i = 0; i < (message_mode ? 2 : 1); i++) {
    DWORD got = 0;
    if (!ReadFile(server, buffer, sizeof buffer, &got, NULL)) fail("ReadFile", GetLastError());
    buffer[got] = 0;
    say("%s: read %lu bytes: \"%s\"", message_mode ? "message mode" : "byte mode", (unsigned long)got, buffer);
  }
  if (message_mode) {
    WriteFile(client, "a longer message", 16, &n, NULL);
    DWORD got = 0;
    char text[100];
    BOOL ok = ReadFile(server, buffer, 6, &got, NULL);
    DWORD error = GetLastError();
    buffer[got] = 0;
    say("message mode: a 6-byte read of a 16-byte message: \"%s\", %s", buffer, ok ? "complete" : OS_ERROR(text, error));
    ok = ReadFile(server, buffer, sizeof buffer, &got, NULL);
    buffer[got] = 0;
    say("message mode: the next read gets the rest: \"%s\"", buffer);
  }
  CloseHandle(client);
  CloseHandle(server);
}
#else
static void demo(const char *base, int message_mode) {
  (void)base;
  int pair[2];
  if (socketpair(AF_UNIX, (message_mode ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair", errno);
  const char *kind = message_mode ? "SOCK_SEQPACKET" : "SOCK_STREAM";
  if (write(pair[1], "hello", 5) != 5 || write(pair[1], "world", 5) != 5) fail("write", errno);
  char buffer[64];
  for (int i = 0; i < (message_mode ? 2 : 1); i++) {
    ssize_t got = read(pair[0], buffer, sizeof buffer);
    if (got < 0) fail("read", errno);
    buffer[got] = 0;
    say("%s: read %zd bytes: \"%s\"", kind, got, buffer);
  }
  if (message_mode) {
    if (write(pair[1], "a longer message", 16) != 16) fail("write", errno);
    /* MSG_TRUNC: return the message's real length even though only 6 bytes fit. */
    ssize_t length = recv(pair[0], buffer, 6, MSG_TRUNC);
    buffer[6] = 0;
    say("%s: a 6-byte read of a %zd-byte message: \"%s\", the rest is discarded", kind, length, buffer);
    ssize_t more = recv(pair[0], buffer, sizeof buffer, MSG_DONTWAIT);
    char text[100];
    if (more < 0) say("%s: the next read finds nothing: %s", kind, OS_ERROR(text, errno));
  }
  close(pair[0]);
  close(pair[1]);
}
#endif

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <name>\n", argv[0]);
    return 2;
  }
  demo(argv[1], 0);
  demo(argv[1], 1);
  return 0;
}
