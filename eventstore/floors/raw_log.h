// The benchmarks' floors (bench/run): bare RocksDB doing part of what the store does, on the
// same bytes, in the same run. They live in eventstore/ because nothing outside it touches
// RocksDB; only the benchmarks link them (holdfast_floors).
//
// The baseline: the least a durable log on RocksDB can do. A plain RocksDB instance (a
// default rocksdb::Options with create_if_missing, one column family) holding each event's
// bytes under an 8-byte big-endian sequence number, one WriteBatch per append. No ids, no
// indexes, no validation: what the event store is measured against.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eventstore/event_store.h"

namespace holdfast::bench {

struct RawLogOptions {
  bool sync = true;  // WriteOptions::sync on every write
  // 0 keeps RocksDB's defaults (an 8 MB block cache; readahead that starts small and grows).
  // The scan can also be measured with the store's settings (64 MB, 2 MB).
  size_t block_cache_bytes = 0;
  size_t scan_readahead_bytes = 0;
  // Open an existing log read-only (several such instances can share a directory).
  bool read_only = false;
};

class RawLog {
 public:
  // Opens (creating) the log in `dir`; exits the process with a message on failure.
  RawLog(const std::string& dir, const RawLogOptions& options);
  ~RawLog();
  RawLog(const RawLog&) = delete;
  RawLog& operator=(const RawLog&) = delete;

  // Writes values[first, first + count) as one WriteBatch under fresh sequential keys.
  // Thread-safe: concurrent callers are group-committed by RocksDB itself.
  void Append(const std::vector<std::string>& values, size_t first, size_t count);

  // Writes rows the caller composed (a copy of another log: its keys and values), as one
  // batch with this log's write options.
  void Write(const std::vector<std::pair<std::string, std::string>>& rows);

  // Flushes the memtable, so a scan reads table files as it would on a grown log.
  void Flush();
  // Iterates over every entry in key order; returns the number of entries and adds the
  // value bytes seen to *bytes.
  uint64_t Scan(uint64_t* bytes) const;

  // Waits (up to a minute) until this log has no flush or compaction running or pending,
  // so its leftover background work is not timed against the store's (and the other way
  // round: EventStore::WaitForBackgroundWork).
  void WaitForBackgroundWork() const;

 private:
  struct Db;
  std::unique_ptr<Db> db_;
  std::atomic<uint64_t> next_seq_{1};
};

// "7.8.3": the RocksDB this build uses.
std::string RocksDbVersion();

// EventStore::WaitForBackgroundWork for a benchmark: exits the process with a message if
// RocksDB does not settle.
void WaitForBackgroundWork(const EventStore& store);

}  // namespace holdfast::bench
