// The store floors (bench/run's "floor" rows): bare RocksDB doing, per event, only the key
// work an event store with holdfast's duties cannot skip, in sync batches from one thread,
// with no validation, decoding or projections. Only the benchmarks link this.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "eventstore/status.h"

namespace holdfast::bench {

// An event's keys in the store's layout (eventstore/keys.h), made before the clock starts.
struct FloorKeys {
  std::string id, origin, stream;
};

class FloorDb {
 public:
  // A fresh RocksDB in `dir`: the raw log's options for the events (floors/raw_log.h), the
  // store's bloom filters (on table files and memtables) for the index families, and a
  // hash memtable for the ids (faster here than the store's skiplist: see the .cc). With
  // `store_layout`, also the origin and stream families.
  static Result<std::unique_ptr<FloorDb>> Open(const std::string& dir, bool store_layout);
  ~FloorDb();

  // values[first, end) in one synced batch: per event, look its id up (it must be new),
  // put the event under its position (i + 1) and the id, and with the store layout its
  // origin and stream keys.
  Status WriteBatch(const std::vector<std::string>& values, const std::vector<FloorKeys>& keys,
                    size_t first, size_t end);
  // Closes the database (its handles first); the destructor does it otherwise.
  Status Close();

 private:
  struct Db;
  explicit FloorDb(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

}  // namespace holdfast::bench
