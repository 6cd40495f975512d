/*
 * Lesson 3, memory-mapped files in C: the programs of the series' part 3
 * (process1/process2, MemWrite/MemRead), fixed, and the article's pitfalls
 * run for real.
 *
 *   mapping granularity        the page size and the allocation granularity
 *   mapping read <name>        opens a region by name and prints the student in it
 *   mapping pitfalls <name>    the articles' mistakes, each run and explained (<name>: an existing region)
 *   mapping leak <name>        creates a region and exits without closing anything
 *   mapping unlink <name>      removes a region's name (POSIX); nothing to do on Windows
 *   mapping file <path>        reads a file written through a mapping, with plain file I/O
 *
 * Windows: CreateFileMappingW / OpenFileMappingW / MapViewOfFile /
 * UnmapViewOfFile / CloseHandle. POSIX: shm_open / ftruncate / mmap /
 * munmap / close / shm_unlink.
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#endif

/* The article's record. long is 4 bytes on Windows, 8 on 64-bit Linux. */
struct student {
  long ID;
  char name[20];
};

/* "MapTrans" as the article passed it: bytes, zero-padded so that the wide
 * read below ends at a wide NUL. (With a plain literal, what follows its
 * one NUL byte is whatever the compiler put there next.) */
static const char narrow_name[10] = "MapTrans";

/* The narrow bytes read as UTF-16LE, as a ...W call reads a (LPCWSTR) cast,
 * written out as UTF-8. */
static void as_wide(const char *bytes, char *out) {
  size_t o = 0;
  for (size_t i = 0;; i += 2) {
    unsigned unit = (unsigned char)bytes[i] | ((unsigned char)bytes[i + 1] << 8);
    if (unit == 0) break;
    if (unit < 0x80) {
      out[o++] = (char)unit;
    } else if (unit < 0x800) {
      out[o++] = (char)(0xc0 | (unit >> 6));
      out[o++] = (char)(0x80 | (unit & 0x3f));
    } else {
      out[o++] = (char)(0xe0 | (unit >> 12));
      out[o++] = (char)(0x80 | ((unit >> 6) & 0x3f));
      out[o++] = (char)(0x80 | (unit & 0x3f));
    }
  }
  out[o] = 0;
}

static void granularity(void) {
#ifdef _WIN32
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  say("page size %lu bytes, allocation granularity %lu bytes: MapViewOfFile offsets must be multiples of %lu",
      (unsigned long)info.dwPageSize, (unsigned long)info.dwAllocationGranularity, (unsigned long)info.dwAllocationGranularity);
#else
  long page = sysconf(_SC_PAGESIZE);
  say("page size %ld bytes: mmap offsets must be multiples of %ld", page, page);
#endif
}

static int read_student(const char *name) {
  char text[100];
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(name, wide, 300);
  /* #region read-win32 */
  HANDLE mapping = OpenFileMappingW(FILE_MAP_READ, FALSE, wide);
  if (mapping == NULL) {
    DWORD error = GetLastError();
    say("OpenFileMappingW(\"%s\"): %s", name, OS_ERROR(text, error));
    return 0;
  }
  const struct student *s = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, sizeof(struct student));
  if (s == NULL) fail("MapViewOfFile", GetLastError());
  say("sizeof(struct student) = %zu; read {ID: %ld, name: \"%.20s\"}", sizeof(struct student), s->ID, s->name);
  UnmapViewOfFile(s);
  CloseHandle(mapping);
  /* #endregion read-win32 */
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  /* #region read-posix */
  int fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) {
    int error = errno;
    say("shm_open(\"%s\"): %s", path, OS_ERROR(text, error));
    return 0;
  }
  const struct student *s = mmap(NULL, sizeof(struct student), PROT_READ, MAP_SHARED, fd, 0);
  if (s == MAP_FAILED) fail("mmap", errno);
  close(fd); /* the mapping keeps the object; the descriptor is no longer needed */
  say("sizeof(struct student) = %zu; read {ID: %ld, name: \"%.20s\"}", sizeof(struct student), s->ID, s->name);
  munmap((void *)s, sizeof(struct student));
  /* #endregion read-posix */
#endif
  return 0;
}

static void pitfalls(const char *existing) {
  char text[100];
  char wide_as_utf8[64];
  as_wide(narrow_name, wide_as_utf8);
  say("(LPCWSTR)\"MapTrans\" is read as the wide string L\"%s\": 8 bytes make 4 UTF-16 characters", wide_as_utf8);
#ifdef _WIN32
  /* #region cast */
  /* 1. The cast: the W call takes the name it is given, which is not "MapTrans". */
  HANDLE cast = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, (LPCWSTR)narrow_name);
  if (cast == NULL) fail("CreateFileMappingW", GetLastError());
  HANDLE by_name = OpenFileMappingA(FILE_MAP_READ, FALSE, "MapTrans");
  DWORD error = GetLastError();
  if (by_name == NULL) say("OpenFileMappingA(\"MapTrans\"): %s", OS_ERROR(text, error));
  else CloseHandle(by_name);
  HANDLE by_wide = OpenFileMappingW(FILE_MAP_READ, FALSE, (LPCWSTR)narrow_name);
  if (by_wide != NULL) {
    say("OpenFileMappingW(L\"%s\"): found; the object has that name", wide_as_utf8);
    CloseHandle(by_wide);
  }
  CloseHandle(cast);
  /* #endregion cast */

  /* #region handle */
  /* 2. 0xFFFFFFFF is not INVALID_HANDLE_VALUE on 64-bit. The article's
   * (HANDLE)0xFFFFFFFF converts a 32-bit unsigned int: gcc warns "cast to
   * pointer from integer of different size"; the value is zero-extended. */
  HANDLE article = (HANDLE)(ULONG_PTR)0xFFFFFFFFu;
  say("sizeof(HANDLE) = %zu: (HANDLE)0xFFFFFFFF is %#018llx, INVALID_HANDLE_VALUE is %#018llx", sizeof(HANDLE), (unsigned long long)(ULONG_PTR)article,
      (unsigned long long)(ULONG_PTR)INVALID_HANDLE_VALUE);
  HANDLE wrong = CreateFileMappingW(article, NULL, PAGE_READWRITE, 0, 4096, NULL);
  error = GetLastError();
  if (wrong == NULL) say("CreateFileMappingW((HANDLE)0xFFFFFFFF, ...): %s", OS_ERROR(text, error));
  else CloseHandle(wrong);
  /* NULL for "no file": not what the documentation says (INVALID_HANDLE_VALUE),
   * though kernel32 turns INVALID_HANDLE_VALUE into a NULL file handle inside. */
  wrong = CreateFileMappingW(NULL, NULL, PAGE_READWRITE, 0, 4096, NULL);
  error = GetLastError();
  if (wrong == NULL) say("CreateFileMappingW(NULL, ...): %s; the documented \"no file\" is INVALID_HANDLE_VALUE", OS_ERROR(text, error));
  else {
    say("CreateFileMappingW(NULL, ...): accepted here, but undocumented; the documented \"no file\" is INVALID_HANDLE_VALUE");
    CloseHandle(wrong);
  }
  /* #endregion handle */

  /* #region offset */
  /* 3. Offsets: a multiple of the allocation granularity (64 KiB), not of the page. */
  HANDLE big = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 256 * 1024, NULL);
  if (big == NULL) fail("CreateFileMappingW", GetLastError());
  void *view = MapViewOfFile(big, FILE_MAP_READ, 0, 4096, 16);
  error = GetLastError();
  if (view == NULL) say("MapViewOfFile at offset 4096: %s", OS_ERROR(text, error));
  else UnmapViewOfFile(view);
  view = MapViewOfFile(big, FILE_MAP_READ, 0, 65536, 16);
  if (view == NULL) fail("MapViewOfFile", GetLastError());
  say("MapViewOfFile at offset 65536: mapped");
  UnmapViewOfFile(view);
  CloseHandle(big);
  /* #endregion offset */

  /* #region exists */
  /* 4. Creating a name that exists returns the existing object, with
   * ERROR_ALREADY_EXISTS, and the size asked for is ignored. */
  wchar_t wide[300];
  to_wide(existing, wide, 300);
  HANDLE again = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 1024 * 1024, wide);
  error = GetLastError(); /* right after the call: a success keeps the last error too */
  if (again == NULL) fail("CreateFileMappingW", error);
  if (error == ERROR_ALREADY_EXISTS) say("CreateFileMappingW(\"%s\", 1 MiB) again: a handle, and %s: the writer's region, not a new one", existing, OS_ERROR(text, error));
  CloseHandle(again);
  /* #endregion exists */
#else
  say("POSIX has no wide calls: a name is bytes, and \"MapTrans\" is the name");

  /* #region posix */
  /* 2. The "no file" handle: POSIX says so with MAP_ANONYMOUS, not with a magic descriptor. */
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, -1, 0);
  int error = errno;
  if (p == MAP_FAILED) say("mmap(MAP_SHARED, fd -1): %s; \"no file\" is the flag MAP_ANONYMOUS", OS_ERROR(text, error));
  else munmap(p, 4096);
  p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) fail("mmap", errno);
  say("mmap(MAP_SHARED | MAP_ANONYMOUS, fd -1): mapped, shared with children only (it has no name)");
  munmap(p, 4096);

  /* 3. Offsets: a multiple of the page size. */
  char path[300];
  snprintf(path, sizeof path, "/%s", existing);
  int fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) fail("shm_open", errno);
  p = mmap(NULL, 16, PROT_READ, MAP_SHARED, fd, 100);
  error = errno;
  if (p == MAP_FAILED) say("mmap at offset 100: %s", OS_ERROR(text, error));
  else munmap(p, 16);
  p = mmap(NULL, 16, PROT_READ, MAP_SHARED, fd, 4096);
  if (p == MAP_FAILED) fail("mmap", errno);
  say("mmap at offset 4096: mapped");
  munmap(p, 16);
  close(fd);

  /* 4. Creating a name that exists: O_EXCL says so; without it, the old object opens silently. */
  fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  error = errno;
  if (fd < 0) say("shm_open(\"%s\", O_CREAT | O_EXCL): %s", path, OS_ERROR(text, error));
  else close(fd);
  fd = shm_open(path, O_RDONLY | O_CREAT, 0600);
  if (fd < 0) fail("shm_open", errno);
  struct stat st;
  if (fstat(fd, &st) != 0) fail("fstat", errno);
  say("shm_open(\"%s\", O_CREAT) without O_EXCL: opened the writer's object (%lld bytes) without a word", path, (long long)st.st_size);
  close(fd);
#endif
  /* #endregion posix */
}

static void leak(const char *name) {
  /* The English article's MemWrite: create, map, write, and never close. */
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(name, wide, 300);
  HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(struct student), wide);
  if (mapping == NULL) fail("CreateFileMappingW", GetLastError());
  struct student *s = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, sizeof(struct student));
  if (s == NULL) fail("MapViewOfFile", GetLastError());
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) fail("shm_open", errno);
  if (ftruncate(fd, sizeof(struct student)) != 0) fail("ftruncate", errno);
  struct student *s = mmap(NULL, sizeof(struct student), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (s == MAP_FAILED) fail("mmap", errno);
#endif
  s->ID = 99041232;
  snprintf(s->name, sizeof s->name, "%s", "SecBug");
  say("created \"%s\", wrote {ID: 99041232, name: \"SecBug\"}, and exits without closing or removing anything", name);
}

static void unlink_region(const char *name) {
#ifdef _WIN32
  say("nothing to remove: a file mapping goes with its last handle");
  (void)name;
#else
  char path[300], text[100];
  snprintf(path, sizeof path, "/%s", name);
  if (shm_unlink(path) == 0) say("shm_unlink(\"%s\"): removed", path);
  else {
    int error = errno;
    say("shm_unlink(\"%s\"): %s", path, OS_ERROR(text, error));
  }
#endif
}

static void read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) fail("fopen", (unsigned long)errno);
  char data[4096];
  size_t size = fread(data, 1, sizeof data, f);
  fclose(f);
  char *end = memchr(data, '\n', size);
  if (end != NULL) *end = 0;
  say("read the file with fopen/fread: %zu bytes, beginning \"%s\"", size, end != NULL ? data : "?");
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "granularity") == 0) granularity();
  else if (argc >= 3 && strcmp(argv[1], "read") == 0) return read_student(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "pitfalls") == 0) pitfalls(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "leak") == 0) leak(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "unlink") == 0) unlink_region(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "file") == 0) read_file(argv[2]);
  else {
    fprintf(stderr, "usage: %s granularity | read <name> | pitfalls <name> | leak <name> | unlink <name> | file <path>\n", argv[0]);
    return 2;
  }
  return 0;
}
