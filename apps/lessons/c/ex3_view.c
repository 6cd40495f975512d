/*
 * Lesson 3, exercise: map a view at any offset, in C. The OS maps only
 * from a multiple of its granularity (64 KiB on Windows, the page size on
 * POSIX): round the offset down, map the difference too, and skip it.
 *
 *   ex3_view <name> <offset> <length>     prints the text found there
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <sys/mman.h>
#endif

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <name> <offset> <length>\n", argv[0]);
    return 2;
  }
  uint64_t offset = strtoull(argv[2], NULL, 10);
  size_t length = (size_t)strtoul(argv[3], NULL, 10);
  /* #region view */
#ifdef _WIN32
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  uint64_t granularity = info.dwAllocationGranularity;
#else
  uint64_t granularity = (uint64_t)sysconf(_SC_PAGESIZE);
#endif
  uint64_t aligned = offset / granularity * granularity; /* round down */
  size_t delta = (size_t)(offset - aligned);             /* the bytes before ours */
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(argv[1], wide, 300);
  HANDLE mapping = OpenFileMappingW(FILE_MAP_READ, FALSE, wide);
  if (mapping == NULL) fail("OpenFileMappingW", GetLastError());
  /* The offset is one 64-bit number, given as its high and low 32 bits (not a sum). */
  const char *view = MapViewOfFile(mapping, FILE_MAP_READ, (DWORD)(aligned >> 32), (DWORD)aligned, delta + length);
  if (view == NULL) fail("MapViewOfFile", GetLastError());
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", argv[1]);
  int fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) fail("shm_open", errno);
  const char *view = mmap(NULL, delta + length, PROT_READ, MAP_SHARED, fd, (off_t)aligned);
  if (view == MAP_FAILED) fail("mmap", errno);
  close(fd);
#endif
  const char *ours = view + delta;
  /* #endregion view */
  say("mapped from %llu (a multiple of %llu), skipped %zu bytes: \"%.*s\"", (unsigned long long)aligned, (unsigned long long)granularity, delta,
      (int)strnlen(ours, length), ours);
#ifdef _WIN32
  UnmapViewOfFile(view);
  CloseHandle(mapping);
#else
  munmap((void *)view, delta + length);
#endif
  return 0;
}
