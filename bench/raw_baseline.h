// The raw RocksDB baseline of the system benchmark: the very bytes a node's log holds,
// written into a fresh raw log (bench/raw_log.h) in batches of 1024 events with
// WriteOptions.sync = true; the least any durable import or sync of those events could cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/report.h"
#include "eventstore/event_store.h"

namespace holdfast::bench {

constexpr size_t kRawBatchEvents = 1024;

// Opens a node's store in-process (its daemon must be stopped); dies on failure.
std::unique_ptr<EventStore> OpenStore(const std::string& store_dir);

struct LogValues {
  std::vector<std::string> values;  // encoded events, in log order
  uint64_t bytes = 0;
};

// The encoded events at log positions 1..through (every position when 0), leaving out the
// alert lifecycle events a deriving node added itself when `skip_alerts`.
LogValues ReadLogValues(EventStore* store, uint64_t through, bool skip_alerts);

// Writes `values` into a fresh raw log in `dir` (removed afterwards), batch by batch, and
// times it from the first write until the last returned.
Throughput RawBatchedWrite(const std::string& dir, const LogValues& values);

// RawBatchedWrite `runs` times (a shared disk's fsync time drifts by 2x within a minute):
// the median run, and the range of rates for the report.
struct RawBaseline {
  Throughput median;
  double slowest_events_per_second = 0, fastest_events_per_second = 0;
  int runs = 0;
  // "raw RocksDB, batches of 1024, sync: 323,395 events/s (3.07 s; median of 3, 250,000 to
  // 400,000)"
  std::string Describe(bool with_megabytes) const;
};
RawBaseline MeasureRawBaseline(const std::string& dir, const LogValues& values, int runs = 3);

// The floor under any event store with holdfast's duties, measured on the same bytes: raw
// RocksDB doing, per event, only the key work such a store cannot skip, in batches of 1024
// with sync, from one thread, no validation, no decoding, no projections.
enum class StoreFloor {
  // Idempotent by event id (import twice adds nothing; sync applies by id): look the id up,
  // put the event under its position, put the id. The least any design could do.
  kIdempotent,
  // holdfast's store layout: that, plus the origin index (origin, seq) sync resumes from
  // and the stream index (stream, version) a case's timeline is read through.
  kStoreLayout,
};
// Both floors, one after the other, on the keys of `values` (decoded once, before either
// clock starts). The index families get the store's bloom filters (on table files and
// memtables), and the id family a hash memtable (faster here than the store's skiplist;
// see the .cc).
struct StoreFloors {
  Throughput idempotent, layout;
};
StoreFloors MeasureStoreFloors(const std::string& dir, const LogValues& values);

}  // namespace holdfast::bench
