// Realistic attendance.recorded events for the benchmark, built directly on the Cap'n Proto
// builder (SPEC "Event vocabulary"): random v4 ids, about a thousand cases, each with its
// intervention and a session per week, a spread of outcomes, and the optional reason and
// concern set on some of them.
//
// The raw RocksDB baseline must write the same bytes the store writes. The store stamps
// provenance (origin, seq, recorded_at) on each event before encoding it, so StampedBytes
// does the same to a copy: same fields, same layout, same size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "eventstore/event.h"

namespace holdfast::bench {

class AttendanceEvents {
 public:
  explicit AttendanceEvents(size_t cases = 1000, uint64_t seed = 42);

  // A fresh event (new random id, no provenance): ready for EventStore::Append.
  Event Next();

  size_t cases() const { return cases_; }

 private:
  size_t cases_;
  std::mt19937_64 rng_;
};

// The bytes the store writes for `event` when it stamps it with this provenance.
std::string StampedBytes(const Event& event, const std::string& origin, uint64_t seq,
                         uint64_t recorded_at);

}  // namespace holdfast::bench
