// Blocking OS waits that @ipckit/sync runs on a thread of their own (see
// sync_thread.cc), never on the event loop. No Node-API here.
//
// Each wait takes a Canceller: another thread cancels a pending wait with it
// (close, AbortSignal). On Windows the canceller is an event in the wait set,
// so a cancel is instant; on Linux the waits sleep in slices of at most
// kCancelSliceMs and look at the canceller between slices.
#ifndef IPCKIT_BLOCKING_OPS_H_
#define IPCKIT_BLOCKING_OPS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "wait_word.h"

namespace ipckit {

// How a blocking wait ended.
enum class OpResult {
  Done,       // the object was signalled / acquired (index says which)
  Abandoned,  // Windows: a mutex whose owner died without releasing it (acquired now)
  NotEqual,   // futex words: a word no longer held its expected value
  TimedOut,
  Cancelled,
  Failed,     // err says which call failed
};

struct OpOutcome {
  OpResult result = OpResult::Failed;
  int index = -1;
  SysError err;
};

// The longest a Linux wait sleeps before it looks at its canceller again.
constexpr double kCancelSliceMs = 20;

class Canceller {
 public:
  // Returns nullptr and fills err when the OS object cannot be made.
  static Canceller* Create(SysError* err);
  ~Canceller();
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;

  void Cancel();
  void Reset();
  bool Cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Windows: the manual-reset event a wait includes; nullptr elsewhere.
  void* Handle() const { return handle_; }

 private:
  Canceller() = default;
  std::atomic<bool> cancelled_{false};
  void* handle_ = nullptr;
};

// Windows: WaitForMultipleObjects on `count` handles (at most 63) and the
// canceller; the first signalled handle's index. A mutex is acquired by the
// calling thread, which must then be the one to release it.
OpOutcome WaitHandles(void* const* handles, int count, double timeout_ms, Canceller* cancel);

// Windows: ReleaseMutex on the calling thread (the one that acquired it).
bool ReleaseMutexHandle(void* handle, SysError* err);

// POSIX: sem_clockwait on a sem_open semaphore (CLOCK_MONOTONIC).
OpOutcome SemWait(void* sem, double timeout_ms, Canceller* cancel);

// Linux: sleeps until one of `count` shared 32-bit words is woken or no longer
// holds its expected value (futex_waitv, Linux 5.16+; FUTEX_WAIT for one
// word). Done: a wake-up arrived (index: the word woken; may be spurious);
// NotEqual: a word differed when the wait began.
OpOutcome WaitWords(uint32_t* const* words, const uint32_t* expected, int count, double timeout_ms, Canceller* cancel);

// FUTEX_WAKE on a shared word (Linux); false and err on failure.
bool WakeWord(uint32_t* word, int count, SysError* err);

// POSIX: a process-shared robust mutex (pthread_mutex_t) at `m`, in memory
// shared between processes. These run on the calling thread, which becomes
// the holder: only it may unlock. A lock that finds the previous holder dead
// (EOWNERDEAD) takes the mutex, marks it consistent at once (as Windows hands
// an abandoned mutex over) and reports Abandoned.
enum class LockState { Acquired, Abandoned, Busy, TimedOut, Failed };

// sizeof(pthread_mutex_t) here (40 on x86-64 glibc, 48 on arm64); 0 where unsupported.
size_t MutexSize();
bool MutexInit(void* m, SysError* err);
LockState MutexTryLock(void* m, SysError* err);
// Blocks the calling thread up to timeout_ms (Infinity: no limit).
LockState MutexLock(void* m, double timeout_ms, SysError* err);
bool MutexUnlock(void* m, SysError* err);
// glibc: true when the mutex's type word (__kind) is the one MutexInit writes
// (process-shared, robust, normal). glibc trusts that word: a priority-ceiling
// or priority-inheritance kind in foreign bytes makes it assert and abort the
// process, so every lock, trylock and unlock checks it first. `found` and
// `expected` say what was seen. Always true where the check does not apply.
bool MutexTypeMatches(const void* m, int* found, int* expected);

// POSIX: adds `count` to a sem_open semaphore in one step, all or nothing:
// EOVERFLOW (nothing added) when the count would pass SEM_VALUE_MAX. On glibc
// (its 64-bit semaphore layout, checked at run time) one compare-and-swap and
// one FUTEX_WAKE of up to `count` waiters, as `count` sem_post calls would
// leave it; elsewhere sem_post `count` times, taking back what it added when
// one fails.
bool SemPost(void* sem, uint32_t count, SysError* err);

}  // namespace ipckit

#endif  // IPCKIT_BLOCKING_OPS_H_
