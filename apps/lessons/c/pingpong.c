/*
 * Lesson 5, the round trip of src/05-choosing/roundtrip.ts in C: a client
 * of the Node echo server on pipe:// (framed: a 4-byte little-endian length,
 * then the bytes), <count> round trips of 64 bytes after 200 to warm up,
 * then the median and this process's CPU per round trip, user and system.
 * C does not make the kernel's part faster: compare with the Node client.
 *
 *   pingpong <path> <count>      (\\.\pipe\<name> on Windows, the socket path on Linux)
 */
#include "lesson.h"

#ifdef _WIN32
static HANDLE pipe_handle;
static void put(const void *data, size_t size) {
  DWORD n;
  if (!WriteFile(pipe_handle, data, (DWORD)size, &n, NULL)) fail("WriteFile", GetLastError());
}
static void get(void *data, size_t size) {
  char *p = data;
  while (size > 0) {
    DWORD n = 0;
    if (!ReadFile(pipe_handle, p, (DWORD)size, &n, NULL)) fail("ReadFile", GetLastError());
    p += n;
    size -= n;
  }
}
/* User and kernel time of this process, in nanoseconds. */
static void cpu_times(uint64_t *user, uint64_t *system) {
  FILETIME created, exited, kernel, usr;
  GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &usr);
  *user = (((uint64_t)usr.dwHighDateTime << 32) | usr.dwLowDateTime) * 100;
  *system = (((uint64_t)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime) * 100;
}
#else
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
static int fd;
static void put(const void *data, size_t size) {
  if (write(fd, data, size) != (ssize_t)size) fail("write", errno);
}
static void get(void *data, size_t size) {
  char *p = data;
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n <= 0) fail("read", n == 0 ? EPIPE : errno);
    p += n;
    size -= (size_t)n;
  }
}
static void cpu_times(uint64_t *user, uint64_t *system) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  *user = (uint64_t)usage.ru_utime.tv_sec * 1000000000ull + (uint64_t)usage.ru_utime.tv_usec * 1000ull;
  *system = (uint64_t)usage.ru_stime.tv_sec * 1000000000ull + (uint64_t)usage.ru_stime.tv_usec * 1000ull;
}
#endif

static void format_ns(double ns, char *out, size_t size) {
  if (ns < 1000) snprintf(out, size, "%.0f ns", ns);
  else if (ns < 1e6) snprintf(out, size, "%.3g µs", ns / 1e3);
  else snprintf(out, size, "%.3g ms", ns / 1e6);
}

static int by_value(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <path> <count>\n", argv[0]);
    return 2;
  }
  int count = atoi(argv[2]);
#ifdef _WIN32
  wchar_t path[300];
  to_wide(argv[1], path, 300);
  pipe_handle = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (pipe_handle == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
#else
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path, sizeof address.sun_path, "%s", argv[1]);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", errno);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", errno);
#endif
  /* One frame: the length 64, little-endian, then 64 bytes. */
  unsigned char frame[68] = {64, 0, 0, 0};
  unsigned char reply[68];
  uint64_t *samples = malloc(sizeof(uint64_t) * (size_t)count);
  for (int i = 0; i < 200; i++) {
    put(frame, sizeof frame);
    get(reply, sizeof reply);
  }
  uint64_t user0, system0, user1, system1;
  cpu_times(&user0, &system0);
  for (int i = 0; i < count; i++) {
    uint64_t start = now_ns();
    put(frame, sizeof frame); /* one write(): header and payload together */
    get(reply, sizeof reply);
    samples[i] = now_ns() - start;
  }
  cpu_times(&user1, &system1);
  qsort(samples, (size_t)count, sizeof samples[0], by_value);
  char median[32], user[32], system[32];
  format_ns((double)samples[count / 2], median, sizeof median);
  format_ns((double)(user1 - user0) / count, user, sizeof user);
  format_ns((double)(system1 - system0) / count, system, sizeof system);
  say("pipe (C client): %d round trips of 64 B, median %s", count, median);
  say("  CPU of this process per round trip: %s user, %s system", user, system);
#ifdef _WIN32
  CloseHandle(pipe_handle);
#else
  close(fd);
#endif
  free(samples);
  return 0;
}
