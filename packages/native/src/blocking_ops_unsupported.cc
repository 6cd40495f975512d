// Neither Linux nor Windows: every blocking wait fails with ENOSYS, which
// @ipckit/sync reports as ENOTSUP.
#include "blocking_ops.h"

#include <cerrno>

namespace ipckit {

namespace {
OpOutcome Unsupported(const char* syscall) {
  OpOutcome out;
  out.err.code = ENOSYS;
  out.err.syscall = syscall;
  return out;
}
}  // namespace

Canceller* Canceller::Create(SysError*) { return new Canceller(); }
Canceller::~Canceller() = default;
void Canceller::Cancel() { cancelled_.store(true, std::memory_order_release); }
void Canceller::Reset() { cancelled_.store(false, std::memory_order_release); }
OpOutcome WaitHandles(void* const*, int, double, Canceller*) { return Unsupported("WaitForMultipleObjects"); }
bool ReleaseMutexHandle(void*, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "ReleaseMutex";
  return false;
}
OpOutcome SemWait(void*, double, Canceller*) { return Unsupported("sem_clockwait"); }
OpOutcome WaitWords(uint32_t* const*, const uint32_t*, int, double, Canceller*) { return Unsupported("futex_waitv"); }
bool WakeWord(uint32_t*, int, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "futex";
  return false;
}

size_t MutexSize() { return 0; }
bool MutexInit(void*, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "pthread_mutex_init";
  return false;
}
LockState MutexTryLock(void*, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "pthread_mutex_trylock";
  return LockState::Failed;
}
LockState MutexLock(void*, double, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "pthread_mutex_lock";
  return LockState::Failed;
}
bool MutexUnlock(void*, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "pthread_mutex_unlock";
  return false;
}

bool MutexTypeMatches(const void*, int*, int*) { return true; }
bool SemPost(void*, uint32_t, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "sem_post";
  return false;
}

}  // namespace ipckit
