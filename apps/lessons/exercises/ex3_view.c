/*
 * Lesson 3, exercise: map a view at any offset, in C. The OS maps only from a multiple of its
 * granularity (64 KiB on Windows, the page size on POSIX): round the offset down, map the difference
 * too, and skip it. Complete the TODO, then check your attempt: npm run lesson -- check 3
 * (the solution: c/ex3_view.c).
 *
 *   ex3_view <name> <offset> <length>     prints the text found there
 *
 * Build by hand: cc -I ../c -o ex3_view ex3_view.c (Linux), or in a Visual Studio developer
 * prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS /I ..\c ex3_view.c
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
  /* TODO: find the granularity (GetSystemInfo's dwAllocationGranularity, or sysconf(_SC_PAGESIZE)),
   * open the region by name (OpenFileMappingW, or shm_open("/<name>")), map from the multiple of the
   * granularity below `offset`, skip the difference, and print the text there. */
  say("not written yet: region %s, offset %llu, %zu bytes", argv[1], (unsigned long long)offset, length);
  return 0;
}
