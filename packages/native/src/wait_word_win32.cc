// Windows: WaitOnAddress only works within one process, so the cross-process
// wake-up is a named auto-reset event (Local\ipckit-<name>, in the session
// namespace) beside the word. The waiter checks the word before it sleeps; a
// SetEvent between that check and WaitForMultipleObjects leaves the event
// signalled, so the wait returns at once and no wake-up is lost. An
// auto-reset event remembers one wake-up and releases one waiter per
// SetEvent: use one name per sleeping side (as each ring direction does).
// https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-createeventw
// https://learn.microsoft.com/windows/win32/sync/event-objects
#include "wait_word.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cmath>
#include <string>

namespace ipckit {

namespace {

std::wstring Widen(const std::string& s) {
  if (s.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), &w[0], n);
  return w;
}

constexpr double kMaxTimeoutMs = 1e12;

}  // namespace

WaitWord* WaitWord::Open(uint32_t* addr, const std::string& name, SysError* err) {
  std::wstring wname = L"Local\\ipckit-" + Widen(name);
  // bManualReset = FALSE: an auto-reset event, so one SetEvent is consumed by
  // exactly one wait and a wake with nobody asleep is kept for the next one.
  HANDLE ev = CreateEventW(nullptr, FALSE, FALSE, wname.c_str());
  if (ev == nullptr) {
    err->code = static_cast<int>(GetLastError());
    err->syscall = "CreateEventW";
    return nullptr;
  }
  HANDLE stop = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (stop == nullptr) {
    err->code = static_cast<int>(GetLastError());
    err->syscall = "CreateEventW";
    CloseHandle(ev);
    return nullptr;
  }
  WaitWord* w = new WaitWord();
  w->addr_ = addr;
  w->event_ = ev;
  w->stop_ = stop;
  return w;
}

WaitWord::~WaitWord() {
  if (event_ != nullptr) CloseHandle(static_cast<HANDLE>(event_));
  if (stop_ != nullptr) CloseHandle(static_cast<HANDLE>(stop_));
}

const char* WaitWord::Primitive() { return "event"; }

uint32_t WaitWord::Load() const { return __atomic_load_n(addr_, __ATOMIC_SEQ_CST); }

WaitResult WaitWord::Wait(uint32_t expected, double timeout_ms, bool interruptible, SysError* err) {
  if (Load() != expected) return WaitResult::NotEqual;
  HANDLE handles[2] = {static_cast<HANDLE>(event_), static_cast<HANDLE>(stop_)};
  DWORD count = interruptible ? 2 : 1;
  bool forever = !(std::isfinite(timeout_ms) && timeout_ms >= 0 && timeout_ms < kMaxTimeoutMs);
  ULONGLONG deadline = forever ? 0 : GetTickCount64() + static_cast<ULONGLONG>(std::ceil(timeout_ms));
  for (;;) {
    DWORD ms = INFINITE;
    ULONGLONG remaining = 0;
    if (!forever) {
      ULONGLONG now = GetTickCount64();
      remaining = deadline > now ? deadline - now : 0;
      // WaitForMultipleObjects takes a DWORD below INFINITE: wait in chunks.
      ms = remaining > 0xFFFFFFFEull ? 0xFFFFFFFEu : static_cast<DWORD>(remaining);
    }
    DWORD r = WaitForMultipleObjects(count, handles, FALSE, ms);
    if (r == WAIT_OBJECT_0) return WaitResult::Woken;
    if (r == WAIT_OBJECT_0 + 1) return WaitResult::Closed;
    if (r == WAIT_TIMEOUT) {
      if (!forever && remaining > ms) continue;
      return WaitResult::TimedOut;
    }
    err->code = static_cast<int>(GetLastError());
    err->syscall = "WaitForMultipleObjects";
    return WaitResult::Failed;
  }
}

bool WaitWord::Wake(uint32_t /*count*/, SysError* err) {
  if (!SetEvent(static_cast<HANDLE>(event_))) {
    err->code = static_cast<int>(GetLastError());
    err->syscall = "SetEvent";
    return false;
  }
  return true;
}

void WaitWord::Interrupt() { SetEvent(static_cast<HANDLE>(stop_)); }

}  // namespace ipckit
