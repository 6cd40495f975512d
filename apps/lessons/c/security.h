/* Windows security descriptors for lesson 7's programs (sec_owner.c, sec_pipe.c). */
#ifndef IPCKIT_LESSON_SECURITY_H
#define IPCKIT_LESSON_SECURITY_H
#ifdef _WIN32
#include "lesson.h"
#include <aclapi.h>
#include <sddl.h>

/* Says the DACL of the object behind `handle` (of kind `type`) in SDDL,
 * in quotes when `quoted` (an empty SDDL then still shows), or why it could
 * not be read. */
static void say_dacl(const char *what, HANDLE handle, SE_OBJECT_TYPE type, int quoted) {
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = NULL;
  DWORD rc = GetSecurityInfo(handle, type, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd);
  if (rc != ERROR_SUCCESS) {
    char text[120];
    say("%s: GetSecurityInfo failed: %s", what, OS_ERROR(text, rc));
    return;
  }
  LPWSTR wide = NULL;
  if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &wide, NULL)) {
    fail("ConvertSecurityDescriptorToStringSecurityDescriptorW", GetLastError());
  }
  char sddl[1024];
  WideCharToMultiByte(CP_UTF8, 0, wide, -1, sddl, (int)sizeof sddl, NULL, NULL);
  say(quoted ? "%s: \"%s\"%s" : "%s: %s%s", what, sddl, dacl == NULL ? " (no DACL at all)" : "");
  LocalFree(wide);
  LocalFree(sd);
}
#endif
#endif
