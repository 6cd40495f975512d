// Linux: futex(2) on the shared word itself. Without FUTEX_PRIVATE_FLAG the
// kernel keys the futex by the backing object (inode + offset of a MAP_SHARED
// mapping, or the shm object), so a waiter in one process and a waker in
// another that map the same memory meet on the same futex.
// https://man7.org/linux/man-pages/man2/futex.2.html
#include "wait_word.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>

namespace ipckit {

namespace {

long Futex(uint32_t* uaddr, int op, uint32_t val, const struct timespec* ts, uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, ts, nullptr, val3);
}

// Past this a timeout is treated as "no limit" (about 31 years).
constexpr double kMaxTimeoutMs = 1e12;

}  // namespace

WaitWord* WaitWord::Open(uint32_t* addr, const std::string& /*name*/, SysError* /*err*/) {
  WaitWord* w = new WaitWord();
  w->addr_ = addr;
  return w;
}

WaitWord::~WaitWord() = default;

const char* WaitWord::Primitive() { return "futex"; }

uint32_t WaitWord::Load() const { return __atomic_load_n(addr_, __ATOMIC_SEQ_CST); }

WaitResult WaitWord::Wait(uint32_t expected, double timeout_ms, bool /*interruptible*/, SysError* err) {
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so a retry
  // after EINTR keeps the caller's time limit instead of restarting it.
  struct timespec deadline;
  struct timespec* pdeadline = nullptr;
  if (std::isfinite(timeout_ms) && timeout_ms >= 0 && timeout_ms < kMaxTimeoutMs) {
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    double whole_ms = std::floor(timeout_ms);
    long long add_ns = static_cast<long long>((timeout_ms - whole_ms) * 1e6);
    long long secs = static_cast<long long>(whole_ms) / 1000;
    add_ns += (static_cast<long long>(whole_ms) % 1000) * 1000000LL;
    deadline.tv_sec += secs + add_ns / 1000000000LL;
    deadline.tv_nsec += add_ns % 1000000000LL;
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec += 1;
      deadline.tv_nsec -= 1000000000L;
    }
    pdeadline = &deadline;
  }
  for (;;) {
    long r = Futex(addr_, FUTEX_WAIT_BITSET, expected, pdeadline, FUTEX_BITSET_MATCH_ANY);
    if (r == 0) return WaitResult::Woken;
    switch (errno) {
      case EAGAIN:
        return WaitResult::NotEqual;
      case ETIMEDOUT:
        return WaitResult::TimedOut;
      case EINTR:
        continue;  // a signal, not a wake: sleep again until the same deadline
      default:
        err->code = errno;
        err->syscall = "futex";
        return WaitResult::Failed;
    }
  }
}

bool WaitWord::Wake(uint32_t count, SysError* err) {
  int n = count > static_cast<uint32_t>(INT_MAX) ? INT_MAX : static_cast<int>(count);
  if (Futex(addr_, FUTEX_WAKE, static_cast<uint32_t>(n), nullptr, 0) < 0) {
    err->code = errno;
    err->syscall = "futex";
    return false;
  }
  return true;
}

void WaitWord::Interrupt() {
  // A futex wait cannot also watch a private flag, so the stopping thread is
  // woken through the shared word. Other waiters on the word (in this or
  // another process) see a spurious wake-up, which the protocol allows.
  Futex(addr_, FUTEX_WAKE, INT_MAX, nullptr, 0);
}

}  // namespace ipckit
