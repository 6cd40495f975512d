/* The articles' writer, in C, on Windows, taking part with ipckit's Node
 * programs (reader.mjs): the real kernel objects, by name.
 *   x86_64-w64-mingw32-gcc -O2 -Wall -static -o writer.exe writer_win32.c     writer.exe <base name>
 * Corrected from the article: names passed to the ANSI (...A) calls as plain
 * strings (never a narrow string cast to LPCWSTR), INVALID_HANDLE_VALUE for a
 * paging-file mapping, every handle and view closed, ERROR_ALREADY_EXISTS
 * checked, and the reader told through an event instead of hoping it waits. */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>

#include "student.h"

static void die(const char *what) {
  fprintf(stderr, "%s failed: error %lu\n", what, GetLastError());
  ExitProcess(1);
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : "students";
  char lock_name[256], ready_name[256], done_name[256];
  snprintf(lock_name, sizeof lock_name, "%s.lock", base);
  snprintf(ready_name, sizeof ready_name, "%s.ready", base);
  snprintf(done_name, sizeof done_name, "%s.done", base);

  HANDLE ready = CreateEventA(NULL, TRUE, FALSE, ready_name); /* manual reset */
  if (ready == NULL) die("CreateEventA");
  HANDLE done = CreateEventA(NULL, FALSE, FALSE, done_name); /* auto reset */
  if (done == NULL) die("CreateEventA");
  DWORD bytes = STUDENT_COUNT * sizeof(struct student);
  HANDLE mapping = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, bytes, base);
  if (mapping == NULL) die("CreateFileMappingA");
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    fprintf(stderr, "%s already exists\n", base);
    return 1;
  }
  struct student *students = (struct student *)MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, bytes);
  if (students == NULL) die("MapViewOfFile");
  HANDLE lock = CreateMutexA(NULL, FALSE, lock_name);
  if (lock == NULL) die("CreateMutexA");

  DWORD r = WaitForSingleObject(lock, 10000);
  if (r != WAIT_OBJECT_0 && r != WAIT_ABANDONED) die("WaitForSingleObject");
  for (int i = 0; i < STUDENT_COUNT; i++) {
    students[i].ID = 99041200 + i;
    snprintf(students[i].name, sizeof students[i].name, "student-%02d", i);
  }
  ReleaseMutex(lock);
  printf("{\"event\":\"written\",\"count\":%d,\"recordBytes\":%u}\n", STUDENT_COUNT, (unsigned)sizeof(struct student));
  fflush(stdout);
  SetEvent(ready);
  if (WaitForSingleObject(done, 30000) != WAIT_OBJECT_0) die("WaitForSingleObject(done)");

  UnmapViewOfFile(students);
  CloseHandle(mapping);
  CloseHandle(lock);
  CloseHandle(ready);
  CloseHandle(done);
  printf("{\"event\":\"done\"}\n");
  return 0;
}
