// Compiled into the Linux prebuilds only (scripts/prebuild.mjs), never into a source build: what
// lets one binary built on Debian 12 (glibc 2.36) load on every glibc from 2.28 on.
//
// The prebuild links against stubs of libc that offer only symbol versions up to the floor
// (glibc.mjs), so every glibc function it calls binds to a version old systems have. Four names
// the sources and GCC 12's libstdc++ use did not exist at 2.28; they are defined here, hidden
// inside the addon (-fvisibility=hidden and exports.map), so the addon's own calls bind to them:
//   sem_clockwait (2.30)           blocking_ops_linux.cc, named-semaphore waits
//   pthread_cond_clockwait (2.30)  libstdc++'s condition_variable::wait_for/wait_until
//   pthread_mutex_clocklock (2.30) libstdc++'s timed mutexes (pulled in by its headers)
//   __libc_single_threaded (2.32)  libstdc++'s shortcut for reference counts in one-thread programs
// Each waits on the old CLOCK_REALTIME function for at most SLICE_NS at a time and re-checks the
// CLOCK_MONOTONIC deadline after every slice, so a wall-clock jump changes nothing but the length
// of one slice. https://man7.org/linux/man-pages/man3/sem_clockwait.3.html
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/single_threaded.h>
#include <time.h>

namespace {

constexpr long long kNsPerSec = 1000000000LL;
/** The longest single realtime wait: bounds what a wall-clock jump can do to one slice. */
constexpr long long kSliceNs = 200000000LL;  // 200 ms

long long Ns(const timespec& t) { return static_cast<long long>(t.tv_sec) * kNsPerSec + t.tv_nsec; }

timespec FromNs(long long ns) {
  timespec t;
  t.tv_sec = static_cast<time_t>(ns / kNsPerSec);
  t.tv_nsec = static_cast<long>(ns % kNsPerSec);
  return t;
}

long long Now(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return Ns(t);
}

/** Whether `clock` is one the shims accept (the real functions accept these two). */
bool Supported(clockid_t clock) { return clock == CLOCK_MONOTONIC || clock == CLOCK_REALTIME; }

/**
 * The next slice: a CLOCK_REALTIME deadline at most kSliceNs away, or false when the deadline
 * `until` on `clock` has passed.
 */
bool NextSlice(clockid_t clock, const timespec* until, timespec* slice) {
  long long left = Ns(*until) - Now(clock);
  if (left <= 0) return false;
  *slice = FromNs(Now(CLOCK_REALTIME) + (left < kSliceNs ? left : kSliceNs));
  return true;
}

}  // namespace

extern "C" {

// Zero: "other threads may exist", which is always true in Node; libstdc++ then always uses atomics.
char __libc_single_threaded = 0;

int sem_clockwait(sem_t* sem, clockid_t clock, const timespec* until) {
  if (!Supported(clock) || until->tv_nsec < 0 || until->tv_nsec >= kNsPerSec) {
    errno = EINVAL;
    return -1;
  }
  for (;;) {
    timespec slice;
    if (!NextSlice(clock, until, &slice)) {
      // Past the deadline: one last non-blocking attempt, as sem_clockwait does.
      if (sem_trywait(sem) == 0) return 0;
      if (errno == EAGAIN) errno = ETIMEDOUT;
      return -1;
    }
    if (sem_timedwait(sem, &slice) == 0) return 0;
    if (errno != ETIMEDOUT) return -1;  // EINTR included: the caller decides
  }
}

int pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock, const timespec* until) {
  if (!Supported(clock) || until->tv_nsec < 0 || until->tv_nsec >= kNsPerSec) return EINVAL;
  timespec slice;
  if (!NextSlice(clock, until, &slice)) return ETIMEDOUT;
  int r = pthread_cond_timedwait(cond, mutex, &slice);
  // A slice that ended before the real deadline is a spurious wake-up, which callers of a
  // condition variable handle anyway (libstdc++ re-reads its clock after every wait).
  if (r == ETIMEDOUT && Now(clock) < Ns(*until)) return 0;
  return r;
}

int pthread_mutex_clocklock(pthread_mutex_t* mutex, clockid_t clock, const timespec* until) noexcept {
  if (!Supported(clock) || until->tv_nsec < 0 || until->tv_nsec >= kNsPerSec) return EINVAL;
  for (;;) {
    timespec slice;
    if (!NextSlice(clock, until, &slice)) {
      int r = pthread_mutex_trylock(mutex);
      return r == EBUSY ? ETIMEDOUT : r;
    }
    int r = pthread_mutex_timedlock(mutex, &slice);
    if (r != ETIMEDOUT) return r;
  }
}

}  // extern "C"
