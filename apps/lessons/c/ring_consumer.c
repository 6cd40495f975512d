/*
 * Lesson 4, the consumer of a ring that a Node producer fills
 * (src/04-sync/ring-producer.ts), written from docs/ring-protocol.md, §3:
 * a 256-byte header, then `capacity` data bytes holding records
 * { u32 length; u32 fragment; payload; } padded to 8 bytes. The producer
 * owns `head` (byte 64), the consumer `tail` (byte 128): no lock, one
 * atomic store each to publish. When the ring is empty this consumer sleeps
 * a millisecond and looks again (an shm:// channel sleeps on a futex or an
 * event instead, and is woken: the protocol's "bells").
 *
 *   ring_consumer <name> <count>
 */
#include "lesson.h"

#ifdef _WIN32
static void nap(void) { Sleep(1); }
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
static void nap(void) {
  struct timespec t = {0, 1000000};
  nanosleep(&t, NULL);
}
#endif

#define RING_MAGIC 0x474E4952u /* "RING" */
#define HEAD 16                /* header words */
#define TAIL 32
#define PAD 0xFFFFFFFFu

static uint8_t *open_ring(const char *name) {
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(name, wide, 300);
  HANDLE mapping = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wide);
  if (mapping == NULL) fail("OpenFileMappingW", GetLastError());
  uint8_t *base = MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, 0); /* 0: the whole mapping */
  if (base == NULL) fail("MapViewOfFile", GetLastError());
  CloseHandle(mapping);
  return base;
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  int fd = shm_open(path, O_RDWR, 0);
  if (fd < 0) fail("shm_open", errno);
  struct stat st;
  if (fstat(fd, &st) != 0) fail("fstat", errno);
  uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) fail("mmap", errno);
  close(fd);
  return base;
#endif
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <name> <count>\n", argv[0]);
    return 2;
  }
  long count = atol(argv[2]);
  uint8_t *base = open_ring(argv[1]);
  uint32_t *header = (uint32_t *)base;
  if (atomic_load_u32(&header[0]) != RING_MAGIC || header[1] != 1) {
    say("not an ipckit ring (magic or version)");
    return 1;
  }
  uint32_t capacity = header[2];
  const uint8_t *data = base + header[3];
  uint32_t tail = atomic_load_u32(&header[TAIL]); /* ours: only we write it */
  say("attached: a ring of %u bytes, head = %u, tail = %u", capacity, atomic_load_u32(&header[HEAD]), tail);

  long got = 0, empty = 0, out_of_order = 0;
  /* #region consume */
  while (got < count) {
    uint32_t head = atomic_load_u32(&header[HEAD]); /* the producer's: everything before it is written */
    if (head == tail) {
      empty++;
      nap();
      continue;
    }
    while (tail != head) {
      uint32_t pos = tail & (capacity - 1);
      uint32_t length;
      memcpy(&length, data + pos, 4);
      if (length == PAD) { /* records never wrap: the rest of the ring is padding */
        tail += capacity - pos;
        continue;
      }
      char text[64];
      size_t n = length < sizeof text - 1 ? length : sizeof text - 1;
      memcpy(text, data + pos + 8, n);
      text[n] = 0;
      char expected[64];
      snprintf(expected, sizeof expected, "message %04ld", got + 1);
      if (strcmp(text, expected) != 0) out_of_order++;
      got++;
      tail += (8 + length + 7) & ~7u;
    }
    atomic_store_u32(&header[TAIL], tail); /* publish: the producer may reuse the space */
  }
  /* #endregion consume */
  say("read %ld messages, %s; tail = %u; found the ring empty %ld times", got, out_of_order == 0 ? "all in order" : "SOME OUT OF ORDER", tail, empty);
  return 0;
}
