// One timed pass of EventStore::ScanLog over a whole store, for both benchmarks.
#pragma once

#include <cstdint>
#include <string>

#include "bench/report.h"
#include "eventstore/event_store.h"

namespace holdfast::bench {

// Reads every event of the log in order, touching each one's type so the decoding cannot be
// skipped. `log_bytes` is what the caller knows the log holds (0 when it does not). On a
// failed scan, or one that handed out only empty events, returns what went wrong in *error.
Throughput TimeStoreScan(const EventStore& store, uint64_t log_bytes, std::string* error);

}  // namespace holdfast::bench
