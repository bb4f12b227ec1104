#include "daemon/fold_thread.h"

#include <spdlog/spdlog.h>

#include <string>

namespace holdfast {

FoldThread::FoldThread(Projector* projector) : projector_(projector), thread_([this] { Run(); }) {}

FoldThread::~FoldThread() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void FoldThread::Notify() {
  {
    std::lock_guard<std::mutex> l(mu_);
    pending_ = true;
  }
  cv_.notify_one();
}

void FoldThread::Run() {
  std::unique_lock<std::mutex> l(mu_);
  std::string last_error;
  for (;;) {
    cv_.wait(l, [&] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    l.unlock();
    // Everything appended before the Notify is folded by this call (it reads the log's
    // end when it starts); what arrives meanwhile sets pending_ again. A failed fold keeps
    // its checkpoint and is tried again on the next Notify (the next commit, or the store
    // resuming writes after a full disk): said once, not on every try.
    Status s = projector_->CatchUp();
    const std::string error = s.ok() ? "" : s.ToString();
    if (!error.empty() && error != last_error) spdlog::error("projections: {}", error);
    last_error = error;
    l.lock();
  }
}

}  // namespace holdfast
