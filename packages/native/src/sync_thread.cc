// NativeSyncThread: one thread that runs the blocking waits of one
// @ipckit/sync object (blocking_ops.h), so they never block the event loop
// or the libuv threadpool. An asynchronous operation resolves a promise
// through a thread-safe function (the event loop); a synchronous one blocks
// the calling JavaScript thread until the thread has run it (for worker
// threads). One operation at a time; the JavaScript side queues the rest.
//
// On Windows a mutex belongs to the thread that acquired it, so a Mutex
// object does its waits AND its ReleaseMutex on its own NativeSyncThread:
// the object, not the calling thread, owns the mutex.
#include <napi.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "blocking_ops.h"

namespace ipckit {

namespace {

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// No thread could be started (std::thread throws std::system_error, EAGAIN when
// the process or user is at its thread limit): code ETHREAD, with the error
// number, which the JavaScript wrapper turns into IpcError ENOMEM.
Napi::Error ThreadError(Napi::Env env, const std::system_error& e) {
  Napi::Error err = Napi::Error::New(env, std::string("cannot start a thread for the wait: ") + e.what());
  err.Set("code", Napi::String::New(env, "ETHREAD"));
  err.Set("threadErrno", Napi::Number::New(env, e.code().value()));
  err.Set("syscall", Napi::String::New(env, "pthread_create"));
  return err;
}

// A failed OS call: the JavaScript wrapper names `errno` and adds the portable code.
Napi::Error OsError(Napi::Env env, const SysError& err) {
  std::string syscall = err.syscall != nullptr ? err.syscall : "unknown";
  Napi::Error e = Napi::Error::New(env, syscall + " failed with OS error " + std::to_string(err.code));
  e.Set("errno", Napi::Number::New(env, err.code));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

const char* ResultName(OpResult r) {
  switch (r) {
    case OpResult::Done:
      return "done";
    case OpResult::Abandoned:
      return "abandoned";
    case OpResult::NotEqual:
      return "not-equal";
    case OpResult::TimedOut:
      return "timed-out";
    case OpResult::Cancelled:
      return "cancelled";
    case OpResult::Failed:
      break;
  }
  return "failed";
}

// { result, index } for JavaScript, or throws the OS error.
Napi::Value OutcomeValue(Napi::Env env, const OpOutcome& out) {
  if (out.result == OpResult::Failed) throw OsError(env, out.err);
  Napi::Object o = Napi::Object::New(env);
  o.Set("result", Napi::String::New(env, ResultName(out.result)));
  o.Set("index", Napi::Number::New(env, out.index));
  return o;
}

double ArgTimeout(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return INFINITY;
  if (!info[i].IsNumber()) throw CodedError(info.Env(), "EINVAL", "timeoutMs must be a number");
  double t = info[i].As<Napi::Number>().DoubleValue();
  if (std::isnan(t) || t < 0) throw CodedError(info.Env(), "EINVAL", "timeoutMs must be >= 0 or Infinity");
  return t;
}

void* ArgPointer(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsBigInt()) throw CodedError(info.Env(), "EINVAL", std::string(what) + " must be a bigint");
  bool lossless = true;
  uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless || v == 0) throw CodedError(info.Env(), "EINVAL", std::string(what) + " is not a valid pointer or handle");
  return reinterpret_cast<void*>(static_cast<uintptr_t>(v));
}

}  // namespace

struct SyncCore;
struct SyncDelivery {
  uint64_t seq;
  OpOutcome outcome;
};
void DeliverSync(Napi::Env env, Napi::Function, SyncCore* core, SyncDelivery* d);
using SyncTsfn = Napi::TypedThreadSafeFunction<SyncCore, SyncDelivery, DeliverSync>;

class NativeSyncThread;

// Shared by the JavaScript object and its thread. Fields under "thread side"
// are guarded by `mu`; the rest are touched on the JavaScript thread only.
struct SyncCore {
  std::unique_ptr<Canceller> cancel;

  // thread side
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool has_job = false;
  bool in_job = false;
  bool finalized = false;
  bool job_async = false;
  uint64_t job_seq = 0;
  std::function<OpOutcome()> job;
  bool sync_done = false;
  OpOutcome sync_result;

  // JavaScript thread only
  std::thread thread;
  SyncTsfn tsfn;
  bool tsfn_refed = false;
  NativeSyncThread* owner = nullptr;

  static void Run(std::shared_ptr<SyncCore> self) {
    SyncCore* c = self.get();
    std::unique_lock<std::mutex> lock(c->mu);
    for (;;) {
      c->cv.wait(lock, [c] { return c->stopping || c->has_job; });
      if (c->stopping) break;
      c->has_job = false;
      c->in_job = true;
      std::function<OpOutcome()> job = std::move(c->job);
      bool async = c->job_async;
      uint64_t seq = c->job_seq;
      lock.unlock();
      OpOutcome out = job();
      lock.lock();
      c->in_job = false;
      if (async) {
        if (!c->stopping) c->tsfn.NonBlockingCall(new SyncDelivery{seq, out});
      } else {
        c->sync_result = out;
        c->sync_done = true;
      }
      c->cv.notify_all();
      if (c->stopping) break;
    }
    if (!c->finalized) c->tsfn.Release();
  }

  // Asks the thread to stop, cancelling a wait in progress; true once it has
  // left the operation (it then exits promptly). Calls no JavaScript.
  bool Stop() {
    std::unique_lock<std::mutex> lock(mu);
    stopping = true;
    cv.notify_all();
    for (int i = 0; in_job && i < 2000; ++i) {
      cancel->Cancel();
      cv.wait_for(lock, std::chrono::milliseconds(5));
    }
    return !in_job;
  }
};

class NativeSyncThread : public Napi::ObjectWrap<NativeSyncThread> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSyncThread",
                       {
                           InstanceMethod<&NativeSyncThread::WaitHandles>("waitHandles"),
                           InstanceMethod<&NativeSyncThread::WaitHandlesSync>("waitHandlesSync"),
                           InstanceMethod<&NativeSyncThread::ReleaseMutex>("releaseMutex"),
                           InstanceMethod<&NativeSyncThread::SemWait>("semWait"),
                           InstanceMethod<&NativeSyncThread::SemWaitSync>("semWaitSync"),
                           InstanceMethod<&NativeSyncThread::WaitWords>("waitWords"),
                           InstanceMethod<&NativeSyncThread::WaitWordsSync>("waitWordsSync"),
                           InstanceMethod<&NativeSyncThread::WakeWord>("wakeWord"),
                           InstanceMethod<&NativeSyncThread::Cancel>("cancel"),
                           InstanceMethod<&NativeSyncThread::Close>("close"),
                           InstanceMethod<&NativeSyncThread::JsRef>("ref"),
                           InstanceMethod<&NativeSyncThread::JsUnref>("unref"),
                       });
  }

  explicit NativeSyncThread(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSyncThread>(info) {
    SysError err;
    Canceller* cancel = Canceller::Create(&err);
    if (cancel == nullptr) throw OsError(info.Env(), err);
    core_ = std::make_shared<SyncCore>();
    core_->cancel.reset(cancel);
    core_->owner = this;
  }

  ~NativeSyncThread() override {
    if (core_) {
      core_->owner = nullptr;
      if (started_) core_->Stop();
    }
  }

  void Deliver(Napi::Env env, SyncDelivery* d) {
    if (!pending_ || d->seq != seq_) return;  // settled by close() already
    std::unique_ptr<Napi::Promise::Deferred> deferred = std::move(pending_);
    Settle(env);
    words_.clear();
    if (d->outcome.result == OpResult::Failed) {
      deferred->Reject(OsError(env, d->outcome.err).Value());
    } else {
      deferred->Resolve(OutcomeValue(env, d->outcome));
    }
  }

 private:
  void ThrowIfUnusable(Napi::Env env) {
    if (closed_) throw CodedError(env, "ECLOSED", "the sync thread is closed");
    if (pending_) throw CodedError(env, "EBUSY", "an operation is already pending on this thread");
  }

  void Settle(Napi::Env env) {
    SetTsfnRef(env, false);
    if (self_refed_) {
      Napi::ObjectWrap<NativeSyncThread>::Unref();
      self_refed_ = false;
    }
  }

  void SetTsfnRef(Napi::Env env, bool want) {
    if (!started_ || want == core_->tsfn_refed) return;
    if (want) {
      core_->tsfn.Ref(env);
    } else {
      core_->tsfn.Unref(env);
    }
    core_->tsfn_refed = want;
  }

  // Starts the thread, then the thread-safe function it delivers through.
  // The thread comes first: when the OS has no thread to give (EAGAIN under
  // RLIMIT_NPROC or a cgroup's pids.max), nothing is left to undo and the
  // caller gets a coded error (ETHREAD) instead of std::terminate; a later
  // call may try again.
  void Start(Napi::Env env) {
    if (started_) return;
    try {
      core_->thread = std::thread(SyncCore::Run, core_);
    } catch (const std::system_error& e) {
      throw ThreadError(env, e);
    }
    auto* holder = new std::shared_ptr<SyncCore>(core_);
    try {
      core_->tsfn = SyncTsfn::New(env, "ipckit.NativeSyncThread", 0, 1, core_.get(),
                                  [](Napi::Env, std::shared_ptr<SyncCore>* h, SyncCore* c) {
                                    // Runs once the thread released the function, or at
                                    // environment teardown (then the thread may still run).
                                    bool stopped = c->Stop();
                                    {
                                      std::lock_guard<std::mutex> lock(c->mu);
                                      c->finalized = true;
                                    }
                                    if (stopped) {
                                      c->thread.join();
                                    } else {
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
    started_ = true;
    core_->tsfn_refed = true;
    SetTsfnRef(env, false);
  }

  Napi::Value Submit(Napi::Env env, std::function<OpOutcome()> job) {
    Start(env);
    auto deferred = std::make_unique<Napi::Promise::Deferred>(env);
    Napi::Promise promise = deferred->Promise();
    pending_ = std::move(deferred);
    ++seq_;
    Napi::ObjectWrap<NativeSyncThread>::Ref();
    self_refed_ = true;
    SetTsfnRef(env, refed_);
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->cancel->Reset();
      core_->job = std::move(job);
      core_->job_async = true;
      core_->job_seq = seq_;
      core_->has_job = true;
    }
    core_->cv.notify_all();
    return promise;
  }

  OpOutcome RunSync(Napi::Env env, std::function<OpOutcome()> job) {
    Start(env);
    std::unique_lock<std::mutex> lock(core_->mu);
    core_->cancel->Reset();
    core_->job = std::move(job);
    core_->job_async = false;
    core_->sync_done = false;
    core_->has_job = true;
    core_->cv.notify_all();
    core_->cv.wait(lock, [this] { return core_->sync_done || core_->stopping; });
    return core_->sync_result;
  }

  // handles: bigint[] (Windows HANDLEs), timeoutMs
  std::vector<void*> ArgHandles(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsArray()) throw CodedError(info.Env(), "EINVAL", "handles must be an array of bigints");
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<void*> handles;
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value v = a.Get(i);
      if (!v.IsBigInt()) throw CodedError(info.Env(), "EINVAL", "handles must be an array of bigints");
      bool lossless = true;
      uint64_t h = v.As<Napi::BigInt>().Uint64Value(&lossless);
      if (!lossless || h == 0) throw CodedError(info.Env(), "EINVAL", "a handle is not valid");
      handles.push_back(reinterpret_cast<void*>(static_cast<uintptr_t>(h)));
    }
    if (handles.empty() || handles.size() > 63) throw CodedError(info.Env(), "EINVAL", "from 1 to 63 handles");
    return handles;
  }

  Napi::Value WaitHandles(const Napi::CallbackInfo& info) {
    ThrowIfUnusable(info.Env());
    std::vector<void*> handles = ArgHandles(info);
    double timeout = ArgTimeout(info, 1);
    Canceller* cancel = core_->cancel.get();
    return Submit(info.Env(), [handles, timeout, cancel] { return ipckit::WaitHandles(handles.data(), static_cast<int>(handles.size()), timeout, cancel); });
  }

  Napi::Value WaitHandlesSync(const Napi::CallbackInfo& info) {
    ThrowIfUnusable(info.Env());
    std::vector<void*> handles = ArgHandles(info);
    double timeout = ArgTimeout(info, 1);
    Canceller* cancel = core_->cancel.get();
    return OutcomeValue(info.Env(), RunSync(info.Env(), [handles, timeout, cancel] {
      return ipckit::WaitHandles(handles.data(), static_cast<int>(handles.size()), timeout, cancel);
    }));
  }

  // releaseMutex(handle: bigint): runs ReleaseMutex on this thread, which acquired it.
  Napi::Value ReleaseMutex(const Napi::CallbackInfo& info) {
    ThrowIfUnusable(info.Env());
    void* handle = ArgPointer(info, 0, "handle");
    OpOutcome out = RunSync(info.Env(), [handle] {
      OpOutcome o;
      if (ReleaseMutexHandle(handle, &o.err)) o.result = OpResult::Done;
      return o;
    });
    if (out.result == OpResult::Failed) throw OsError(info.Env(), out.err);
    return info.Env().Undefined();
  }

  Napi::Value SemWait(const Napi::CallbackInfo& info) {
    ThrowIfUnusable(info.Env());
    void* sem = ArgPointer(info, 0, "semaphore address");
    double timeout = ArgTimeout(info, 1);
    Canceller* cancel = core_->cancel.get();
    return Submit(info.Env(), [sem, timeout, cancel] { return ipckit::SemWait(sem, timeout, cancel); });
  }

  Napi::Value SemWaitSync(const Napi::CallbackInfo& info) {
    ThrowIfUnusable(info.Env());
    void* sem = ArgPointer(info, 0, "semaphore address");
    double timeout = ArgTimeout(info, 1);
    Canceller* cancel = core_->cancel.get();
    return OutcomeValue(info.Env(), RunSync(info.Env(), [sem, timeout, cancel] { return ipckit::SemWait(sem, timeout, cancel); }));
  }

  // (buffers: ArrayBuffer[], offsets: number[], expected: number[]) → the words, kept
  // alive (words_) while a wait on them is pending.
  void ArgWords(const Napi::CallbackInfo& info, std::vector<uint32_t*>* words, std::vector<uint32_t>* expected) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsArray() || !info[2].IsArray()) {
      throw CodedError(env, "EINVAL", "waitWords(buffers, offsets, expected, timeoutMs)");
    }
    Napi::Array buffers = info[0].As<Napi::Array>();
    Napi::Array offsets = info[1].As<Napi::Array>();
    Napi::Array values = info[2].As<Napi::Array>();
    uint32_t n = buffers.Length();
    if (n < 1 || n > 128 || offsets.Length() != n || values.Length() != n) throw CodedError(env, "EINVAL", "from 1 to 128 words, each with an offset and an expected value");
    words_.clear();
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value b = buffers.Get(i);
      Napi::Value o = offsets.Get(i);
      Napi::Value e = values.Get(i);
      if (!b.IsArrayBuffer() || !o.IsNumber() || !e.IsNumber()) throw CodedError(env, "EINVAL", "bad word description");
      Napi::ArrayBuffer buffer = b.As<Napi::ArrayBuffer>();
      double off = o.As<Napi::Number>().DoubleValue();
      if (!(off >= 0) || std::floor(off) != off || off + 4 > static_cast<double>(buffer.ByteLength())) throw CodedError(env, "EINVAL", "a word's offset is not inside its buffer");
      auto* base = static_cast<uint8_t*>(buffer.Data());
      if (base == nullptr) throw CodedError(env, "ECLOSED", "a word's memory was detached (unmapped)");
      auto* addr = base + static_cast<size_t>(off);
      if (reinterpret_cast<uintptr_t>(addr) % 4 != 0) throw CodedError(env, "EINVAL", "a word's address is not 4-byte aligned");
      double v = e.As<Napi::Number>().DoubleValue();
      words->push_back(reinterpret_cast<uint32_t*>(addr));
      expected->push_back(static_cast<uint32_t>(static_cast<int64_t>(v)));
      words_.push_back(Napi::Persistent(buffer));
    }
  }

  Napi::Value WaitWords(const Napi::CallbackInfo& info) {
    ThrowIfUnusable(info.Env());
    std::vector<uint32_t*> words;
    std::vector<uint32_t> expected;
    ArgWords(info, &words, &expected);
    double timeout = ArgTimeout(info, 3);
    Canceller* cancel = core_->cancel.get();
    return Submit(info.Env(), [words, expected, timeout, cancel] {
      return ipckit::WaitWords(words.data(), expected.data(), static_cast<int>(words.size()), timeout, cancel);
    });
  }

  Napi::Value WaitWordsSync(const Napi::CallbackInfo& info) {
    ThrowIfUnusable(info.Env());
    std::vector<uint32_t*> words;
    std::vector<uint32_t> expected;
    ArgWords(info, &words, &expected);
    double timeout = ArgTimeout(info, 3);
    Canceller* cancel = core_->cancel.get();
    OpOutcome out = RunSync(info.Env(), [words, expected, timeout, cancel] {
      return ipckit::WaitWords(words.data(), expected.data(), static_cast<int>(words.size()), timeout, cancel);
    });
    words_.clear();
    return OutcomeValue(info.Env(), out);
  }

  // wakeWord(buffer, offset, count): FUTEX_WAKE, on the calling thread (it never blocks).
  Napi::Value WakeWord(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsArrayBuffer() || !info[1].IsNumber() || !info[2].IsNumber()) throw CodedError(env, "EINVAL", "wakeWord(buffer, offset, count)");
    Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
    double off = info[1].As<Napi::Number>().DoubleValue();
    if (!(off >= 0) || std::floor(off) != off || off + 4 > static_cast<double>(buffer.ByteLength())) throw CodedError(env, "EINVAL", "the word's offset is not inside its buffer");
    auto* base = static_cast<uint8_t*>(buffer.Data());
    if (base == nullptr) throw CodedError(env, "ECLOSED", "the word's memory was detached (unmapped)");
    auto* addr = base + static_cast<size_t>(off);
    if (reinterpret_cast<uintptr_t>(addr) % 4 != 0) throw CodedError(env, "EINVAL", "the word's address is not 4-byte aligned");
    double count = info[2].As<Napi::Number>().DoubleValue();
    SysError err;
    if (!ipckit::WakeWord(reinterpret_cast<uint32_t*>(addr), count >= 2147483647.0 || !(count >= 1) ? 0 : static_cast<int>(count), &err)) throw OsError(env, err);
    return env.Undefined();
  }

  // Ends a pending asynchronous wait early: it resolves { result: 'cancelled' }.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (!closed_ && pending_) core_->cancel->Cancel();
    return info.Env().Undefined();
  }

  // Cancels a pending wait (resolving it 'cancelled'), waits for the thread
  // to leave it, and stops the thread. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return env.Undefined();
    closed_ = true;
    core_->owner = nullptr;
    if (pending_) {
      std::unique_ptr<Napi::Promise::Deferred> deferred = std::move(pending_);
      Settle(env);
      OpOutcome cancelled;
      cancelled.result = OpResult::Cancelled;
      deferred->Resolve(OutcomeValue(env, cancelled));
    }
    if (started_) core_->Stop();
    core_.reset();
    words_.clear();
    return env.Undefined();
  }

  Napi::Value JsRef(const Napi::CallbackInfo& info) {
    refed_ = true;
    if (!closed_ && pending_) SetTsfnRef(info.Env(), true);
    return info.This();
  }

  Napi::Value JsUnref(const Napi::CallbackInfo& info) {
    refed_ = false;
    if (!closed_ && pending_) SetTsfnRef(info.Env(), false);
    return info.This();
  }

  std::shared_ptr<SyncCore> core_;
  std::unique_ptr<Napi::Promise::Deferred> pending_;
  std::vector<Napi::Reference<Napi::ArrayBuffer>> words_;
  uint64_t seq_ = 0;
  bool started_ = false;
  bool closed_ = false;
  bool refed_ = true;
  bool self_refed_ = false;
};

void DeliverSync(Napi::Env env, Napi::Function, SyncCore* core, SyncDelivery* d) {
  std::unique_ptr<SyncDelivery> owned(d);
  if (env == nullptr || core->owner == nullptr) return;
  // As in addon.cc: an exception must not leave this callback (std::terminate)
  // when a result arrives during environment teardown.
  try {
    core->owner->Deliver(env, owned.get());
  } catch (const Napi::Error&) {
  }
}

namespace {

// The address `offset` bytes into `buffer`, checked: inside it, aligned to 8,
// with `size` bytes available, and the buffer not detached.
void* MemoryAt(const Napi::CallbackInfo& info, size_t size) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArrayBuffer() || !info[1].IsNumber()) throw CodedError(env, "EINVAL", "expected (buffer: ArrayBuffer, byteOffset: number)");
  Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
  double off = info[1].As<Napi::Number>().DoubleValue();
  if (!(off >= 0) || std::floor(off) != off || off + static_cast<double>(size) > static_cast<double>(buffer.ByteLength())) {
    throw CodedError(env, "EINVAL", "the object does not fit inside the buffer at that offset");
  }
  auto* base = static_cast<uint8_t*>(buffer.Data());
  if (base == nullptr) throw CodedError(env, "ECLOSED", "the memory was detached (unmapped)");
  auto* addr = base + static_cast<size_t>(off);
  if (reinterpret_cast<uintptr_t>(addr) % 8 != 0) throw CodedError(env, "EINVAL", "the object's address is not 8-byte aligned");
  return addr;
}

const char* LockName(LockState s) {
  switch (s) {
    case LockState::Acquired:
      return "acquired";
    case LockState::Abandoned:
      return "abandoned";
    case LockState::Busy:
      return "busy";
    case LockState::TimedOut:
      return "timed-out";
    case LockState::Failed:
      break;
  }
  return "failed";
}

Napi::Value LockValue(Napi::Env env, LockState state, const SysError& err) {
  if (state == LockState::Failed) throw OsError(env, err);
  return Napi::String::New(env, LockName(state));
}

void RequireMutexSupport(Napi::Env env) {
  if (MutexSize() == 0) {
    SysError err;
    MutexInit(nullptr, &err);
    throw OsError(env, err);
  }
}

// The mutex at `m`, refused (EINVAL) unless its type word is the one ipckit
// writes: glibc asserts (aborting the process) on some foreign kinds.
void* CheckedMutex(const Napi::CallbackInfo& info) {
  RequireMutexSupport(info.Env());
  void* m = MemoryAt(info, MutexSize());
  int found = 0;
  int expected = 0;
  if (!MutexTypeMatches(m, &found, &expected)) {
    throw CodedError(info.Env(), "EINVAL",
                     "these bytes are not a mutex ipckit made: its type word is " + std::to_string(found) + ", a process-shared robust mutex's is " +
                         std::to_string(expected) + " (refused before glibc sees it)");
  }
  return m;
}

// mutexInit(buffer, offset): a process-shared, robust, non-recursive pthread mutex, in place.
Napi::Value JsMutexInit(const Napi::CallbackInfo& info) {
  RequireMutexSupport(info.Env());
  void* m = MemoryAt(info, MutexSize());
  SysError err;
  if (!MutexInit(m, &err)) throw OsError(info.Env(), err);
  return info.Env().Undefined();
}

// mutexTryLock(buffer, offset) → 'acquired' | 'abandoned' | 'busy'
Napi::Value JsMutexTryLock(const Napi::CallbackInfo& info) {
  void* m = CheckedMutex(info);
  SysError err;
  return LockValue(info.Env(), MutexTryLock(m, &err), err);
}

// mutexLock(buffer, offset, timeoutMs) → 'acquired' | 'abandoned' | 'timed-out'; blocks the calling thread.
Napi::Value JsMutexLock(const Napi::CallbackInfo& info) {
  void* m = CheckedMutex(info);
  double timeout = ArgTimeout(info, 2);
  SysError err;
  return LockValue(info.Env(), MutexLock(m, timeout, &err), err);
}

// mutexUnlock(buffer, offset); fails with EPERM when the calling thread does not hold it.
Napi::Value JsMutexUnlock(const Napi::CallbackInfo& info) {
  void* m = CheckedMutex(info);
  SysError err;
  if (!MutexUnlock(m, &err)) throw OsError(info.Env(), err);
  return info.Env().Undefined();
}

// semPost(address: bigint, count): adds `count` to the sem_open semaphore at
// `address` in one step, all or nothing (EOVERFLOW past SEM_VALUE_MAX).
Napi::Value JsSemPost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* sem = ArgPointer(info, 0, "semaphore address");
  if (info.Length() < 2 || !info[1].IsNumber()) throw CodedError(env, "EINVAL", "count must be a number");
  double count = info[1].As<Napi::Number>().DoubleValue();
  if (!(count >= 1) || count > 4294967295.0 || std::floor(count) != count) throw CodedError(env, "EINVAL", "count must be an integer from 1 to 2^32 - 1");
  SysError err;
  if (!SemPost(sem, static_cast<uint32_t>(count), &err)) throw OsError(env, err);
  return env.Undefined();
}

}  // namespace

Napi::Function DefineNativeSyncThread(Napi::Env env) { return NativeSyncThread::Define(env); }

// The robust-mutex functions, added to the addon's exports.
void DefineMutexFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("mutexInit", Napi::Function::New<JsMutexInit>(env, "mutexInit"));
  exports.Set("mutexTryLock", Napi::Function::New<JsMutexTryLock>(env, "mutexTryLock"));
  exports.Set("mutexLock", Napi::Function::New<JsMutexLock>(env, "mutexLock"));
  exports.Set("mutexUnlock", Napi::Function::New<JsMutexUnlock>(env, "mutexUnlock"));
  exports.Set("semPost", Napi::Function::New<JsSemPost>(env, "semPost"));
  exports.Set("mutexSize", Napi::Number::New(env, static_cast<double>(MutexSize())));
}

}  // namespace ipckit
