// Windows: WaitForMultipleObjects on named mutexes, semaphores and events,
// with the canceller's event in the same wait, and ReleaseMutex (which only
// the thread that acquired a mutex may call).
// https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-waitformultipleobjects
// https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-releasemutex
#include "blocking_ops.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cmath>

namespace ipckit {

namespace {
constexpr double kForeverMs = 1e12;
}  // namespace

Canceller* Canceller::Create(SysError* err) {
  HANDLE ev = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (ev == nullptr) {
    err->code = static_cast<int>(GetLastError());
    err->syscall = "CreateEventW";
    return nullptr;
  }
  Canceller* c = new Canceller();
  c->handle_ = ev;
  return c;
}

Canceller::~Canceller() {
  if (handle_ != nullptr) CloseHandle(static_cast<HANDLE>(handle_));
}

void Canceller::Cancel() {
  cancelled_.store(true, std::memory_order_release);
  SetEvent(static_cast<HANDLE>(handle_));
}

void Canceller::Reset() {
  cancelled_.store(false, std::memory_order_release);
  ResetEvent(static_cast<HANDLE>(handle_));
}

OpOutcome WaitHandles(void* const* handles, int count, double timeout_ms, Canceller* cancel) {
  OpOutcome out;
  if (count < 1 || count > MAXIMUM_WAIT_OBJECTS - 1) {
    out.err.code = ERROR_INVALID_PARAMETER;
    out.err.syscall = "WaitForMultipleObjects";
    return out;
  }
  HANDLE set[MAXIMUM_WAIT_OBJECTS];
  for (int i = 0; i < count; ++i) set[i] = static_cast<HANDLE>(handles[i]);
  set[count] = static_cast<HANDLE>(cancel->Handle());
  DWORD n = static_cast<DWORD>(count) + 1;
  bool forever = !(std::isfinite(timeout_ms) && timeout_ms >= 0 && timeout_ms < kForeverMs);
  ULONGLONG deadline = forever ? 0 : GetTickCount64() + static_cast<ULONGLONG>(std::ceil(timeout_ms));
  for (;;) {
    DWORD ms = INFINITE;
    ULONGLONG remaining = 0;
    if (!forever) {
      ULONGLONG now = GetTickCount64();
      remaining = deadline > now ? deadline - now : 0;
      ms = remaining > 0xFFFFFFFEull ? 0xFFFFFFFEu : static_cast<DWORD>(remaining);
    }
    DWORD r = WaitForMultipleObjects(n, set, FALSE, ms);
    if (r < WAIT_OBJECT_0 + n) {
      DWORD i = r - WAIT_OBJECT_0;
      if (i == static_cast<DWORD>(count)) {
        out.result = OpResult::Cancelled;
      } else {
        out.result = OpResult::Done;
        out.index = static_cast<int>(i);
      }
      return out;
    }
    if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + n) {
      out.result = OpResult::Abandoned;
      out.index = static_cast<int>(r - WAIT_ABANDONED_0);
      return out;
    }
    if (r == WAIT_TIMEOUT) {
      if (!forever && remaining > ms) continue;
      out.result = OpResult::TimedOut;
      return out;
    }
    out.err.code = static_cast<int>(GetLastError());
    out.err.syscall = "WaitForMultipleObjects";
    return out;
  }
}

bool ReleaseMutexHandle(void* handle, SysError* err) {
  if (!ReleaseMutex(static_cast<HANDLE>(handle))) {
    err->code = static_cast<int>(GetLastError());
    err->syscall = "ReleaseMutex";
    return false;
  }
  return true;
}

OpOutcome SemWait(void*, double, Canceller*) {
  OpOutcome out;
  out.err.code = ERROR_NOT_SUPPORTED;
  out.err.syscall = "sem_clockwait";
  return out;
}

OpOutcome WaitWords(uint32_t* const*, const uint32_t*, int, double, Canceller*) {
  OpOutcome out;
  out.err.code = ERROR_NOT_SUPPORTED;
  out.err.syscall = "futex_waitv";
  return out;
}

bool WakeWord(uint32_t*, int, SysError* err) {
  err->code = ERROR_NOT_SUPPORTED;
  err->syscall = "futex";
  return false;
}

size_t MutexSize() { return 0; }
bool MutexInit(void*, SysError* err) {
  err->code = ERROR_NOT_SUPPORTED;
  err->syscall = "pthread_mutex_init";
  return false;
}
LockState MutexTryLock(void*, SysError* err) {
  err->code = ERROR_NOT_SUPPORTED;
  err->syscall = "pthread_mutex_trylock";
  return LockState::Failed;
}
LockState MutexLock(void*, double, SysError* err) {
  err->code = ERROR_NOT_SUPPORTED;
  err->syscall = "pthread_mutex_lock";
  return LockState::Failed;
}
bool MutexUnlock(void*, SysError* err) {
  err->code = ERROR_NOT_SUPPORTED;
  err->syscall = "pthread_mutex_unlock";
  return false;
}

bool MutexTypeMatches(const void*, int*, int*) { return true; }
bool SemPost(void*, uint32_t, SysError* err) {
  err->code = ERROR_NOT_SUPPORTED;
  err->syscall = "sem_post";
  return false;
}

}  // namespace ipckit
