// HybridClock: the hybrid logical clock that stamps `recorded_at` on every event a node
// appends. Values only ever grow, even when the wall clock steps back, and a node that
// observes a remote value stamps its next event after it (Kulkarni et al., 2014).
#pragma once

#include <cstdint>
#include <functional>

namespace holdfast {

// Milliseconds since the epoch from the system clock.
uint64_t SystemWallClockMs();

// Not thread-safe: the event store calls it under its own lock.
class HybridClock {
 public:
  using WallClockMs = std::function<uint64_t()>;
  explicit HybridClock(WallClockMs wall = SystemWallClockMs) : wall_(std::move(wall)) {}

  // A value strictly greater than every value returned or observed before.
  uint64_t Now();
  // Merges a value seen on an event from another node, so later local values exceed it.
  void Observe(uint64_t remote);
  uint64_t last() const { return last_; }

 private:
  WallClockMs wall_;
  uint64_t last_ = 0;
};

}  // namespace holdfast
