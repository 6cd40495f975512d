// Linux: sem_clockwait for named semaphores and futex / futex_waitv for
// shared words, each in slices so a cancel is seen within kCancelSliceMs.
// https://man7.org/linux/man-pages/man3/sem_wait.3.html
// https://man7.org/linux/man-pages/man2/futex.2.html
// https://docs.kernel.org/userspace-api/futex2.html (futex_waitv)
#include "blocking_ops.h"

#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449  // the same number on x86-64 and arm64 (asm-generic)
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
#endif

namespace ipckit {

namespace {

constexpr double kForeverMs = 1e12;

double NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct timespec AbsoluteMs(double ms) {
  struct timespec ts;
  double secs = std::floor(ms / 1e3);
  ts.tv_sec = static_cast<time_t>(secs);
  ts.tv_nsec = static_cast<long>((ms - secs * 1e3) * 1e6);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

// The end of the next slice: the deadline, or kCancelSliceMs from now if sooner.
double SliceEnd(double deadline) {
  double slice = NowMs() + kCancelSliceMs;
  return slice < deadline ? slice : deadline;
}

double DeadlineOf(double timeout_ms) {
  return (std::isfinite(timeout_ms) && timeout_ms >= 0 && timeout_ms < kForeverMs) ? NowMs() + timeout_ms : INFINITY;
}

struct FutexWaitv {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};

}  // namespace

Canceller* Canceller::Create(SysError*) { return new Canceller(); }
Canceller::~Canceller() = default;
void Canceller::Cancel() { cancelled_.store(true, std::memory_order_release); }
void Canceller::Reset() { cancelled_.store(false, std::memory_order_release); }

OpOutcome WaitHandles(void* const*, int, double, Canceller*) {
  OpOutcome out;
  out.err.code = ENOSYS;
  out.err.syscall = "WaitForMultipleObjects";
  return out;
}

bool ReleaseMutexHandle(void*, SysError* err) {
  err->code = ENOSYS;
  err->syscall = "ReleaseMutex";
  return false;
}

OpOutcome SemWait(void* sem, double timeout_ms, Canceller* cancel) {
  OpOutcome out;
  double deadline = DeadlineOf(timeout_ms);
  for (;;) {
    if (cancel->Cancelled()) {
      out.result = OpResult::Cancelled;
      return out;
    }
    struct timespec until = AbsoluteMs(SliceEnd(deadline));
    if (sem_clockwait(static_cast<sem_t*>(sem), CLOCK_MONOTONIC, &until) == 0) {
      out.result = OpResult::Done;
      out.index = 0;
      return out;
    }
    if (errno == EINTR) continue;
    if (errno == ETIMEDOUT) {
      if (NowMs() >= deadline) {
        out.result = OpResult::TimedOut;
        return out;
      }
      continue;
    }
    out.err.code = errno;
    out.err.syscall = "sem_clockwait";
    return out;
  }
}

OpOutcome WaitWords(uint32_t* const* words, const uint32_t* expected, int count, double timeout_ms, Canceller* cancel) {
  OpOutcome out;
  if (count < 1 || count > 128) {
    out.err.code = EINVAL;
    out.err.syscall = "futex_waitv";
    return out;
  }
  double deadline = DeadlineOf(timeout_ms);
  FutexWaitv waiters[128];
  for (int i = 0; i < count; ++i) {
    waiters[i] = FutexWaitv{expected[i], reinterpret_cast<uint64_t>(words[i]), FUTEX_32, 0};
  }
  for (;;) {
    if (cancel->Cancelled()) {
      out.result = OpResult::Cancelled;
      return out;
    }
    struct timespec until = AbsoluteMs(SliceEnd(deadline));
    long r;
    if (count == 1) {
      // Plain FUTEX_WAIT_BITSET (absolute CLOCK_MONOTONIC deadline) works on every kernel.
      r = syscall(SYS_futex, words[0], FUTEX_WAIT_BITSET, expected[0], &until, nullptr, FUTEX_BITSET_MATCH_ANY);
    } else {
      r = syscall(SYS_futex_waitv, waiters, count, 0, &until, CLOCK_MONOTONIC);
    }
    if (r >= 0) {
      out.result = OpResult::Done;
      out.index = static_cast<int>(r);
      return out;
    }
    switch (errno) {
      case EAGAIN:
        out.result = OpResult::NotEqual;
        return out;
      case EINTR:
        continue;
      case ETIMEDOUT:
        if (NowMs() >= deadline) {
          out.result = OpResult::TimedOut;
          return out;
        }
        continue;
      default:
        out.err.code = errno;
        out.err.syscall = count == 1 ? "futex" : "futex_waitv";
        return out;
    }
  }
}

bool WakeWord(uint32_t* word, int count, SysError* err) {
  if (syscall(SYS_futex, word, FUTEX_WAKE, count < 1 ? INT_MAX : count, nullptr, nullptr, 0) < 0) {
    err->code = errno;
    err->syscall = "futex";
    return false;
  }
  return true;
}

size_t MutexSize() { return sizeof(pthread_mutex_t); }

bool MutexInit(void* m, SysError* err) {
  pthread_mutexattr_t attr;
  int r = pthread_mutexattr_init(&attr);
  if (r == 0) r = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (r == 0) r = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (r == 0) r = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL);
  if (r == 0) r = pthread_mutex_init(static_cast<pthread_mutex_t*>(m), &attr);
  pthread_mutexattr_destroy(&attr);
  if (r != 0) {
    err->code = r;
    err->syscall = "pthread_mutex_init";
    return false;
  }
  return true;
}

namespace {
// EOWNERDEAD: ours now, but the data it guards may be half-written. Marking
// it consistent at once keeps it usable (unlocked without that, it would be
// ENOTRECOVERABLE for everyone); the caller is told Abandoned and repairs.
LockState Taken(int r, pthread_mutex_t* m, const char* syscall, SysError* err) {
  if (r == 0) return LockState::Acquired;
  if (r == EOWNERDEAD) {
    int c = pthread_mutex_consistent(m);
    if (c != 0) {
      err->code = c;
      err->syscall = "pthread_mutex_consistent";
      pthread_mutex_unlock(m);
      return LockState::Failed;
    }
    return LockState::Abandoned;
  }
  if (r == EBUSY) return LockState::Busy;
  if (r == ETIMEDOUT) return LockState::TimedOut;
  err->code = r;
  err->syscall = syscall;
  return LockState::Failed;
}
}  // namespace

bool MutexTypeMatches(const void* m, int* found, int* expected) {
#if defined(__GLIBC__)
  // What MutexInit writes here, learnt once from a mutex made the same way.
  static const int kind = [] {
    pthread_mutex_t probe;
    SysError ignored;
    if (!MutexInit(&probe, &ignored)) return -1;
    int k = probe.__data.__kind;
    pthread_mutex_destroy(&probe);
    return k;
  }();
  int now = __atomic_load_n(&static_cast<const pthread_mutex_t*>(m)->__data.__kind, __ATOMIC_RELAXED);
  *found = now;
  *expected = kind;
  // The elision flags (PTHREAD_MUTEX_ELISION_NP 256, PTHREAD_MUTEX_NO_ELISION_NP 512) vary with how a
  // program asks for a normal mutex (glibc 2.34+ adds 512 for an explicit PTHREAD_MUTEX_NORMAL), and
  // glibc handles both: only the rest must match (robust, process-shared, no priority protocol).
  constexpr int kElisionBits = 256 | 512;
  return (now & ~kElisionBits) == (kind & ~kElisionBits);
#else
  (void)m;
  *found = 0;
  *expected = 0;
  return true;
#endif
}

namespace {
#if defined(__GLIBC__) && defined(__LP64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
// glibc's sem_t since 2.21 on 64-bit targets (nptl's struct new_sem): one
// 64-bit word, the value in its low 32 bits and the number of waiters in the
// high 32; sem_post adds 1 with a compare-and-swap and, when anyone waits,
// wakes one with FUTEX_WAKE on the low half (shared, for a sem_open one).
struct GlibcSem {
  uint64_t data;
  int private_flag;
  int pad;
};

bool GlibcSemLayout() {
  static const bool known = [] {
    int major = 0, minor = 0;
    if (std::sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) != 2) return false;
    if (major < 2 || (major == 2 && minor < 21) || sizeof(sem_t) < sizeof(GlibcSem)) return false;
    // Check it on a semaphore of our own: the value is where this code looks.
    sem_t probe;
    if (sem_init(&probe, 1, 5) != 0) return false;
    uint64_t data = 0;
    std::memcpy(&data, &probe, sizeof data);
    bool ok = data == 5;
    ok = ok && sem_post(&probe) == 0;
    std::memcpy(&data, &probe, sizeof data);
    ok = ok && data == 6;
    sem_destroy(&probe);
    return ok;
  }();
  return known;
}

bool GlibcSemPost(void* sem, uint32_t count, SysError* err) {
  auto* data = reinterpret_cast<uint64_t*>(sem);
  uint64_t d = __atomic_load_n(data, __ATOMIC_RELAXED);
  do {
    uint32_t value = static_cast<uint32_t>(d);
    if (value > static_cast<uint32_t>(SEM_VALUE_MAX) || count > static_cast<uint32_t>(SEM_VALUE_MAX) - value) {
      err->code = EOVERFLOW;
      err->syscall = "sem_post";
      return false;
    }
  } while (!__atomic_compare_exchange_n(data, &d, d + count, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
  if ((d >> 32) > 0) {
    int wake = count > static_cast<uint32_t>(INT_MAX) ? INT_MAX : static_cast<int>(count);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(sem), FUTEX_WAKE, wake, nullptr, nullptr, 0);
  }
  return true;
}
#endif
}  // namespace

bool SemPost(void* sem, uint32_t count, SysError* err) {
#if defined(__GLIBC__) && defined(__LP64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (GlibcSemLayout()) return GlibcSemPost(sem, count, err);
#endif
  auto* s = static_cast<sem_t*>(sem);
  for (uint32_t i = 0; i < count; ++i) {
    if (sem_post(s) != 0) {
      err->code = errno;
      err->syscall = "sem_post";
      // All or nothing: take back what this call added (waiters may already have some).
      for (uint32_t j = 0; j < i; ++j) {
        if (sem_trywait(s) != 0) break;
      }
      return false;
    }
  }
  return true;
}

LockState MutexTryLock(void* m, SysError* err) {
  auto* mutex = static_cast<pthread_mutex_t*>(m);
  return Taken(pthread_mutex_trylock(mutex), mutex, "pthread_mutex_trylock", err);
}

LockState MutexLock(void* m, double timeout_ms, SysError* err) {
  auto* mutex = static_cast<pthread_mutex_t*>(m);
  if (!(std::isfinite(timeout_ms) && timeout_ms >= 0 && timeout_ms < kForeverMs)) {
    return Taken(pthread_mutex_lock(mutex), mutex, "pthread_mutex_lock", err);
  }
  struct timespec until = AbsoluteMs(NowMs() + timeout_ms);
  return Taken(pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, &until), mutex, "pthread_mutex_clocklock", err);
}

bool MutexUnlock(void* m, SysError* err) {
  int r = pthread_mutex_unlock(static_cast<pthread_mutex_t*>(m));
  if (r != 0) {
    err->code = r;
    err->syscall = "pthread_mutex_unlock";
    return false;
  }
  return true;
}

}  // namespace ipckit
