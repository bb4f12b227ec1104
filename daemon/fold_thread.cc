#include "daemon/fold_thread.h"

#include <spdlog/spdlog.h>

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
  for (;;) {
    cv_.wait(l, [&] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    l.unlock();
    // Everything appended before the Notify is folded by this call (it reads the log's
    // end when it starts); what arrives meanwhile sets pending_ again.
    Status s = projector_->CatchUp();
    if (!s.ok()) spdlog::error("projections: {}", s.ToString());
    l.lock();
  }
}

}  // namespace holdfast
