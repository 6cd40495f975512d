/*
 * Lesson 1, a mailslot server in C: the twin of src/01-mailslots/server.ts.
 * Creates the slot, reads <count> messages waiting as long as it takes, then
 * sets a read timeout and shows it: one more read that nobody answers ends
 * after <timeout-ms>.
 *
 *   mailslot_server <path> <count> <timeout-ms>
 *
 * Windows: CreateMailslotW(path, 1024, MAILSLOT_WAIT_FOREVER, NULL), ReadFile,
 * SetMailslotInfo for the timeout, CloseHandle. CreateMailslotW fails with
 * INVALID_HANDLE_VALUE (not NULL), and a name already served fails with
 * ERROR_ALREADY_EXISTS.
 * POSIX: socket(AF_UNIX, SOCK_DGRAM), bind(path), recv, SO_RCVTIMEO for the
 * timeout, and unlink(path) at the end: a socket's name is a file that
 * outlives the socket unless it is removed.
 */
#include "lesson.h"

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#endif

#define MAX_MESSAGE 1024

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <path> <count> <timeout-ms>\n", argv[0]);
    return 2;
  }
  int count = atoi(argv[2]);
  int timeout_ms = atoi(argv[3]);
  char message[MAX_MESSAGE + 1];
  char text[100];
#ifdef _WIN32
  wchar_t path[300];
  to_wide(argv[1], path, 300);
  /* #region create */
  HANDLE slot = CreateMailslotW(path, MAX_MESSAGE, MAILSLOT_WAIT_FOREVER, NULL);
  if (slot == INVALID_HANDLE_VALUE) fail("CreateMailslotW", GetLastError());
  /* #endregion create */
  say("created %s", argv[1]);
  for (int i = 1; i <= count + 1; i++) {
    if (i == count + 1) {
      if (!SetMailslotInfo(slot, (DWORD)timeout_ms)) fail("SetMailslotInfo", GetLastError());
      say("read timeout set to %d ms (SetMailslotInfo)", timeout_ms);
    }
    DWORD got = 0;
    if (!ReadFile(slot, message, MAX_MESSAGE, &got, NULL)) {
      DWORD error = GetLastError();
      if (error == ERROR_SEM_TIMEOUT && i == count + 1) {
        say("no message within %d ms: ReadFile %s", timeout_ms, OS_ERROR(text, error));
        break;
      }
      fail("ReadFile", error);
    }
    message[got] = 0;
    say("message %d: %lu bytes, \"%s\"", i, (unsigned long)got, message);
  }
  CloseHandle(slot);
#else
  struct sockaddr_un address;
  unix_address(&address, argv[1]);
  /* The folder is ipckit's per-user one (mode 0700); make it if no ipckit server has yet. */
  char folder[sizeof address.sun_path];
  strcpy(folder, argv[1]);
  char *slash = strrchr(folder, '/');
  if (slash != NULL) {
    *slash = 0;
    if (mkdir(folder, 0700) != 0 && errno != EEXIST) fail("mkdir", errno);
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", errno);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("bind", errno);
  say("created %s", argv[1]);
  for (int i = 1; i <= count + 1; i++) {
    if (i == count + 1) {
      struct timeval timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
      if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) fail("setsockopt", errno);
      say("read timeout set to %d ms (SO_RCVTIMEO)", timeout_ms);
    }
    ssize_t got = recv(fd, message, MAX_MESSAGE, 0);
    if (got < 0) {
      int error = errno;
      if ((error == EAGAIN || error == EWOULDBLOCK) && i == count + 1) {
        say("no message within %d ms: recv %s", timeout_ms, OS_ERROR(text, error));
        break;
      }
      fail("recv", error);
    }
    message[got] = 0;
    say("message %d: %zd bytes, \"%s\"", i, got, message);
  }
  unlink(argv[1]);
  close(fd);
#endif
  return 0;
}
