// @ipckit/native: the Node-API glue around WaitWord (wait_word.h).
//
// Each NativeWaiter owns at most one background thread, started by its first
// async wait() and kept until close() (or garbage collection). The thread
// blocks in the kernel (futex / WaitForMultipleObjects), never the libuv
// threadpool, so a long wait cannot starve fs or dns work; its result comes
// back to JavaScript through a thread-safe function, i.e. through the event
// loop. The thread-safe function is referenced only while a wait is pending
// (and the waiter is ref()'d), so an idle waiter never keeps the process alive.
#include <napi.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "wait_word.h"

namespace ipckit {

namespace {

const char* ResultName(WaitResult r) {
  switch (r) {
    case WaitResult::Woken:
      return "woken";
    case WaitResult::NotEqual:
      return "not-equal";
    case WaitResult::TimedOut:
      return "timed-out";
    case WaitResult::Closed:
      return "closed";
    case WaitResult::Failed:
      break;
  }
  return "failed";
}

Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// A failed OS call: the wrapper in index.ts adds the portable `code` from
// `errno` (the OS's own number) and `syscall`.
Napi::Error MakeSysError(Napi::Env env, const SysError& err) {
  std::string syscall = err.syscall != nullptr ? err.syscall : "unknown";
  Napi::Error e = Napi::Error::New(env, syscall + " failed with OS error " + std::to_string(err.code));
  e.Set("errno", Napi::Number::New(env, err.code));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

}  // namespace

struct Core;
struct Outcome {
  uint64_t seq;
  WaitResult result;
  SysError err;
};
void DeliverOutcome(Napi::Env env, Napi::Function, Core* core, Outcome* outcome);
using Tsfn = Napi::TypedThreadSafeFunction<Core, Outcome, DeliverOutcome>;

class NativeWaiter;

// State shared by the JS object and its wait thread. Fields under "thread
// side" are guarded by `mu`; the rest are touched on the JS thread only.
struct Core {
  std::unique_ptr<WaitWord> word;

  // thread side
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool has_request = false;
  bool in_wait = false;
  bool finalized = false;  // the thread-safe function is gone: do not touch it
  uint32_t req_expected = 0;
  double req_timeout = 0;
  uint64_t req_seq = 0;

  // JS thread only
  std::thread thread;
  Tsfn tsfn;
  bool thread_started = false;
  bool tsfn_refed = false;
  NativeWaiter* owner = nullptr;  // cleared when the owner closes or is collected

  // The wait thread. Holds its own reference to the Core, so a thread that
  // had to be detached (see Stop) never touches freed memory.
  static void Run(std::shared_ptr<Core> self) {
    Core* c = self.get();
    std::unique_lock<std::mutex> lock(c->mu);
    for (;;) {
      c->cv.wait(lock, [c] { return c->stopping || c->has_request; });
      if (c->stopping) break;
      c->has_request = false;
      c->in_wait = true;
      uint32_t expected = c->req_expected;
      double timeout = c->req_timeout;
      uint64_t seq = c->req_seq;
      lock.unlock();
      SysError err;
      WaitResult r = c->word->Wait(expected, timeout, true, &err);
      lock.lock();
      c->in_wait = false;
      c->cv.notify_all();
      if (c->stopping) break;  // close() has already settled the promise
      c->tsfn.NonBlockingCall(new Outcome{seq, r, err});
    }
    // Released under `mu`: a finalizer that gave up on this thread (see the
    // thread-safe function's finalizer) sets `finalized` under `mu` too, and
    // then the function may already be freed.
    if (!c->finalized) c->tsfn.Release();
  }

  // Asks the thread to stop and interrupts its wait. Returns true once the
  // thread is no longer inside Wait() (it then exits promptly). Safe to call
  // from a finalizer: it calls no JavaScript.
  bool Stop() {
    std::unique_lock<std::mutex> lock(mu);
    stopping = true;
    cv.notify_all();
    // On Linux the interrupt is a FUTEX_WAKE, which is lost if it comes
    // between the thread's check of `stopping` and its futex wait; repeat it
    // until the thread reports that it left Wait(). Normally one round.
    for (int i = 0; in_wait && i < 2000; ++i) {
      word->Interrupt();
      cv.wait_for(lock, std::chrono::milliseconds(1));
    }
    return !in_wait;
  }

  void SetTsfnRef(Napi::Env env, bool want) {
    if (!thread_started || want == tsfn_refed) return;
    if (want) {
      tsfn.Ref(env);
    } else {
      tsfn.Unref(env);
    }
    tsfn_refed = want;
  }
};

class NativeWaiter : public Napi::ObjectWrap<NativeWaiter> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeWaiter",
                       {
                           InstanceMethod<&NativeWaiter::Wait>("wait"),
                           InstanceMethod<&NativeWaiter::WaitSync>("waitSync"),
                           InstanceMethod<&NativeWaiter::Wake>("wake"),
                           InstanceMethod<&NativeWaiter::Load>("load"),
                           InstanceMethod<&NativeWaiter::Close>("close"),
                           InstanceMethod<&NativeWaiter::JsRef>("ref"),
                           InstanceMethod<&NativeWaiter::JsUnref>("unref"),
                       });
  }

  // new NativeWaiter(buffer: ArrayBuffer, byteOffset: number, name: string)
  explicit NativeWaiter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeWaiter>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsArrayBuffer()) {
      throw MakeError(env, "EINVAL", "buffer must be an ArrayBuffer");
    }
    if (!info[1].IsNumber()) throw MakeError(env, "EINVAL", "byteOffset must be a number");
    if (!info[2].IsString()) throw MakeError(env, "EINVAL", "name must be a string");
    Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
    double offset = info[1].As<Napi::Number>().DoubleValue();
    size_t length = buffer.ByteLength();
    if (!(offset >= 0) || std::floor(offset) != offset || offset + 4 > static_cast<double>(length)) {
      throw MakeError(env, "EINVAL", "byteOffset is not inside the buffer");
    }
    auto* base = static_cast<uint8_t*>(buffer.Data());
    if (base == nullptr) throw MakeError(env, "EINVAL", "buffer has no memory (detached?)");
    auto* addr = base + static_cast<size_t>(offset);
    if (reinterpret_cast<uintptr_t>(addr) % 4 != 0) {
      throw MakeError(env, "EINVAL", "the word's address is not 4-byte aligned");
    }
    std::string name = info[2].As<Napi::String>().Utf8Value();
    if (name.empty() || name.find('\\') != std::string::npos || name.find('\0') != std::string::npos) {
      throw MakeError(env, "EINVAL", "name must be non-empty, without backslash or NUL");
    }
    SysError err;
    WaitWord* word = WaitWord::Open(reinterpret_cast<uint32_t*>(addr), name, &err);
    if (word == nullptr) throw MakeSysError(env, err);
    core_ = std::make_shared<Core>();
    core_->word.reset(word);
    core_->owner = this;
    // Keep the ArrayBuffer alive: if its memory belongs to V8 (not an
    // external mapping), collecting it would free the word under the thread.
    buffer_ = Napi::Persistent(buffer);
  }

  ~NativeWaiter() override {
    // Collected without close(): no wait can be pending (a pending wait holds
    // a strong reference to this object), so just stop the thread.
    if (core_) {
      core_->owner = nullptr;
      if (core_->thread_started) core_->Stop();
    }
  }

  void Deliver(Napi::Env env, Outcome* o) {
    if (!pending_ || o->seq != seq_) return;  // settled by close() already
    std::unique_ptr<Napi::Promise::Deferred> deferred = std::move(pending_);
    Settle(env);
    if (o->result == WaitResult::Failed) {
      deferred->Reject(MakeSysError(env, o->err).Value());
    } else {
      deferred->Resolve(Napi::String::New(env, ResultName(o->result)));
    }
  }

 private:
  void ThrowIfClosed(Napi::Env env) {
    if (closed_) throw MakeError(env, "ECLOSED", "the waiter is closed");
    // The word's memory was handed back (detach() before an unmap): touching
    // it now could fault, so the waiter behaves as closed.
    bool detached = false;
    if (napi_is_detached_arraybuffer(env, buffer_.Value(), &detached) == napi_ok && detached) {
      throw MakeError(env, "ECLOSED", "the memory holding the word was detached (unmapped)");
    }
  }

  static uint32_t ArgWord(const Napi::CallbackInfo& info, size_t i) {
    if (info.Length() <= i || !info[i].IsNumber()) {
      throw MakeError(info.Env(), "EINVAL", "expected must be a number");
    }
    double v = info[i].As<Napi::Number>().DoubleValue();
    if (std::floor(v) != v || v < -2147483648.0 || v > 4294967295.0) {
      throw MakeError(info.Env(), "EINVAL", "expected must be a 32-bit integer");
    }
    return static_cast<uint32_t>(static_cast<int64_t>(v));
  }

  // Milliseconds; Infinity (or undefined) for no limit.
  static double ArgTimeout(const Napi::CallbackInfo& info, size_t i) {
    if (info.Length() <= i || info[i].IsUndefined()) return INFINITY;
    if (!info[i].IsNumber()) throw MakeError(info.Env(), "EINVAL", "timeoutMs must be a number");
    double t = info[i].As<Napi::Number>().DoubleValue();
    if (std::isnan(t) || t < 0) throw MakeError(info.Env(), "EINVAL", "timeoutMs must be >= 0 or Infinity");
    return t;
  }

  void Settle(Napi::Env env) {
    core_->SetTsfnRef(env, false);
    if (self_refed_) {
      Napi::ObjectWrap<NativeWaiter>::Unref();
      self_refed_ = false;
    }
  }

  Napi::Value Wait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ThrowIfClosed(env);
    uint32_t expected = ArgWord(info, 0);
    double timeout = ArgTimeout(info, 1);
    if (pending_) throw MakeError(env, "EBUSY", "this waiter already has a pending wait()");
    if (!core_->thread_started) StartThread(env);
    auto deferred = std::make_unique<Napi::Promise::Deferred>(env);
    Napi::Promise promise = deferred->Promise();
    pending_ = std::move(deferred);
    ++seq_;
    // While a wait is pending this object must survive even if the caller
    // drops it, and (unless unref()'d) the process must stay alive for it.
    Napi::ObjectWrap<NativeWaiter>::Ref();
    self_refed_ = true;
    core_->SetTsfnRef(env, refed_);
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->req_expected = expected;
      core_->req_timeout = timeout;
      core_->req_seq = seq_;
      core_->has_request = true;
    }
    core_->cv.notify_all();
    return promise;
  }

  Napi::Value WaitSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ThrowIfClosed(env);
    uint32_t expected = ArgWord(info, 0);
    double timeout = ArgTimeout(info, 1);
    SysError err;
    WaitResult r = core_->word->Wait(expected, timeout, false, &err);
    if (r == WaitResult::Failed) throw MakeSysError(env, err);
    return Napi::String::New(env, ResultName(r));
  }

  Napi::Value Wake(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ThrowIfClosed(env);
    uint32_t count = 1;
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      if (!info[0].IsNumber()) throw MakeError(env, "EINVAL", "count must be a number");
      double c = info[0].As<Napi::Number>().DoubleValue();
      if (std::isnan(c) || c < 1 || (std::isfinite(c) && std::floor(c) != c)) {
        throw MakeError(env, "EINVAL", "count must be a positive integer or Infinity");
      }
      count = c >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<uint32_t>(c);
    }
    SysError err;
    if (!core_->word->Wake(count, &err)) throw MakeSysError(env, err);
    return env.Undefined();
  }

  // The word's current value (an atomic load), for tests and diagnostics.
  Napi::Value Load(const Napi::CallbackInfo& info) {
    ThrowIfClosed(info.Env());
    return Napi::Number::New(info.Env(), core_->word->Load());
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return env.Undefined();
    closed_ = true;
    core_->owner = nullptr;
    if (pending_) {
      std::unique_ptr<Napi::Promise::Deferred> deferred = std::move(pending_);
      Settle(env);
      deferred->Resolve(Napi::String::New(env, "closed"));
    }
    if (core_->thread_started) {
      // The thread releases the thread-safe function on its way out; the
      // finalizer joins it and frees the OS handles.
      core_->Stop();
    }
    core_.reset();
    buffer_.Reset();
    return env.Undefined();
  }

  Napi::Value JsRef(const Napi::CallbackInfo& info) {
    refed_ = true;
    if (!closed_ && pending_) core_->SetTsfnRef(info.Env(), true);
    return info.This();
  }

  Napi::Value JsUnref(const Napi::CallbackInfo& info) {
    refed_ = false;
    if (!closed_ && pending_) core_->SetTsfnRef(info.Env(), false);
    return info.This();
  }

  // The thread first, then the thread-safe function it delivers through:
  // when the OS has no thread to give (EAGAIN at RLIMIT_NPROC or a cgroup's
  // pids.max) nothing is left to undo, the wait fails with a coded error
  // (ETHREAD) instead of std::terminate, and a later wait may try again.
  void StartThread(Napi::Env env) {
    try {
      core_->thread = std::thread(Core::Run, core_);
    } catch (const std::system_error& e) {
      Napi::Error err = MakeError(env, "ETHREAD", std::string("cannot start a thread for the wait: ") + e.what());
      err.Set("threadErrno", Napi::Number::New(env, e.code().value()));
      err.Set("syscall", Napi::String::New(env, "pthread_create"));
      throw err;
    }
    auto* holder = new std::shared_ptr<Core>(core_);
    try {
      core_->tsfn = Tsfn::New(env, "ipckit.NativeWaiter", 0, 1, core_.get(),
                              [](Napi::Env, std::shared_ptr<Core>* h, Core* c) {
                                // Runs on the JS thread once the wait thread
                                // released the function, or at environment
                                // teardown (then the thread may still run).
                                bool stopped = c->Stop();
                                {
                                  std::lock_guard<std::mutex> lock(c->mu);
                                  c->finalized = true;
                                }
                                if (stopped) {
                                  c->thread.join();
                                } else {
                                  // Stuck in the kernel (the word was unmapped
                                  // before close()?): let it go; it holds its own
                                  // reference to the Core and will not touch the
                                  // thread-safe function.
                                  c->thread.detach();
                                }
                                delete h;
                              },
                              holder);
    } catch (...) {
      delete holder;
      {
        std::lock_guard<std::mutex> lock(core_->mu);
        core_->stopping = true;
        core_->finalized = true;  // no function to release
      }
      core_->cv.notify_all();
      core_->thread.join();
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->stopping = false;  // as before: a later call may try again
      core_->finalized = false;
      throw;
    }
    core_->thread_started = true;
    core_->tsfn_refed = true;
    core_->SetTsfnRef(env, false);
  }

  std::shared_ptr<Core> core_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  std::unique_ptr<Napi::Promise::Deferred> pending_;
  uint64_t seq_ = 0;
  bool closed_ = false;
  bool refed_ = true;
  bool self_refed_ = false;
};

void DeliverOutcome(Napi::Env env, Napi::Function, Core* core, Outcome* outcome) {
  std::unique_ptr<Outcome> o(outcome);
  // env is null when the queue is drained at teardown; the owner is null
  // after close() or collection. Either way nobody waits for this result.
  if (env == nullptr || core->owner == nullptr) return;
  // A result can arrive while the environment is being torn down (e.g. a
  // spurious futex wake at exit): then resolving fails with a pending or
  // "cannot run JS" status, which node-addon-api throws. An exception must
  // not leave this callback (std::terminate), and nobody can observe the
  // promise any more, so the result is dropped.
  try {
    core->owner->Deliver(env, o.get());
  } catch (const Napi::Error&) {
  }
}

// detach(buffer: ArrayBuffer): boolean. Detaches the buffer (napi_detach_arraybuffer,
// Node-API 7): its byteLength becomes 0 and every typed array over it reads as
// empty, so memory about to be unmapped can no longer be reached from
// JavaScript. True when the buffer is detached afterwards (also when it already
// was); false when this buffer cannot be detached (V8 refuses, e.g. a
// WebAssembly memory or a buffer made non-detachable).
// https://nodejs.org/api/n-api.html#napi_detach_arraybuffer
Napi::Value Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw MakeError(env, "EINVAL", "buffer must be an ArrayBuffer");
  napi_value buffer = info[0];
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok) throw Napi::Error::New(env);
  if (detached) return Napi::Boolean::New(env, true);
  napi_status status = napi_detach_arraybuffer(env, buffer);
  if (status == napi_detachable_arraybuffer_expected) {
    // Not an exception: the caller falls back to another way of retiring the memory.
    return Napi::Boolean::New(env, false);
  }
  if (status != napi_ok) throw Napi::Error::New(env);
  if (napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok) throw Napi::Error::New(env);
  return Napi::Boolean::New(env, detached);
}

// isDetached(buffer: ArrayBuffer): boolean
Napi::Value IsDetached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw MakeError(env, "EINVAL", "buffer must be an ArrayBuffer");
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, info[0], &detached) != napi_ok) throw Napi::Error::New(env);
  return Napi::Boolean::New(env, detached);
}

// sync_thread.cc
Napi::Function DefineNativeSyncThread(Napi::Env env);
void DefineMutexFunctions(Napi::Env env, Napi::Object exports);

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeWaiter", NativeWaiter::Define(env));
  exports.Set("NativeSyncThread", DefineNativeSyncThread(env));
  DefineMutexFunctions(env, exports);
  exports.Set("detach", Napi::Function::New<Detach>(env, "detach"));
  exports.Set("isDetached", Napi::Function::New<IsDetached>(env, "isDetached"));
  exports.Set("primitive", Napi::String::New(env, WaitWord::Primitive()));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return exports;
}

}  // namespace ipckit

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return ipckit::Init(env, exports); }
}  // namespace

NODE_API_MODULE(ipckit_native, InitModule)
