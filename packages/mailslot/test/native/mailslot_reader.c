/*
 * A native mailslot reader with nothing but the OS's plain calls, to prove
 * that an ipckit writer reaches a program outside ipckit.
 *
 *   mailslot_reader <path> <count>
 *
 * Creates the slot at <path>, prints "ready", then reads <count> messages and
 * prints one line per message: its length and an FNV-1a hash of its bytes, then
 * the message itself when it is printable text. Removes the slot and exits 0.
 *
 * POSIX: socket(AF_UNIX, SOCK_DGRAM) + bind(path) + recv; <path> is what
 * mailslotPath(name) returns, so ipckit's connect('mailslot://name') reaches it.
 * Windows: CreateMailslotA(\\.\mailslot\name) + ReadFile. Cross-compiles with x86_64-w64-mingw32-gcc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#define MAX_MESSAGE (1024 * 1024)

static void report(const unsigned char *data, long size) {
  uint32_t hash = 0x811c9dc5u;
  int printable = 1;
  for (long i = 0; i < size; i++) {
    hash ^= data[i];
    hash *= 0x01000193u;
    if (data[i] < 32 || data[i] > 126) printable = 0;
  }
  printf("%ld %08x %s\n", size, hash, printable && size < 200 ? (const char *)data : "-");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <path> <count>\n", argv[0]);
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
  unsigned char *buffer = malloc(MAX_MESSAGE + 1);
#ifdef _WIN32
  HANDLE slot = CreateMailslotA(argv[1], 0, MAILSLOT_WAIT_FOREVER, NULL);
  if (slot == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "CreateMailslotA failed: %lu\n", GetLastError());
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (long i = 0; i < count; i++) {
    DWORD got = 0;
    if (!ReadFile(slot, buffer, MAX_MESSAGE, &got, NULL)) {
      /* Wine reads a zero-length message as ERROR_BROKEN_PIPE; Windows returns TRUE, 0 bytes. */
      if (GetLastError() != ERROR_BROKEN_PIPE) {
        fprintf(stderr, "ReadFile failed: %lu\n", GetLastError());
        return 1;
      }
      got = 0;
    }
    buffer[got] = 0;
    report(buffer, (long)got);
  }
  CloseHandle(slot);
#else
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(argv[1]) >= sizeof addr.sun_path) return 2;
  strcpy(addr.sun_path, argv[1]);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("socket/bind");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (long i = 0; i < count; i++) {
    ssize_t got = recv(fd, buffer, MAX_MESSAGE, 0);
    if (got < 0) {
      perror("recv");
      return 1;
    }
    buffer[got] = 0;
    report(buffer, (long)got);
  }
  unlink(argv[1]);
  close(fd);
#endif
  return 0;
}
