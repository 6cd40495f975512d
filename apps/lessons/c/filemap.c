/*
 * Lesson 3, the rest of the articles' calls in C: their server and client
 * fixed (CopyMemory, a real wide name, the right comments, a wait instead of
 * while (1)), a file-backed mapping that grows its file (CreateFileMapping
 * with a file handle and a size, FlushViewOfFile), a copy-on-write view whose
 * writes no other process sees, and the Global\ and Local\ namespaces.
 *
 *   filemap share <name> <text>   creates a named mapping, copies <text> in, waits for "close" on stdin
 *   filemap read <name>           opens it by name and prints the text
 *   filemap grow <path> <bytes>   creates an empty file and maps <bytes> of it: the file grows
 *   filemap cow <path>            maps <path> copy-on-write, writes, shows its view, waits for "close"
 *   filemap peek <path>           maps <path> shared, read-only, and prints its first line
 *   filemap names <name>          Local\ and Global\ (Windows); one namespace per machine (POSIX)
 *
 * Build: cc -O2 -Wall -o filemap filemap.c (Linux: glibc has shm_open in libc
 * since 2.34; older ones need -lrt), x86_64-w64-mingw32-gcc -O2 -Wall -o
 * filemap.exe filemap.c, or in a Visual Studio developer prompt:
 * cl /W4 /D_CRT_SECURE_NO_WARNINGS filemap.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#endif

#define SHARED_BYTES 256

/* Reads one line from stdin into `line`; 0 at end of file. */
static int read_line(char *line, int size) {
  if (fgets(line, size, stdin) == NULL) return 0;
  line[strcspn(line, "\r\n")] = 0;
  return 1;
}

/* Waits until the lesson says "close" (or stdin ends): the articles' getchar() and while (1) {},
 * done as a wait that costs nothing. */
static void wait_for_close(void) {
  char line[64];
  while (read_line(line, sizeof line))
    if (strcmp(line, "close") == 0) return;
}

static void share(const char *name, const char *text) {
  char error_text[100];
  size_t length = strlen(text) + 1;
  if (length > SHARED_BYTES) fail("the text is too long for the mapping", 0);
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(name, wide, 300);
  /* #region share-win32 */
  /* INVALID_HANDLE_VALUE, not (HANDLE)0xFFFFFFFF: no file, the pagefile backs the memory. */
  HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, SHARED_BYTES, wide);
  DWORD error = GetLastError(); /* read at once: the next call may change it */
  if (mapping == NULL) fail("CreateFileMappingW", error);
  if (error == ERROR_ALREADY_EXISTS) {
    say("CreateFileMappingW(\"%s\"): %s, someone else's mapping: not writing to it", name, OS_ERROR(error_text, error));
    CloseHandle(mapping);
    return;
  }
  char *view = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, SHARED_BYTES); /* FILE_MAP_WRITE: a read/write view */
  if (view == NULL) fail("MapViewOfFile", GetLastError());
  CopyMemory(view, text, length); /* CopyMemory is memcpy: the bytes are visible to every view at once */
  say("created \"%s\" (%d bytes, pagefile-backed) and copied in \"%s\"", name, SHARED_BYTES, text);
  wait_for_close();
  UnmapViewOfFile(view);
  CloseHandle(mapping); /* the last handle: the mapping is gone */
  /* #endregion share-win32 */
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  /* #region share-posix */
  int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600); /* O_EXCL: never someone else's object */
  if (fd < 0) {
    int error = errno;
    say("shm_open(\"%s\", O_CREAT | O_EXCL): %s: not writing to it", path, OS_ERROR(error_text, error));
    return;
  }
  if (ftruncate(fd, SHARED_BYTES) != 0) fail("ftruncate", errno);
  char *view = mmap(NULL, SHARED_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (view == MAP_FAILED) fail("mmap", errno);
  close(fd);
  memcpy(view, text, length); /* Windows' CopyMemory */
  say("created \"%s\" (%d bytes, in /dev/shm) and copied in \"%s\"", path, SHARED_BYTES, text);
  wait_for_close();
  munmap(view, SHARED_BYTES);
  shm_unlink(path); /* the name lives until unlinked, whoever still has it mapped */
  /* #endregion share-posix */
#endif
  say("closed");
}

static void read_shared(const char *name) {
  char error_text[100];
#ifdef _WIN32
  wchar_t wide[300];
  to_wide(name, wide, 300);
  /* #region read-win32 */
  HANDLE mapping = OpenFileMappingW(FILE_MAP_READ, FALSE, wide); /* L"name", never (LPCWSTR)"name" */
  if (mapping == NULL) {
    DWORD error = GetLastError();
    say("OpenFileMappingW(\"%s\"): %s", name, OS_ERROR(error_text, error));
    return;
  }
  const char *view = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, SHARED_BYTES); /* FILE_MAP_READ: read only */
  if (view == NULL) fail("MapViewOfFile", GetLastError());
  say("opened \"%s\" and read \"%.*s\"", name, SHARED_BYTES, view);
  UnmapViewOfFile(view);
  CloseHandle(mapping);
  /* #endregion read-win32 */
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  int fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) {
    int error = errno;
    say("shm_open(\"%s\"): %s", path, OS_ERROR(error_text, error));
    return;
  }
  const char *view = mmap(NULL, SHARED_BYTES, PROT_READ, MAP_SHARED, fd, 0);
  if (view == MAP_FAILED) fail("mmap", errno);
  close(fd);
  say("opened \"%s\" and read \"%.*s\"", path, SHARED_BYTES, view);
  munmap((void *)view, SHARED_BYTES);
#endif
}

/* The size of the file at `path`, in bytes, as the file system says. */
static long long file_size(const char *path) {
#ifdef _WIN32
  WIN32_FILE_ATTRIBUTE_DATA data;
  wchar_t wide[600];
  to_wide(path, wide, 600);
  if (!GetFileAttributesExW(wide, GetFileExInfoStandard, &data)) fail("GetFileAttributesExW", GetLastError());
  return ((long long)data.nFileSizeHigh << 32) | data.nFileSizeLow;
#else
  struct stat st;
  if (stat(path, &st) != 0) fail("stat", errno);
  return (long long)st.st_size;
#endif
}

static void grow(const char *path, unsigned long bytes) {
  const char text[] = "written through a file-backed mapping";
#ifdef _WIN32
  wchar_t wide[600];
  to_wide(path, wide, 600);
  /* #region grow-win32 */
  /* CREATE_NEW: an empty file, and never someone else's (CREATE_ALWAYS would empty an existing one). */
  HANDLE file = CreateFileW(wide, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError()); /* not NULL */
  say("created the file: %lld bytes", file_size(path));
  /* A size larger than the file: CreateFileMappingW extends the file to it. */
  HANDLE mapping = CreateFileMappingW(file, NULL, PAGE_READWRITE, 0, (DWORD)bytes, NULL);
  if (mapping == NULL) fail("CreateFileMappingW", GetLastError());
  say("CreateFileMappingW(file, %lu bytes): the file is now %lld bytes", bytes, file_size(path));
  char *view = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, 0); /* 0: the whole mapping */
  if (view == NULL) fail("MapViewOfFile", GetLastError());
  CopyMemory(view, text, sizeof text);
  if (!FlushViewOfFile(view, 0)) fail("FlushViewOfFile", GetLastError()); /* dirty pages to the file... */
  if (!FlushFileBuffers(file)) fail("FlushFileBuffers", GetLastError());  /* ...and the file to the disk */
  UnmapViewOfFile(view);
  CloseHandle(mapping);
  CloseHandle(file);
  /* #endregion grow-win32 */
#else
  /* #region grow-posix */
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", errno);
  say("created the file: %lld bytes", file_size(path));
  /* mmap never grows a file: a page past its end is a SIGBUS on first touch. Size it first. */
  char *view = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (view == MAP_FAILED) fail("mmap", errno);
  say("mmap(file, %lu bytes): the file is still %lld bytes; ftruncate must grow it", bytes, file_size(path));
  if (ftruncate(fd, (off_t)bytes) != 0) fail("ftruncate", errno);
  memcpy(view, text, sizeof text);
  if (msync(view, bytes, MS_SYNC) != 0) fail("msync", errno); /* FlushViewOfFile + FlushFileBuffers */
  munmap(view, bytes);
  close(fd);
  /* #endregion grow-posix */
#endif
  say("wrote \"%s\" through the mapping and flushed it; the file is %lld bytes", text, file_size(path));
}

static void copy_on_write(const char *path) {
  const char text[] = "CHANGED by a copy-on-write view";
#ifdef _WIN32
  wchar_t wide[600];
  to_wide(path, wide, 600);
  /* #region cow-win32 */
  HANDLE file = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  /* PAGE_WRITECOPY + FILE_MAP_COPY: the first write to a page gives this process its own copy. */
  HANDLE mapping = CreateFileMappingW(file, NULL, PAGE_WRITECOPY, 0, 0, NULL);
  if (mapping == NULL) fail("CreateFileMappingW", GetLastError());
  char *view = MapViewOfFile(mapping, FILE_MAP_COPY, 0, 0, 0);
  if (view == NULL) fail("MapViewOfFile", GetLastError());
  CopyMemory(view, text, sizeof text - 1);
  /* #endregion cow-win32 */
#else
  /* #region cow-posix */
  int fd = open(path, O_RDONLY | O_CLOEXEC); /* read-only is enough: the writes stay in this process */
  if (fd < 0) fail("open", errno);
  long long size = file_size(path);
  /* MAP_PRIVATE: the first write to a page gives this process its own copy. */
  char *view = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (view == MAP_FAILED) fail("mmap", errno);
  memcpy(view, text, sizeof text - 1);
  /* #endregion cow-posix */
#endif
  say("wrote \"%s\" into a copy-on-write view; this process now reads \"%.*s\"", text, (int)(sizeof text - 1), view);
  wait_for_close();
#ifdef _WIN32
  UnmapViewOfFile(view);
  CloseHandle(mapping);
  CloseHandle(file);
#else
  munmap(view, (size_t)size);
  close(fd);
#endif
  say("closed the view: its copies are dropped, never written back");
}

static void peek(const char *path) {
#ifdef _WIN32
  wchar_t wide[600];
  to_wide(path, wide, 600);
  HANDLE file = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  HANDLE mapping = CreateFileMappingW(file, NULL, PAGE_READONLY, 0, 0, NULL);
  if (mapping == NULL) fail("CreateFileMappingW", GetLastError());
  const char *view = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
  if (view == NULL) fail("MapViewOfFile", GetLastError());
  say("another process maps the file shared and reads \"%.37s\"", view);
  UnmapViewOfFile(view);
  CloseHandle(mapping);
  CloseHandle(file);
#else
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", errno);
  long long size = file_size(path);
  const char *view = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
  if (view == MAP_FAILED) fail("mmap", errno);
  say("another process maps the file shared and reads \"%.37s\"", view);
  munmap((void *)view, (size_t)size);
  close(fd);
#endif
}

static void names(const char *name) {
  char error_text[100];
#ifdef _WIN32
  wchar_t local[300], global[300], plain[300];
  char buffer[300];
  snprintf(buffer, sizeof buffer, "Local\\%s", name);
  to_wide(buffer, local, 300);
  snprintf(buffer, sizeof buffer, "Global\\%s", name);
  to_wide(buffer, global, 300);
  to_wide(name, plain, 300);
  /* #region names-win32 */
  HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, local);
  if (mapping == NULL) fail("CreateFileMappingW", GetLastError());
  say("created Local\\%s: this session's namespace", name);
  HANDLE same = OpenFileMappingW(FILE_MAP_READ, FALSE, plain); /* no prefix: Local\ */
  DWORD error = GetLastError();
  say("OpenFileMappingW(\"%s\"): %s", name, same ? "found it: no prefix means Local\\" : OS_ERROR(error_text, error));
  if (same) CloseHandle(same);
  HANDLE other = OpenFileMappingW(FILE_MAP_READ, FALSE, global);
  error = GetLastError();
  say("OpenFileMappingW(\"Global\\%s\"): %s", name, other ? "found it" : OS_ERROR(error_text, error));
  if (other) CloseHandle(other);
  /* Creating in Global\ from a user session needs SeCreateGlobalPrivilege (services and administrators have it). */
  HANDLE made = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, global);
  error = GetLastError();
  say("CreateFileMappingW(\"Global\\%s\"): %s", name, made ? "created" : OS_ERROR(error_text, error));
  if (made) CloseHandle(made);
  CloseHandle(mapping);
  /* #endregion names-win32 */
#else
  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) fail("shm_open", errno);
  say("created %s: POSIX has one shared memory namespace per machine (per IPC namespace), no sessions", path);
  struct stat st;
  if (fstat(fd, &st) != 0) fail("fstat", errno);
  say("what keeps other users out is the object's mode, %o, as for a file in /dev/shm", (unsigned)(st.st_mode & 0777));
  close(fd);
  if (shm_unlink(path) != 0) say("shm_unlink: %s", OS_ERROR(error_text, errno));
#endif
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "share") == 0) share(argv[2], argv[3]);
  else if (argc >= 3 && strcmp(argv[1], "read") == 0) read_shared(argv[2]);
  else if (argc >= 4 && strcmp(argv[1], "grow") == 0) grow(argv[2], strtoul(argv[3], NULL, 10));
  else if (argc >= 3 && strcmp(argv[1], "cow") == 0) copy_on_write(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "peek") == 0) peek(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "names") == 0) names(argv[2]);
  else {
    fprintf(stderr, "usage: filemap share <name> <text> | read <name> | grow <path> <bytes> | cow <path> | peek <path> | names <name>\n");
    return 2;
  }
  return 0;
}
