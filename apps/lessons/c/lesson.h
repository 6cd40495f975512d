/*
 * What every C program of the lessons shares: printing a line (say), the
 * monotonic clock the lesson runner orders lines by, and reporting a failed
 * call with the error the OS gave, read at once.
 *
 * Standard C and the OS's own calls only: `int main`, <stdio.h>, no
 * "stdafx.h", no <iostream.h> (a pre-standard header no compiler of this
 * century ships) and no `void main` (main returns int in C and C++; the
 * exit status is how a parent or a shell learns what happened).
 *
 * Builds with cc on Linux, x86_64-w64-mingw32-gcc for Windows, and MSVC's
 * cl (checked with clang in MSVC mode, test/msvc.test.ts: no MSVC runs here).
 */
#ifndef LESSON_H
#define LESSON_H

#ifndef _WIN32
/* pipe2, SOCK_CLOEXEC, MAP_ANONYMOUS: Linux's extensions to POSIX. */
#define _GNU_SOURCE
#endif
/* mingw: C99 printf formats (%zu, %llu) instead of the old msvcrt ones. */
#define __USE_MINGW_ANSI_STDIO 1

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#endif

/* The time in nanoseconds on the clock Node's process.hrtime() reads:
 * QueryPerformanceCounter on Windows, CLOCK_MONOTONIC on Linux. */
static inline uint64_t now_ns(void) {
#ifdef _WIN32
  LARGE_INTEGER counter, frequency;
  QueryPerformanceCounter(&counter);
  QueryPerformanceFrequency(&frequency);
  uint64_t c = (uint64_t)counter.QuadPart, f = (uint64_t)frequency.QuadPart;
  return (c / f) * 1000000000ull + (c % f) * 1000000000ull / f;
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

/* Prints one line. Under the lesson runner (LESSON_CLOCK=1) the line starts
 * with "@<ns> ", so the runner can put the lines of several processes in
 * the order they were printed. Flushed at once: stdout is a pipe there. */
static inline void say(const char *format, ...) {
  static int stamped = -1;
  if (stamped < 0) {
    const char *clock = getenv("LESSON_CLOCK");
    stamped = clock != NULL && strcmp(clock, "1") == 0;
  }
  char line[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (stamped) printf("@%llu %s\n", (unsigned long long)now_ns(), line);
  else printf("%s\n", line);
  fflush(stdout);
}

#ifdef _WIN32
/* The symbolic name of the Win32 errors these lessons meet. */
static inline const char *win32_error_name(DWORD code) {
  switch (code) {
    case ERROR_FILE_NOT_FOUND: return "ERROR_FILE_NOT_FOUND";
    case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
    case ERROR_INVALID_HANDLE: return "ERROR_INVALID_HANDLE";
    case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
    case ERROR_BROKEN_PIPE: return "ERROR_BROKEN_PIPE";
    case ERROR_SEM_TIMEOUT: return "ERROR_SEM_TIMEOUT";
    case ERROR_ALREADY_EXISTS: return "ERROR_ALREADY_EXISTS";
    case ERROR_PIPE_BUSY: return "ERROR_PIPE_BUSY";
    case ERROR_MORE_DATA: return "ERROR_MORE_DATA";
    case ERROR_PIPE_CONNECTED: return "ERROR_PIPE_CONNECTED";
    case ERROR_MAPPED_ALIGNMENT: return "ERROR_MAPPED_ALIGNMENT";
    case ERROR_NO_DATA: return "ERROR_NO_DATA";
    case WAIT_TIMEOUT: return "WAIT_TIMEOUT";
    default: return "an error";
  }
}

/* "CreateFileW: error 2 (ERROR_FILE_NOT_FOUND)". The caller passes
 * GetLastError() read on the line right after the failed call: anything
 * in between (a printf, a std::cout <<) may change it. */
static inline const char *win32_error(char *out, size_t size, DWORD code) {
  snprintf(out, size, "error %lu (%s)", (unsigned long)code, win32_error_name(code));
  return out;
}
#define OS_ERROR(buffer, code) win32_error(buffer, sizeof buffer, code)
#else
/* "ENOENT (No such file or directory)". */
static inline const char *errno_name(int code) {
  switch (code) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EPIPE: return "EPIPE";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EOWNERDEAD: return "EOWNERDEAD";
    case EMSGSIZE: return "EMSGSIZE";
    case ELOOP: return "ELOOP";
    case EPERM: return "EPERM";
    case EADDRINUSE: return "EADDRINUSE";
    default: return "an errno";
  }
}
static inline const char *posix_error(char *out, size_t size, int code) {
  snprintf(out, size, "%s (%s)", errno_name(code), strerror(code));
  return out;
}
#define OS_ERROR(buffer, code) posix_error(buffer, sizeof buffer, code)

/* errno's name and text in a buffer of its own, for a say() line (one at a time: not reentrant). */
static inline const char *errno_text(int code) {
  static char text[200];
  return posix_error(text, sizeof text, code);
}
#endif

/* Reports a call that failed and ends the program with status 1. `code`
 * is GetLastError() or errno, read right after the call. */
static inline void fail(const char *call, unsigned long code) {
  char text[200];
#ifdef _WIN32
  say("%s failed: %s", call, OS_ERROR(text, (DWORD)code));
#else
  say("%s failed: %s", call, OS_ERROR(text, (int)code));
#endif
  exit(1);
}

#ifndef _WIN32
/* The address of the Unix domain socket at `path` (POSIX). A path that does
 * not fit sun_path (108 bytes on Linux) ends the program with status 2. */
static inline void unix_address(struct sockaddr_un *address, const char *path) {
  memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof address->sun_path) {
    fprintf(stderr, "path too long\n");
    exit(2);
  }
  strcpy(address->sun_path, path);
}
#endif

#ifdef _WIN32
/* A UTF-8 string (what the lessons pass on the command line; names are
 * ASCII here) as the UTF-16 the ...W calls take. Never a cast: see lesson 3,
 * (LPCWSTR)"MapTrans". */
static inline void to_wide(const char *utf8, wchar_t *out, int count) {
  if (MultiByteToWideChar(CP_UTF8, 0, utf8, -1, out, count) == 0) fail("MultiByteToWideChar", GetLastError());
}
#endif

/* Atomics the lessons' C programs share memory with, in a form both gcc (and
 * clang, mingw) and MSVC accept: gcc's __atomic builtins, MSVC's interlocked
 * intrinsics (a full barrier, so sequentially consistent as the gcc form is).
 * C11 <stdatomic.h> would do on gcc but needs /experimental:c11atomics on MSVC.
 * The MSVC branch is for clang-cl too (it has these intrinsics), so that
 * test/msvc.test.ts, which checks the sources in clang's MSVC mode, checks
 * the branch MSVC compiles. */
#if defined(_MSC_VER)
#include <intrin.h>
static inline uint32_t atomic_load_u32(volatile uint32_t *p) { return (uint32_t)_InterlockedOr((volatile long *)p, 0); }
static inline void atomic_store_u32(volatile uint32_t *p, uint32_t v) { _InterlockedExchange((volatile long *)p, (long)v); }
/* Stops the compiler moving memory accesses across it (not the processor). */
#define COMPILER_BARRIER() _ReadWriteBarrier()
#else
static inline uint32_t atomic_load_u32(volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void atomic_store_u32(volatile uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
#define COMPILER_BARRIER() __asm__ __volatile__("" ::: "memory")
#endif

#endif
