// FeedFollower: waits, on a thread of its own (a request's pool thread, the hooks' delivery
// thread, an SSE sender), for the alert feed (Projector::ScanFeed) to grow past a cursor. It
// listens from construction, so a change committed after the reader's last scan is never
// missed: either the scan saw it, or the listener did.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "projections/projector.h"

namespace holdfast {

class FeedFollower {
 public:
  explicit FeedFollower(Projector* projector) : projector_(projector) {
    handle_ = projector_->AddFeedListener([this](uint64_t last) {
      {
        std::lock_guard<std::mutex> l(mu_);
        last_ = std::max(last_, last);
      }
      cv_.notify_all();
    });
  }
  ~FeedFollower() { projector_->RemoveFeedListener(handle_); }
  FeedFollower(const FeedFollower&) = delete;
  FeedFollower& operator=(const FeedFollower&) = delete;

  // Waits until the feed is told to run beyond `cursor`, or `timeout` passes, or Wake is
  // called; true when the feed runs beyond `cursor`.
  bool WaitBeyond(uint64_t cursor, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, timeout, [&] { return last_ > cursor || woken_; });
    woken_ = false;
    return last_ > cursor;
  }
  // Ends a wait early (the reader is stopping). Thread-safe.
  void Wake() {
    {
      std::lock_guard<std::mutex> l(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

 private:
  Projector* projector_;
  int handle_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t last_ = 0;
  bool woken_ = false;
};

}  // namespace holdfast
