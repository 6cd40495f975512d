// Neither Linux nor Windows: the addon builds, but opening a waiter fails
// with ENOSYS, so callers can fall back to polling.
#include "wait_word.h"

#include <cerrno>

namespace ipckit {

WaitWord* WaitWord::Open(uint32_t*, const std::string&, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "openWaiter";
  return nullptr;
}
WaitWord::~WaitWord() = default;
const char* WaitWord::Primitive() { return "none"; }
uint32_t WaitWord::Load() const { return __atomic_load_n(addr_, __ATOMIC_SEQ_CST); }
WaitResult WaitWord::Wait(uint32_t, double, bool, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "wait";
  return WaitResult::Failed;
}
bool WaitWord::Wake(uint32_t, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "wake";
  return false;
}
void WaitWord::Interrupt() {}

}  // namespace ipckit
