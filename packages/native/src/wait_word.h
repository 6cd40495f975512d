// The OS half of @ipckit/native: waiting on and waking a 32-bit word in memory
// shared between processes. No Node-API here; addon.cc is the JavaScript glue.
//
// Protocol (the same on every OS, and the only way wake-ups are not lost):
//   waker:  store the new value in the word, THEN Wake().
//   waiter: read the word, and if it still holds the value it saw, Wait(seen).
// Wait() re-checks the word itself: it returns NotEqual at once when the word
// no longer holds `expected`. A wake between the waiter's read and its sleep
// is kept by the kernel (Linux: the futex compares the word under the futex
// hash-bucket lock; Windows: the auto-reset event stays signalled until a
// waiter consumes it). Woken may be spurious: callers re-read the word.
#ifndef IPCKIT_WAIT_WORD_H_
#define IPCKIT_WAIT_WORD_H_

#include <cstdint>
#include <string>

namespace ipckit {

enum class WaitResult { Woken, NotEqual, TimedOut, Closed, Failed };

// What a failed OS call said: errno on POSIX, GetLastError() on Windows.
struct SysError {
  int code = 0;
  const char* syscall = nullptr;
};

class WaitWord {
 public:
  // Opens the OS objects for the word at `addr` (4-byte aligned, valid for as
  // long as this object lives). `name` names the Windows event
  // (Local\ipckit-<name>); Linux needs no kernel object and ignores it.
  // Returns nullptr and fills `err` on failure.
  static WaitWord* Open(uint32_t* addr, const std::string& name, SysError* err);
  ~WaitWord();

  WaitWord(const WaitWord&) = delete;
  WaitWord& operator=(const WaitWord&) = delete;

  // Sleeps while the word holds `expected`, at most `timeout_ms` (negative or
  // not finite: no limit). With `interruptible`, Interrupt() from another
  // thread ends the wait early (Windows: returns Closed; Linux: returns Woken
  // and the caller checks its own stop flag).
  WaitResult Wait(uint32_t expected, double timeout_ms, bool interruptible, SysError* err);

  // Wakes up to `count` waiters (Windows: releases one waiter; see addon docs).
  bool Wake(uint32_t count, SysError* err);

  // Makes an interruptible Wait() on another thread return soon. Idempotent.
  // On Linux it may arrive before that thread sleeps, so callers repeat it
  // until the thread says it left Wait().
  void Interrupt();

  uint32_t Load() const;

  // "futex" or "event": which kernel primitive backs the wait.
  static const char* Primitive();

 private:
  WaitWord() = default;
  uint32_t* addr_ = nullptr;
#ifdef _WIN32
  void* event_ = nullptr;  // named auto-reset event, shared with other processes
  void* stop_ = nullptr;   // unnamed manual-reset event, for Interrupt()
#endif
};

}  // namespace ipckit

#endif  // IPCKIT_WAIT_WORD_H_
