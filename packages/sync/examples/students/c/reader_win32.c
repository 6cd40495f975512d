/* The articles' reader, in C, on Windows, taking part with ipckit's Node
 * programs (writer.mjs): started first, it waits on <base>.ready, takes
 * <base>.lock, reads the 30 records of the mapping <base>, sets <base>.done.
 *   x86_64-w64-mingw32-gcc -O2 -Wall -static -o reader.exe reader_win32.c     reader.exe <base name> */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "student.h"

static void die(const char *what) {
  fprintf(stderr, "%s failed: error %lu\n", what, GetLastError());
  ExitProcess(1);
}

static void print_student(const char *key, const struct student *s) {
  printf("\"%s\":{\"ID\":%ld,\"name\":\"%.*s\"}", key, s->ID, (int)sizeof s->name, s->name);
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : "students";
  char lock_name[256], ready_name[256], done_name[256];
  snprintf(lock_name, sizeof lock_name, "%s.lock", base);
  snprintf(ready_name, sizeof ready_name, "%s.ready", base);
  snprintf(done_name, sizeof done_name, "%s.done", base);

  HANDLE ready = CreateEventA(NULL, TRUE, FALSE, ready_name);
  if (ready == NULL) die("CreateEventA");
  HANDLE done = CreateEventA(NULL, FALSE, FALSE, done_name);
  if (done == NULL) die("CreateEventA");
  printf("{\"event\":\"waiting\"}\n");
  fflush(stdout);
  if (WaitForSingleObject(ready, 30000) != WAIT_OBJECT_0) die("WaitForSingleObject(ready)");

  HANDLE mapping = OpenFileMappingA(FILE_MAP_READ, FALSE, base);
  if (mapping == NULL) die("OpenFileMappingA");
  const struct student *students = (const struct student *)MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, STUDENT_COUNT * sizeof(struct student));
  if (students == NULL) die("MapViewOfFile");
  HANDLE lock = OpenMutexA(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, lock_name);
  if (lock == NULL) die("OpenMutexA");

  struct student copy[STUDENT_COUNT];
  DWORD r = WaitForSingleObject(lock, 10000);
  if (r != WAIT_OBJECT_0 && r != WAIT_ABANDONED) die("WaitForSingleObject(lock)");
  memcpy(copy, students, sizeof copy);
  ReleaseMutex(lock);

  printf("{\"event\":\"read\",\"count\":%d,", STUDENT_COUNT);
  print_student("first", &copy[0]);
  printf(",");
  print_student("last", &copy[STUDENT_COUNT - 1]);
  printf("}\n");
  fflush(stdout);
  SetEvent(done);

  UnmapViewOfFile(students);
  CloseHandle(mapping);
  CloseHandle(lock);
  CloseHandle(ready);
  CloseHandle(done);
  return 0;
}
