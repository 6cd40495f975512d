/*
 * Lesson 1, a mailslot writer in C: the twin of src/01-mailslots/client.ts.
 * Opens the slot by its path and writes each argument as one message.
 *
 *   mailslot_client <path> <message>...
 *
 * Windows: CreateFileW(\\.\mailslot\<name>) + WriteFile. CreateFileW fails
 * with INVALID_HANDLE_VALUE, not NULL: testing for NULL, as mailslot
 * examples often do, lets a failed open through.
 * POSIX: a Unix datagram socket, connect() to the path, send() per message.
 */
#include "lesson.h"

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/un.h>
#endif

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <path> <message>...\n", argv[0]);
    return 2;
  }
#ifdef _WIN32
  wchar_t path[300];
  to_wide(argv[1], path, 300);
  /* #region open */
  /* FILE_SHARE_READ | FILE_SHARE_WRITE: other writers may have it open too. */
  HANDLE slot = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (slot == INVALID_HANDLE_VALUE) { /* not NULL: CreateFileW fails with INVALID_HANDLE_VALUE */
    char text[100];
    DWORD error = GetLastError();
    say("cannot open the slot: CreateFileW %s", OS_ERROR(text, error));
    return 0;
  }
  /* Say what will be written first, then write: a reader's lines never come before these. */
  for (int i = 2; i < argc; i++) say("writing %zu bytes: \"%s\"", strlen(argv[i]), argv[i]);
  for (int i = 2; i < argc; i++) {
    DWORD size = (DWORD)strlen(argv[i]), written = 0;
    if (!WriteFile(slot, argv[i], size, &written, NULL)) fail("WriteFile", GetLastError()); /* one write, one message */
  }
  CloseHandle(slot);
  /* #endregion open */
#else
  struct sockaddr_un address;
  unix_address(&address, argv[1]);
  /* #region posix */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", errno);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    char text[100];
    int error = errno;
    say("cannot open the slot: connect %s", OS_ERROR(text, error));
    close(fd);
    return 0;
  }
  for (int i = 2; i < argc; i++) say("writing %zu bytes: \"%s\"", strlen(argv[i]), argv[i]);
  for (int i = 2; i < argc; i++) {
    size_t size = strlen(argv[i]);
    /* One send, one datagram: the reader gets exactly these bytes in one recv. */
    if (send(fd, argv[i], size, 0) != (ssize_t)size) fail("send", errno);
  }
  close(fd);
  /* #endregion posix */
#endif
  return 0;
}
