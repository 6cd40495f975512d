/*
 * Lesson 2, the client's side of a message-type pipe, in one process: how
 * much is waiting without reading it, the client's read mode, and a request
 * and its reply in one call.
 *
 *   pipe_transact <name>
 *
 * Windows: a PIPE_TYPE_MESSAGE pipe; the client's handle from CreateFileW
 * starts in byte-read mode (GetNamedPipeHandleStateW) and
 * SetNamedPipeHandleState(PIPE_READMODE_MESSAGE) makes it read messages;
 * PeekNamedPipe says what is waiting and copies it without taking it;
 * TransactNamedPipe writes a request and reads the reply in one call (a
 * server thread answers).
 * POSIX: a SOCK_SEQPACKET socketpair; ioctl(FIONREAD) and recv(MSG_PEEK)
 * for PeekNamedPipe; a socket's type is fixed when it is made, so there is
 * no read mode to set; no transaction call: a write, then a read.
 *
 * Build: cc -O2 -Wall -o pipe_transact pipe_transact.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o pipe_transact.exe pipe_transact.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS pipe_transact.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <sys/ioctl.h>
#include <sys/socket.h>
#endif

#ifdef _WIN32
/* The server's side of the transaction: reads the request, answers it. */
static DWORD WINAPI answer(LPVOID parameter) {
  HANDLE server = (HANDLE)parameter;
  char request[64], reply[96];
  DWORD got = 0, written;
  if (!ReadFile(server, request, sizeof request - 1, &got, NULL)) fail("ReadFile", GetLastError());
  request[got] = 0;
  say("server thread: got \"%s\", replying", request);
  snprintf(reply, sizeof reply, "the answer to %s", request);
  if (!WriteFile(server, reply, (DWORD)strlen(reply), &written, NULL)) fail("WriteFile", GetLastError());
  return 0;
}

static int run(const char *base) {
  char narrow[300];
  wchar_t name[300];
  snprintf(narrow, sizeof narrow, "\\\\.\\pipe\\%s", base);
  to_wide(narrow, name, 300);
  HANDLE server = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, 4096, 4096, 0, NULL);
  if (server == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  HANDLE client = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (client == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  if (!ConnectNamedPipe(server, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) fail("ConnectNamedPipe", GetLastError());
  DWORD written;
  if (!WriteFile(server, "first", 5, &written, NULL) || !WriteFile(server, "second", 6, &written, NULL)) fail("WriteFile", GetLastError());
  say("the server writes two messages, \"first\" and \"second\"");

  /* #region peek */
  char buffer[64];
  DWORD peeked = 0, waiting = 0, left = 0;
  /* Copies what is there without taking it (here into 3 bytes), and says how much waits in all and
   * how much of this message did not fit. */
  if (!PeekNamedPipe(client, buffer, 3, &peeked, &waiting, &left)) fail("PeekNamedPipe", GetLastError());
  buffer[peeked] = 0;
  say("PeekNamedPipe into 3 bytes: copied \"%s\", %lu bytes waiting, %lu more in this message; nothing taken", buffer, (unsigned long)waiting, (unsigned long)left);
  /* #endregion peek */

  /* #region read-mode */
  DWORD state = 0;
  if (!GetNamedPipeHandleStateW(client, &state, NULL, NULL, NULL, NULL, 0)) fail("GetNamedPipeHandleStateW", GetLastError());
  say("the client's handle from CreateFileW is in %s", state & PIPE_READMODE_MESSAGE ? "message-read mode" : "byte-read mode");
  DWORD mode = PIPE_READMODE_MESSAGE; /* the server chose the pipe's type; each handle chooses how it reads */
  if (!SetNamedPipeHandleState(client, &mode, NULL, NULL)) fail("SetNamedPipeHandleState", GetLastError());
  say("SetNamedPipeHandleState(PIPE_READMODE_MESSAGE): now each read returns one message");
  for (int i = 0; i < 2; i++) {
    DWORD got = 0;
    if (!ReadFile(client, buffer, sizeof buffer - 1, &got, NULL)) fail("ReadFile", GetLastError());
    buffer[got] = 0;
    say("ReadFile: \"%s\"", buffer);
  }
  /* #endregion read-mode */

  /* #region transact */
  HANDLE thread = CreateThread(NULL, 0, answer, server, 0, NULL);
  if (thread == NULL) fail("CreateThread", GetLastError());
  DWORD got = 0;
  /* One call: writes the request as a message, then waits for and reads one reply message. It needs
   * a duplex message-type pipe and a handle in message-read mode. */
  if (!TransactNamedPipe(client, "question", 8, buffer, sizeof buffer - 1, &got, NULL)) fail("TransactNamedPipe", GetLastError());
  buffer[got] = 0;
  say("TransactNamedPipe: wrote \"question\" and read the reply in one call: \"%s\"", buffer);
  /* #endregion transact */
  WaitForSingleObject(thread, 10000);
  CloseHandle(thread);
  CloseHandle(client);
  CloseHandle(server);
  return 0;
}
#else
static int run(const char *base) {
  (void)base;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair", errno);
  if (write(pair[1], "first", 5) != 5 || write(pair[1], "second", 6) != 6) fail("write", errno);
  say("the server writes two messages, \"first\" and \"second\"");

  /* #region peek-posix */
  char buffer[64];
  int next = 0;
  /* FIONREAD: every byte waiting (on Linux, for SOCK_STREAM and SOCK_SEQPACKET alike). */
  if (ioctl(pair[0], FIONREAD, &next) != 0) fail("ioctl(FIONREAD)", errno);
  /* MSG_PEEK copies without taking; MSG_TRUNC makes recv return the message's whole length. */
  ssize_t length = recv(pair[0], buffer, 3, MSG_PEEK | MSG_TRUNC);
  if (length < 0) fail("recv(MSG_PEEK)", errno);
  buffer[length < 3 ? length : 3] = 0;
  say("recv(MSG_PEEK) into 3 bytes: copied \"%s\" of a %zd-byte message; ioctl(FIONREAD): %d bytes waiting; nothing taken", buffer, length, next);
  /* #endregion peek-posix */

  say("no read mode to set: a socket's type (SOCK_SEQPACKET here) is fixed when it is made");
  for (int i = 0; i < 2; i++) {
    ssize_t got = read(pair[0], buffer, sizeof buffer - 1);
    if (got < 0) fail("read", errno);
    buffer[got] = 0;
    say("read: \"%s\"", buffer);
  }

  /* #region transact-posix */
  /* No TransactNamedPipe: the request is one call, the reply another. */
  if (write(pair[0], "question", 8) != 8) fail("write", errno);
  ssize_t got = read(pair[1], buffer, sizeof buffer - 1);
  if (got < 0) fail("read", errno);
  buffer[got] = 0;
  char reply[96];
  snprintf(reply, sizeof reply, "the answer to %s", buffer);
  if (write(pair[1], reply, strlen(reply)) < 0) fail("write", errno);
  got = read(pair[0], buffer, sizeof buffer - 1);
  if (got < 0) fail("read", errno);
  buffer[got] = 0;
  say("no transaction call: write \"question\", then read the reply: \"%s\"", buffer);
  /* #endregion transact-posix */
  close(pair[0]);
  close(pair[1]);
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <name>\n", argv[0]);
    return 2;
  }
  return run(argv[1]);
}
