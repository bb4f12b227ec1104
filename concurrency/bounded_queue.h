// BoundedQueue: hands items from one thread to another, holding at most `capacity`, so a
// producer that runs ahead waits instead of filling memory (the import's parsed batches, the
// rebuild's log batches).
//
// Either side can stop it: the producer calls Finish when it has nothing more (the consumer
// still takes what is queued), the consumer calls Close when it gives up (what is queued is
// dropped and a waiting producer wakes). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

namespace holdfast {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Waits for room, then queues `item`. False (the item dropped) once the queue is closed.
  bool Push(T item) {
    std::unique_lock<std::mutex> l(mu_);
    room_.wait(l, [&] { return items_.size() < capacity_ || closed_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    ready_.notify_one();
    return true;
  }

  // Waits for an item and takes it. False once the queue is finished or closed and holds
  // nothing more.
  bool Pop(T* item) {
    std::unique_lock<std::mutex> l(mu_);
    ready_.wait(l, [&] { return !items_.empty() || finished_ || closed_; });
    if (items_.empty()) return false;
    *item = std::move(items_.front());
    items_.pop_front();
    room_.notify_one();
    return true;
  }

  // The producer has nothing more: Pop returns what is queued, then false.
  void Finish() {
    std::lock_guard<std::mutex> l(mu_);
    finished_ = true;
    ready_.notify_all();
  }

  // The consumer gave up: what is queued is dropped, and Push returns false from now on.
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    items_.clear();
    room_.notify_all();
    ready_.notify_all();
  }

  bool closed() const {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable room_;   // a Push may go on
  std::condition_variable ready_;  // a Pop may go on
  std::deque<T> items_;
  bool finished_ = false;
  bool closed_ = false;
};

}  // namespace holdfast
