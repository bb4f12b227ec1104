#include "eventstore/hlc.h"

#include <chrono>

#include "eventstore/ids.h"

namespace holdfast {

uint64_t SystemWallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

uint64_t HybridClock::Now() {
  const uint64_t wall = HlcPack(wall_(), 0);
  // When the counter would overflow 16 bits, the packed value carries into the physical
  // part: still strictly increasing, and at most one millisecond ahead of the wall.
  last_ = wall > last_ ? wall : last_ + 1;
  return last_;
}

void HybridClock::Observe(uint64_t remote) {
  if (remote > last_) last_ = remote;
}

}  // namespace holdfast
