/*
 * A native mailslot writer with nothing but the OS's plain calls, to prove
 * that a program outside ipckit reaches an ipckit server.
 *
 *   mailslot_writer <path> <message>... [+<n>]
 *
 * Sends each <message> as one message. "+<n>" sends an <n>-byte message whose
 * byte i is (i * 7) & 255. Exits 0 when every message was accepted.
 *
 * POSIX: socket(AF_UNIX, SOCK_DGRAM) + sendto(path) (the path the listener reports).
 * Windows: CreateFileA(\\.\mailslot\name) + WriteFile. Cross-compiles with x86_64-w64-mingw32-gcc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

static int send_one(const char *path, const char *data, size_t size);

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <path> <message>... [+<n>]\n", argv[0]);
    return 2;
  }
  for (int i = 2; i < argc; i++) {
    if (argv[i][0] == '+') {
      size_t n = (size_t)strtoul(argv[i] + 1, NULL, 10);
      char *big = malloc(n ? n : 1);
      for (size_t j = 0; j < n; j++) big[j] = (char)((j * 7) & 255);
      if (send_one(argv[1], big, n) != 0) return 1;
      free(big);
    } else if (send_one(argv[1], argv[i], strlen(argv[i])) != 0) {
      return 1;
    }
  }
  printf("sent %d\n", argc - 2);
  return 0;
}

#ifdef _WIN32
static HANDLE slot = INVALID_HANDLE_VALUE;

static int send_one(const char *path, const char *data, size_t size) {
  if (slot == INVALID_HANDLE_VALUE) {
    slot = CreateFileA(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (slot == INVALID_HANDLE_VALUE) {
      fprintf(stderr, "CreateFileA(%s) failed: %lu\n", path, GetLastError());
      return 1;
    }
  }
  DWORD written = 0;
  if (!WriteFile(slot, data, (DWORD)size, &written, NULL) || written != size) {
    fprintf(stderr, "WriteFile failed: %lu\n", GetLastError());
    return 1;
  }
  return 0;
}
#else
static int fd = -1;

static int send_one(const char *path, const char *data, size_t size) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "path too long\n");
    return 1;
  }
  strcpy(addr.sun_path, path);
  if (fd < 0) {
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) {
      perror("socket");
      return 1;
    }
  }
  /* A blocking socket: when the reader's queue is full, sendto waits (the backpressure). */
  if (sendto(fd, data, size, 0, (struct sockaddr *)&addr, sizeof addr) != (ssize_t)size) {
    perror("sendto");
    return 1;
  }
  return 0;
}
#endif
