/*
 * Lesson 7, objects for their owner only, and what a second user sees.
 *
 *   sec_owner files <folder>                  makes <folder>/secret for its owner only, exclusively,
 *                                             and refuses to follow a planted link
 *   sec_owner try <uid> <gid> open|connect <path> ...
 *                                             (POSIX, as root) becomes <uid>:<gid>, then opens each
 *                                             file (open) or socket (connect) and says what the OS answered
 *
 * POSIX: open(O_CREAT | O_EXCL | O_NOFOLLOW, 0600), then fchmod(0600) whatever the umask; a second
 * O_EXCL create of the name fails with EEXIST; a symlink opened with O_NOFOLLOW fails with ELOOP;
 * mkdir(0700) makes a folder only its owner may enter; another user's open fails with EACCES.
 * Windows: a file has no mode bits. CreateFileW(CREATE_NEW) is the exclusive create (the second
 * time ERROR_FILE_EXISTS); what decides who may open the file is its security descriptor's DACL,
 * printed here in SDDL (GetSecurityInfo, ConvertSecurityDescriptorToStringSecurityDescriptorW).
 *
 * Build: cc -O2 -Wall -o sec_owner sec_owner.c · x86_64-w64-mingw32-gcc -O2 -Wall -static -o
 * sec_owner.exe sec_owner.c · cl /W4 sec_owner.c (advapi32.lib, named below for MSVC).
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
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/types.h>
#endif

#ifdef _WIN32
static int files(const char *folder) {
  wchar_t path[MAX_PATH];
  char utf8[MAX_PATH];
  snprintf(utf8, sizeof utf8, "%s\\secret", folder);
  to_wide(utf8, path, MAX_PATH);
  /* #region create-new */
  HANDLE file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) fail("CreateFileW(CREATE_NEW)", GetLastError());
  /* #endregion create-new */
  DWORD written = 0;
  if (!WriteFile(file, "for my eyes only\n", 17, &written, NULL)) fail("WriteFile", GetLastError());
  say("created secret with CREATE_NEW: no mode bits to set, the file's DACL decides who may open it");
  say_dacl("its DACL", file, SE_FILE_OBJECT, 0);
  HANDLE again = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD error = GetLastError();
  if (again != INVALID_HANDLE_VALUE) {
    say("created again with CREATE_NEW: it opened!");
    CloseHandle(again);
  } else {
    say("created again with CREATE_NEW: error %lu (%s): the name was taken, nothing was opened", (unsigned long)error,
        error == ERROR_FILE_EXISTS ? "ERROR_FILE_EXISTS" : win32_error_name(error));
  }
  CloseHandle(file);
  return 0;
}
#else
static int files(const char *folder) {
  char path[4096], link_path[4096], private_dir[4096];
  struct stat st;
  // The lesson's folder is its owner's only (mkdtemp made it 0700): let another user pass through it,
  // not list it, so that what stops them below is each object's own mode.
  if (chmod(folder, 0711) != 0) fail("chmod", errno);
  say("the lesson's folder: mode 0711, so another user may pass through it, not list it");
  snprintf(path, sizeof path, "%s/secret", folder);
  /* #region create */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) fail("open(O_CREAT | O_EXCL | O_NOFOLLOW)", errno);
  if (fchmod(fd, 0600) != 0) fail("fchmod", errno); /* the umask may only take bits away; say it anyway */
  /* #endregion create */
  if (write(fd, "for my eyes only\n", 17) != 17) fail("write", errno);
  if (fstat(fd, &st) != 0) fail("fstat", errno);
  say("created secret: mode %04o, owner uid %u", (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
  close(fd);
  int again = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (again >= 0) {
    say("created again with O_EXCL: it opened!");
    close(again);
  } else {
    say("created again with O_EXCL: %s: the name was taken, nothing was opened", errno_text(errno));
  }
  snprintf(private_dir, sizeof private_dir, "%s/private", folder);
  if (mkdir(private_dir, 0700) != 0) fail("mkdir", errno);
  if (stat(private_dir, &st) != 0) fail("stat", errno);
  say("made private/: mode %04o: only its owner may list it, enter it or make names in it", (unsigned)(st.st_mode & 07777));
  /* #region nofollow */
  snprintf(link_path, sizeof link_path, "%s/planted", folder);
  if (symlink(path, link_path) != 0) fail("symlink", errno);
  say("planted: a symlink to secret, left where a program meant to open a file of its own");
  int followed = open(link_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (followed < 0) say("open planted with O_NOFOLLOW: %s: the link was not followed", errno_text(errno));
  /* #endregion nofollow */
  if (followed >= 0) {
    say("open planted with O_NOFOLLOW: it opened!");
    close(followed);
  }
  return 0;
}

static int try_as(unsigned uid, unsigned gid, int count, char **pairs) {
  if (getuid() != 0) {
    say("not root: this program cannot become another user");
    return 3;
  }
  /* #region become */
  if (setgroups(0, NULL) != 0) fail("setgroups", errno);
  if (setgid((gid_t)gid) != 0) fail("setgid", errno);
  if (setuid((uid_t)uid) != 0) fail("setuid", errno);
  /* #endregion become */
  say("now uid %u, gid %u: another user, with no way back to root", (unsigned)getuid(), (unsigned)getgid());
  for (int i = 0; i + 1 < count; i += 2) {
    const char *what = pairs[i], *path = pairs[i + 1];
    int fd;
    if (strcmp(what, "connect") == 0) {
      struct sockaddr_un address;
      unix_address(&address, path);
      fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) fail("socket", errno);
      if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        say("connect %s: %s", path, errno_text(errno));
        close(fd);
        continue;
      }
    } else {
      fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        say("open %s: %s", path, errno_text(errno));
        continue;
      }
    }
    say("%s %s: it opened!", what, path);
    close(fd);
  }
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "files") == 0) return files(argv[2]);
#ifndef _WIN32
  if (argc >= 5 && strcmp(argv[1], "try") == 0) return try_as((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), argc - 4, argv + 4);
#endif
  fprintf(stderr, "usage: sec_owner files <folder> | sec_owner try <uid> <gid> open|connect <path> ...\n");
  return 2;
}
