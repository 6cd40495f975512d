/*
 * Lesson 7, who is at the other end of a pipe, and who may be.
 *
 *   sec_pipe serve <path>                 one server, one client, then it ends
 *   sec_pipe client <path> [<uid> <gid>]  connects, says hello; as root on POSIX, as <uid>:<gid>
 *
 * (<path>: \\.\pipe\<name> on Windows, a socket path on POSIX.)
 *
 * Windows: a pipe made with the default security descriptor (lpSecurityAttributes NULL), its DACL
 * printed in SDDL; a second server on the name with FILE_FLAG_FIRST_PIPE_INSTANCE, which the
 * documentation says fails with ERROR_ACCESS_DENIED; then a pipe made owner-only from an SDDL
 * string (ConvertStringSecurityDescriptorToSecurityDescriptorW); GetNamedPipeClientProcessId names
 * the client; ImpersonateNamedPipeClient runs the thread as the client until RevertToSelf.
 * POSIX: a Unix socket; a second bind on the path fails with EADDRINUSE; SO_PEERCRED gives the
 * uid, gid and pid of the process that connected, as the kernel recorded them at connect().
 *
 * Build: cc -O2 -Wall -o sec_pipe sec_pipe.c · x86_64-w64-mingw32-gcc -O2 -Wall -static -o
 * sec_pipe.exe sec_pipe.c · cl /W4 sec_pipe.c (advapi32.lib, named below for MSVC).
 */
#include "lesson.h"
#include "security.h"

#ifdef _WIN32
#include <aclapi.h>
#include <sddl.h>
#ifdef _MSC_VER
#pragma comment(lib, "advapi32.lib")
#endif
#else
#include <grp.h>
#include <sys/stat.h>
#endif

#ifdef _WIN32
/* This process's user, as a SID string ("S-1-5-21-..."), for the owner-only SDDL. */
static void user_sid(wchar_t *out, size_t count) {
  HANDLE token;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) fail("OpenProcessToken", GetLastError());
  BYTE buffer[256];
  DWORD size = 0;
  if (!GetTokenInformation(token, TokenUser, buffer, sizeof buffer, &size)) fail("GetTokenInformation", GetLastError());
  LPWSTR text = NULL;
  if (!ConvertSidToStringSidW(((TOKEN_USER *)buffer)->User.Sid, &text)) fail("ConvertSidToStringSidW", GetLastError());
  wcsncpy(out, text, count - 1);
  out[count - 1] = L'\0';
  LocalFree(text);
  CloseHandle(token);
}

static void say_user(const char *when) {
  wchar_t name[256];
  DWORD size = 256;
  char utf8[512];
  if (!GetUserNameW(name, &size)) fail("GetUserNameW", GetLastError());
  WideCharToMultiByte(CP_UTF8, 0, name, -1, utf8, (int)sizeof utf8, NULL, NULL);
  say("%s: GetUserNameW says user \"%s\"", when, utf8);
}

/* A byte-mode pipe instance on `path`, for local clients only. FILE_FLAG_FIRST_PIPE_INSTANCE: fail
 * rather than become one more instance of a pipe someone else already made on the name. */
static HANDLE make_pipe(const wchar_t *path, DWORD flags, DWORD instances, SECURITY_ATTRIBUTES *sa) {
  return CreateNamedPipeW(path, PIPE_ACCESS_DUPLEX | flags, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, instances, 4096, 4096, 0,
                          sa);
}

static int serve(const char *utf8_path) {
  wchar_t path[256], sddl[512], sid[184];
  char text[120];
  to_wide(utf8_path, path, 256);
  /* #region default */
  HANDLE first = make_pipe(path, FILE_FLAG_FIRST_PIPE_INSTANCE, PIPE_UNLIMITED_INSTANCES, NULL); /* NULL: the default security descriptor */
  if (first == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  say_dacl("the default DACL", first, SE_KERNEL_OBJECT, 1);
  /* #endregion default */
  /* #region squat */
  HANDLE second = make_pipe(path, FILE_FLAG_FIRST_PIPE_INSTANCE, PIPE_UNLIMITED_INSTANCES, NULL); /* a second server on the same name */
  DWORD error = GetLastError();
  if (second == INVALID_HANDLE_VALUE) say("a second server on the name, FILE_FLAG_FIRST_PIPE_INSTANCE: %s", OS_ERROR(text, error));
  /* #endregion squat */
  if (second != INVALID_HANDLE_VALUE) {
    say("a second server on the name, FILE_FLAG_FIRST_PIPE_INSTANCE: created, where Windows is documented to fail with ERROR_ACCESS_DENIED");
    CloseHandle(second);
  }
  HANDLE another = make_pipe(path, 0, PIPE_UNLIMITED_INSTANCES, NULL);
  error = GetLastError();
  if (another == INVALID_HANDLE_VALUE) say("the same without the flag: %s", OS_ERROR(text, error));
  else {
    say("the same without the flag: created, one more instance of the first server's pipe");
    CloseHandle(another);
  }
  CloseHandle(first);
  user_sid(sid, 184);
  /* #region owner-only */
  /* D: the DACL; P: protected (nothing inherited); one ACE: Allow, GENERIC_ALL, to this user. */
  swprintf(sddl, 512, L"D:P(A;;GA;;;%ls)", sid);
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sa.lpSecurityDescriptor, NULL))
    fail("ConvertStringSecurityDescriptorToSecurityDescriptorW", GetLastError());
  HANDLE pipe = make_pipe(path, FILE_FLAG_FIRST_PIPE_INSTANCE, 1, &sa);
  if (pipe == INVALID_HANDLE_VALUE) fail("CreateNamedPipeW", GetLastError());
  LocalFree(sa.lpSecurityDescriptor);
  /* #endregion owner-only */
  say_dacl("the owner-only DACL", pipe, SE_KERNEL_OBJECT, 1);
  say("waits for a client");
  if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) fail("ConnectNamedPipe", GetLastError());
  char message[64];
  DWORD got = 0;
  if (!ReadFile(pipe, message, sizeof message - 1, &got, NULL)) fail("ReadFile", GetLastError());
  message[got] = '\0';
  /* #region client */
  ULONG client = 0;
  if (!GetNamedPipeClientProcessId(pipe, &client)) fail("GetNamedPipeClientProcessId", GetLastError());
  say("a client connected and said \"%s\": GetNamedPipeClientProcessId says pid %lu", message, (unsigned long)client);
  say_user("before");
  if (!ImpersonateNamedPipeClient(pipe)) fail("ImpersonateNamedPipeClient", GetLastError());
  say_user("impersonating the client");
  if (!RevertToSelf()) fail("RevertToSelf", GetLastError());
  say_user("after RevertToSelf");
  /* #endregion client */
  DWORD written = 0;
  if (!WriteFile(pipe, "welcome", 7, &written, NULL)) fail("WriteFile", GetLastError());
  FlushFileBuffers(pipe);
  while (ReadFile(pipe, message, sizeof message, &got, NULL) && got > 0) continue; /* until the client closes */
  DisconnectNamedPipe(pipe);
  CloseHandle(pipe);
  say("served one client");
  return 0;
}

static int client(const char *utf8_path) {
  wchar_t path[256];
  to_wide(utf8_path, path, 256);
  if (!WaitNamedPipeW(path, 20000)) fail("WaitNamedPipeW", GetLastError());
  HANDLE pipe = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (pipe == INVALID_HANDLE_VALUE) fail("CreateFileW", GetLastError());
  say("pid %lu: connected, says hello", (unsigned long)GetCurrentProcessId());
  DWORD n = 0;
  if (!WriteFile(pipe, "hello", 5, &n, NULL)) fail("WriteFile", GetLastError());
  char reply[64];
  if (!ReadFile(pipe, reply, sizeof reply - 1, &n, NULL)) fail("ReadFile", GetLastError());
  reply[n] = '\0';
  say("the server answered \"%s\"", reply);
  CloseHandle(pipe);
  return 0;
}
#else
static int serve(const char *path) {
  struct sockaddr_un address;
  unix_address(&address, path);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) fail("socket", errno);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) fail("bind", errno);
  // This demonstration's socket is for every user (ipckit's are in a 0700 folder): connect() needs write permission on it.
  if (chmod(path, 0666) != 0) fail("chmod", errno);
  if (listen(listener, 8) != 0) fail("listen", errno);
  say("listening on a socket of mode 0666, so that any user may connect");
  /* #region squat-posix */
  int second = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (bind(second, (struct sockaddr *)&address, sizeof address) != 0) say("a second server on the path: bind: %s", errno_text(errno));
  else say("a second server on the path: it was bound!");
  /* #endregion squat-posix */
  close(second);
  say("waits for a client");
  int channel = accept(listener, NULL, NULL);
  if (channel < 0) fail("accept", errno);
  /* #region peercred */
  struct ucred peer;
  socklen_t size = sizeof peer;
  if (getsockopt(channel, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) fail("getsockopt(SO_PEERCRED)", errno);
  /* #endregion peercred */
  char message[64];
  ssize_t got = read(channel, message, sizeof message - 1);
  if (got < 0) fail("read", errno);
  message[got] = '\0';
  say("a client connected and said \"%s\": SO_PEERCRED says pid %ld, uid %u, gid %u", message, (long)peer.pid, (unsigned)peer.uid, (unsigned)peer.gid);
  if (write(channel, "welcome", 7) != 7) fail("write", errno);
  while (read(channel, message, sizeof message) > 0) continue; /* until the client closes */
  close(channel);
  close(listener);
  unlink(path);
  say("served one client");
  return 0;
}

static int client(const char *path, int argc, char **argv) {
  if (argc >= 2 && getuid() == 0) {
    if (setgroups(0, NULL) != 0) fail("setgroups", errno);
    if (setgid((gid_t)strtoul(argv[1], NULL, 10)) != 0) fail("setgid", errno);
    if (setuid((uid_t)strtoul(argv[0], NULL, 10)) != 0) fail("setuid", errno);
  }
  struct sockaddr_un address;
  unix_address(&address, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", errno);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", errno);
  say("pid %ld, uid %u, gid %u: connected, says hello", (long)getpid(), (unsigned)getuid(), (unsigned)getgid());
  if (write(fd, "hello", 5) != 5) fail("write", errno);
  char reply[64];
  ssize_t n = read(fd, reply, sizeof reply - 1);
  if (n < 0) fail("read", errno);
  reply[n] = '\0';
  say("the server answered \"%s\"", reply);
  close(fd);
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
#ifdef _WIN32
  if (argc >= 3 && strcmp(argv[1], "client") == 0) return client(argv[2]);
#else
  if (argc >= 3 && strcmp(argv[1], "client") == 0) return client(argv[2], argc - 3, argv + 3);
#endif
  fprintf(stderr, "usage: sec_pipe serve <path> | sec_pipe client <path> [<uid> <gid>]\n");
  return 2;
}
