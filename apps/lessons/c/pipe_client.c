/*
 * Lesson 2, a named-pipe client in C that speaks ipckit's framing to the
 * Node server (src/02-pipes/server.ts): each message is a 4-byte
 * little-endian length, then the bytes (docs/framing.md).
 *
 *   pipe_client <path>       (\\.\pipe\<name> on Windows, the socket path on Linux)
 *
 * It writes two frames in one write, then one frame in three writes, to
 * show that a byte stream keeps no boundaries of its own: the server sees
 * messages only because of the lengths.
 *
 * Windows: CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
 * OPEN_EXISTING, 0, NULL), waiting with WaitNamedPipeW while every instance
 * is busy (ERROR_PIPE_BUSY); WriteFile / ReadFile.
 * POSIX: socket(AF_UNIX, SOCK_STREAM), connect(path), write / read.
 */
#include "lesson.h"

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/un.h>
#endif

#ifdef _WIN32
static HANDLE pipe_handle = INVALID_HANDLE_VALUE;
static void write_bytes(const void *data, size_t size) {
  DWORD written = 0;
  if (!WriteFile(pipe_handle, data, (DWORD)size, &written, NULL) || written != size) fail("WriteFile", GetLastError());
}
static void read_bytes(void *data, size_t size) {
  char *p = data;
  while (size > 0) {
    DWORD got = 0;
    if (!ReadFile(pipe_handle, p, (DWORD)size, &got, NULL)) fail("ReadFile", GetLastError());
    p += got;
    size -= got;
  }
}
static void pause_ms(int ms) { Sleep((DWORD)ms); }
#else
static int fd = -1;
static void write_bytes(const void *data, size_t size) {
  const char *p = data;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0) fail("write", errno);
    p += n;
    size -= (size_t)n;
  }
}
static void read_bytes(void *data, size_t size) {
  char *p = data;
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n < 0) fail("read", errno);
    if (n == 0) {
      say("the server closed the connection");
      exit(1);
    }
    p += n;
    size -= (size_t)n;
  }
}
static void pause_ms(int ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}
#endif

/* #region frame */
/* A frame: the length as 4 little-endian bytes, then the payload. */
static size_t frame(unsigned char *out, const char *text) {
  uint32_t length = (uint32_t)strlen(text);
  out[0] = length & 0xff;
  out[1] = (length >> 8) & 0xff;
  out[2] = (length >> 16) & 0xff;
  out[3] = (length >> 24) & 0xff;
  memcpy(out + 4, text, length);
  return 4 + length;
}
/* #endregion frame */

/* Reads one frame; returns its text. */
static void read_frame(char *text, size_t size) {
  unsigned char header[4];
  read_bytes(header, 4);
  uint32_t length = header[0] | (header[1] << 8) | ((uint32_t)header[2] << 16) | ((uint32_t)header[3] << 24);
  if (length >= size) {
    say("a %u-byte reply is longer than this client takes", (unsigned)length);
    exit(1);
  }
  read_bytes(text, length);
  text[length] = 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <path>\n", argv[0]);
    return 2;
  }
#ifdef _WIN32
  wchar_t path[300];
  to_wide(argv[1], path, 300);
  /* #region connect */
  for (;;) {
    pipe_handle = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (pipe_handle != INVALID_HANDLE_VALUE) break;
    DWORD error = GetLastError();
    /* Every instance busy with another client: wait for one, then try again. */
    if (error != ERROR_PIPE_BUSY) fail("CreateFileW", error);
    if (!WaitNamedPipeW(path, 5000)) fail("WaitNamedPipeW", GetLastError());
  }
  /* #endregion connect */
#else
  struct sockaddr_un address;
  unix_address(&address, argv[1]);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", errno);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", errno);
#endif
  unsigned char out[256];
  char reply[256];

  /* #region glued */
  /* Two frames, one write: the stream does not care where one ends. */
  size_t used = frame(out, "first");
  used += frame(out + used, "second");
  say("one write of %zu bytes: two frames, \"first\" and \"second\"", used);
  write_bytes(out, used);
  read_frame(reply, sizeof reply);
  char second[256];
  read_frame(second, sizeof second);
  say("reply: \"%s\"", reply);
  say("reply: \"%s\"", second);

  /* One frame, three writes: the header split in two, then the rest. */
  used = frame(out, "in three pieces");
  say("one frame of %zu bytes in three writes: 2 bytes, 2 bytes, %zu bytes", used, used - 4);
  write_bytes(out, 2);
  pause_ms(50);
  write_bytes(out + 2, 2);
  pause_ms(50);
  write_bytes(out + 4, used - 4);
  /* #endregion glued */
  read_frame(reply, sizeof reply);
  say("reply: \"%s\"", reply);

#ifdef _WIN32
  CloseHandle(pipe_handle);
#else
  close(fd);
#endif
  return 0;
}
