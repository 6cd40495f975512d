/*
 * Lesson 8, passing an open file from one process to another: the receiver
 * cannot open the file by name, and reads it through what it was given.
 *
 *   tb_pass give <endpoint> <file>  makes <file>, opens it, makes it
 *                                   unopenable by name, and hands the open
 *                                   file to the first process that connects
 *   tb_pass take <endpoint> <file>  tries <file> by name, then connects and
 *                                   reads through what it was handed
 *
 * POSIX: the giver unlinks the file after opening it: no name is left, the
 * open descriptor still reads it. sendmsg on a Unix domain socket carries
 * the descriptor as SCM_RIGHTS ancillary data (unix(7)); recvmsg installs a
 * new descriptor in the receiver for the same open file description (the
 * same file offset, the same flags). <endpoint> is the socket's path.
 * Windows: the giver opens the file with share mode 0, so no other CreateFileW
 * of it succeeds (ERROR_SHARING_VIOLATION). The taker sends its process id
 * over a named pipe; the giver opens the taker's process with
 * PROCESS_DUP_HANDLE and DuplicateHandle makes a handle in the taker's
 * handle table; its value goes back over the pipe: a handle is only a number
 * until the process it belongs to uses it. <endpoint> is the pipe's name.
 *
 * Build: cc -O2 -Wall -o tb_pass tb_pass.c (Linux),
 * x86_64-w64-mingw32-gcc -O2 -Wall -static -o tb_pass.exe tb_pass.c,
 * or in a Visual Studio developer prompt: cl /W4 /D_CRT_SECURE_NO_WARNINGS tb_pass.c
 */
#include "lesson.h"

static const char SECRET[] = "a line only the giver could open";

#ifdef _WIN32
static const char *error_text(char *out, size_t size, DWORD code) {
  if (code == ERROR_SHARING_VIOLATION) snprintf(out, size, "error %lu (ERROR_SHARING_VIOLATION)", (unsigned long)code);
  else win32_error(out, size, code);
  return out;
}

static void pipe_path(const char *name, wchar_t *out) {
  char narrow[300];
  snprintf(narrow, sizeof narrow, "\\\\.\\pipe\\%s", name);
  to_wide(narrow, out, 300);
}

static int give(const char *endpoint, const char *file) {
  wchar_t path[1000], pipeName[300];
  to_wide(file, path, 1000);
  pipe_path(endpoint, pipeName);
  /* #region give-win32 */
  /* Share mode 0: while this handle is open, nobody else opens the file. */
  HANDLE h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE | DELETE, 0, NULL, CREATE_ALWAYS, FILE_FLAG_DELETE_ON_CLOSE, NULL);
  if (h == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  DWORD n;
  if (!WriteFile(h, SECRET, (DWORD)strlen(SECRET), &n, NULL)) fail("WriteFile", GetLastError());
  SetFilePointer(h, 0, NULL, FILE_BEGIN); /* the taker's handle shares this file position */
  say("CreateFileW with share mode 0: the file is open here, and only here");
  HANDLE pipe = CreateNamedPipeW(pipeName, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT, 1, 64, 64, 0, NULL);
  if (pipe == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  say("waiting on \\\\.\\pipe\\%s for the taker", endpoint);
  if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) fail("ConnectNamedPipe", GetLastError());
  DWORD takerId = 0;
  if (!ReadFile(pipe, &takerId, sizeof takerId, &n, NULL) || n != sizeof takerId) fail("ReadFile", GetLastError());
  HANDLE taker = OpenProcess(PROCESS_DUP_HANDLE, FALSE, takerId);
  if (taker == NULL) fail("OpenProcess", GetLastError());
  HANDLE theirs = NULL; /* a handle value in the taker's table, meaningless here */
  if (!DuplicateHandle(GetCurrentProcess(), h, taker, &theirs, GENERIC_READ, FALSE, 0)) fail("DuplicateHandle", GetLastError());
  say("DuplicateHandle into the taker (OpenProcess with PROCESS_DUP_HANDLE), GENERIC_READ only");
  uint64_t value = (uint64_t)(uintptr_t)theirs;
  if (!WriteFile(pipe, &value, sizeof value, &n, NULL)) fail("WriteFile", GetLastError());
  char done[8];
  ReadFile(pipe, done, sizeof done, &n, NULL); /* fails with ERROR_BROKEN_PIPE when the taker has gone */
  CloseHandle(taker);
  CloseHandle(pipe);
  CloseHandle(h); /* the last handle: FILE_FLAG_DELETE_ON_CLOSE removes the file */
  say("the taker has gone; closed my handle");
  /* #endregion give-win32 */
  return 0;
}

static int take(const char *endpoint, const char *file) {
  char text[100];
  wchar_t path[1000], pipeName[300];
  to_wide(file, path, 1000);
  pipe_path(endpoint, pipeName);
  /* #region take-win32 */
  HANDLE byName = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
  DWORD error = GetLastError();
  say("CreateFileW on the file by name: %s", byName != INVALID_HANDLE_VALUE ? "opened" : error_text(text, sizeof text, error));
  if (byName != INVALID_HANDLE_VALUE) CloseHandle(byName);
  HANDLE pipe = CreateFileW(pipeName, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (pipe == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  DWORD me = GetCurrentProcessId(), n;
  if (!WriteFile(pipe, &me, sizeof me, &n, NULL)) fail("WriteFile", GetLastError());
  uint64_t value = 0;
  if (!ReadFile(pipe, &value, sizeof value, &n, NULL) || n != sizeof value) fail("ReadFile", GetLastError());
  HANDLE given = (HANDLE)(uintptr_t)value;
  char data[100];
  if (!ReadFile(given, data, sizeof data - 1, &n, NULL)) fail("ReadFile", GetLastError());
  data[n] = 0;
  say("got a handle value over the pipe; ReadFile through it: \"%s\"", data);
  CloseHandle(given);
  CloseHandle(pipe);
  /* #endregion take-win32 */
  return 0;
}
#else
#include <fcntl.h>
#include <sys/stat.h>

static int give(const char *endpoint, const char *file) {
  /* #region give-posix */
  int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", errno);
  if (write(fd, SECRET, strlen(SECRET)) < 0) fail("write", errno);
  lseek(fd, 0, SEEK_SET); /* the taker's descriptor shares this file offset */
  if (unlink(file) != 0) fail("unlink", errno);
  say("open, then unlink: the file has no name now, and this descriptor still reads it");
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address;
  unix_address(&address, endpoint);
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1) != 0) fail("socket/bind/listen", errno);
  say("waiting on a Unix domain socket for the taker");
  int peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (peer < 0) fail("accept4", errno);
  /* One byte of data carries the ancillary message: SCM_RIGHTS and the descriptor. */
  char byte = 'F';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&message);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  say("sendmsg with SCM_RIGHTS: sending the open descriptor");
  if (sendmsg(peer, &message, 0) != 1) fail("sendmsg", errno);
  char done;
  if (read(peer, &done, 1) < 0) fail("read", errno); /* 0: the taker has gone */
  close(peer);
  close(listener);
  unlink(endpoint);
  close(fd);
  say("the taker has gone; closed my descriptor");
  /* #endregion give-posix */
  return 0;
}

static int take(const char *endpoint, const char *file) {
  char text[100];
  /* #region take-posix */
  int byName = open(file, O_RDONLY | O_CLOEXEC);
  int error = errno;
  say("open on the file by name: %s", byName >= 0 ? "opened" : OS_ERROR(text, error));
  if (byName >= 0) close(byName);
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address;
  unix_address(&address, endpoint);
  if (sock < 0 || connect(sock, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", errno);
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
  if (recvmsg(sock, &message, MSG_CMSG_CLOEXEC) != 1) fail("recvmsg", errno);
  struct cmsghdr *cm = CMSG_FIRSTHDR(&message);
  if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) fail("recvmsg: no SCM_RIGHTS", 0);
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  char data[100];
  ssize_t n = read(fd, data, sizeof data - 1);
  if (n < 0) fail("read", errno);
  data[n] = 0;
  struct stat st;
  fstat(fd, &st);
  say("recvmsg: got a descriptor; read through it: \"%s\"; fstat: %lu links", data, (unsigned long)st.st_nlink);
  close(fd);
  close(sock);
  /* #endregion take-posix */
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "give") == 0) return give(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "take") == 0) return take(argv[2], argv[3]);
  fprintf(stderr, "usage: %s give|take <endpoint> <file>\n", argv[0]);
  return 2;
}
