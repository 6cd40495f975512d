/*
 * Lesson 1, what a slot holds and how much, in C. On Windows: a GetMailslotInfo
 * loop (how many messages wait, how long the next one is) that sizes each read,
 * the write size limit, and the slot's quota. On POSIX: how deep a datagram
 * socket's queue is, its size limit, and POSIX message queues (mq_open), the
 * closer twin: a named queue that counts its messages and refuses more.
 *
 *   mailslot_info <name>
 *
 * Build: cc -O2 -Wall -o mailslot_info mailslot_info.c (Linux, glibc 2.34 or
 * later: mq_open is in libc, older ones need -lrt), x86_64-w64-mingw32-gcc -O2
 * -Wall -o mailslot_info.exe mailslot_info.c, or in a Visual Studio developer
 * prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS mailslot_info.c
 */
#include "lesson.h"

#ifndef _WIN32
#include <fcntl.h>
#include <mqueue.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

#define MAX_MESSAGE 64

static const char *const MESSAGES[] = {"one", "two two", "three three three"};
#define COUNT (sizeof MESSAGES / sizeof MESSAGES[0])

#ifdef _WIN32
/* FILE_MAILSLOT_QUERY_INFORMATION and NtQueryInformationFile, as the WDK
 * documents them (ntifs.h): the slot's quota is only visible there. Looked up
 * at run time, so nothing links against ntdll. */
typedef struct {
  ULONG MaximumMessageSize;
  ULONG MailslotQuota;
  ULONG NextMessageSize;
  ULONG MessagesAvailable;
  LARGE_INTEGER ReadTimeout;
} MAILSLOT_QUERY;
typedef struct {
  union {
    LONG Status;
    PVOID Pointer;
  } u;
  ULONG_PTR Information;
} IO_STATUS;
typedef LONG(NTAPI *QUERY_FILE)(HANDLE, IO_STATUS *, PVOID, ULONG, int);
#define FILE_MAILSLOT_QUERY_INFORMATION_CLASS 26

static void windows(const char *name) {
  char text[100];
  wchar_t path[300];
  char narrow[300];
  snprintf(narrow, sizeof narrow, "\\\\.\\mailslot\\%s", name);
  to_wide(narrow, path, 300);
  /* #region info-loop */
  HANDLE slot = CreateMailslotW(path, MAX_MESSAGE, 0, NULL); /* 0: a read never waits */
  if (slot == INVALID_HANDLE_VALUE) fail("CreateMailslotW", GetLastError());
  HANDLE writer = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (writer == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  for (size_t i = 0; i < COUNT; i++) {
    DWORD written;
    if (!WriteFile(writer, MESSAGES[i], (DWORD)strlen(MESSAGES[i]), &written, NULL)) fail("WriteFile", GetLastError());
  }
  say("wrote %u messages", (unsigned)COUNT);
  char big[MAX_MESSAGE + 36];
  memset(big, 'x', sizeof big);
  DWORD written = 0;
  BOOL ok = WriteFile(writer, big, (DWORD)sizeof big, &written, NULL);
  DWORD error = GetLastError();
  say("WriteFile of %u bytes to a slot of %d: %s", (unsigned)sizeof big, MAX_MESSAGE, ok ? "accepted" : OS_ERROR(text, error));
  for (;;) {
    DWORD next = 0, waiting = 0;
    if (!GetMailslotInfo(slot, NULL, &next, &waiting, NULL)) fail("GetMailslotInfo", GetLastError());
    if (next == MAILSLOT_NO_MESSAGE) break; /* not 0: an empty message is a message */
    char *buffer = malloc(next + 1);        /* exactly the next message's size */
    DWORD got = 0;
    if (buffer == NULL || !ReadFile(slot, buffer, next, &got, NULL)) fail("ReadFile", GetLastError());
    buffer[got] = 0;
    say("%lu waiting, the next is %lu bytes: read \"%s\"", (unsigned long)waiting, (unsigned long)next, buffer);
    free(buffer);
  }
  say("GetMailslotInfo: MAILSLOT_NO_MESSAGE, the slot is empty");
  /* #endregion info-loop */
  QUERY_FILE query = (QUERY_FILE)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationFile");
  MAILSLOT_QUERY info;
  IO_STATUS status;
  if (query != NULL && query(slot, &status, &info, sizeof info, FILE_MAILSLOT_QUERY_INFORMATION_CLASS) == 0)
    say("the slot's quota: %lu bytes (CreateMailslotW has no argument for it), largest message %lu", (unsigned long)info.MailslotQuota,
        (unsigned long)info.MaximumMessageSize);
  else say("NtQueryInformationFile(FileMailslotQueryInformation) is not available here");
  CloseHandle(writer);
  CloseHandle(slot);
}
#else
static void posix(const char *name) {
  char text[100];
  /* #region dgram-depth */
  /* The mailslot's twin: a server bound to a path, a writer connected to it (lesson 1's POSIX
   * mailslot), nobody reading. */
  char folder[] = "/tmp/lesson1-dgram-XXXXXX";
  if (mkdtemp(folder) == NULL) fail("mkdtemp", errno);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof address.sun_path, "%s/slot", folder);
  int server = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (server < 0 || bind(server, (struct sockaddr *)&address, sizeof address) != 0) fail("bind", errno);
  int writer = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (writer < 0 || connect(writer, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", errno);
  char message[MAX_MESSAGE] = {0};
  int queued = 0;
  while (send(writer, message, sizeof message, 0) == (ssize_t)sizeof message) queued++;
  int error = errno; /* EAGAIN: the server's queue is full, nobody has read (blocking, send would wait) */
  say("the server's queue took %d messages of %d bytes, then send said %s", queued, MAX_MESSAGE, OS_ERROR(text, error));
  FILE *limit = fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
  int qlen = 0;
  if (limit != NULL && fscanf(limit, "%d", &qlen) == 1) say("net.unix.max_dgram_qlen = %d: the queue's depth, in messages, whatever their size", qlen);
  if (limit != NULL) fclose(limit);
  static char huge[1 << 22]; /* 4 MiB: larger than any socket buffer */
  if (send(writer, huge, sizeof huge, 0) < 0) {
    error = errno;
    say("one datagram of %u bytes: %s, too large for the socket at all", (unsigned)sizeof huge, OS_ERROR(text, error));
  }
  close(writer);
  close(server);
  unlink(address.sun_path);
  rmdir(folder);
  /* #endregion dgram-depth */

  char path[300];
  snprintf(path, sizeof path, "/%s", name);
  /* #region mqueue */
  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = MAX_MESSAGE};
  mqd_t queue = mq_open(path, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
  if (queue == (mqd_t)-1) fail("mq_open", errno);
  for (size_t i = 0; i < COUNT; i++)
    if (mq_send(queue, MESSAGES[i], strlen(MESSAGES[i]), 0) != 0) fail("mq_send", errno);
  say("mq_open(\"%s\", 4 messages of at most %d bytes); sent %u", path, MAX_MESSAGE, (unsigned)COUNT);
  char big[MAX_MESSAGE + 36] = {0};
  if (mq_send(queue, big, sizeof big, 0) != 0) say("mq_send of %u bytes: %s", (unsigned)sizeof big, OS_ERROR(text, errno));
  if (mq_send(queue, "four", 4, 0) != 0) fail("mq_send", errno);
  if (mq_send(queue, "five", 4, 0) != 0) say("a fifth message into a queue of 4: %s (with O_NONBLOCK; without it, mq_send waits)", OS_ERROR(text, errno));
  for (;;) {
    if (mq_getattr(queue, &attr) != 0) fail("mq_getattr", errno);
    if (attr.mq_curmsgs == 0) break;
    char buffer[MAX_MESSAGE + 1]; /* mq_receive needs room for mq_msgsize */
    ssize_t got = mq_receive(queue, buffer, MAX_MESSAGE, NULL);
    if (got < 0) fail("mq_receive", errno);
    buffer[got] = 0;
    say("%ld waiting: read \"%s\"", (long)attr.mq_curmsgs, buffer);
  }
  say("mq_getattr: 0 waiting, the queue is empty");
  mq_close(queue);
  mq_unlink(path); /* like shm: the name lives until unlinked */
  /* #endregion mqueue */
}
#endif

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <name>\n", argv[0]);
    return 2;
  }
#ifdef _WIN32
  windows(argv[1]);
#else
  posix(argv[1]);
#endif
  return 0;
}
