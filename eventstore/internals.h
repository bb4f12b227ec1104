// The store's RocksDB handles, for eventstore's own tests (which corrupt and inspect the
// store under it) and for the benchmark floors (which measure bare RocksDB beside it).
// Nothing else uses this: modules read and write their data through side_table.h.
#pragma once

#include <rocksdb/db.h>

#include <string>

#include "eventstore/event_store.h"

namespace holdfast {

class EventStoreInternals {
 public:
  static rocksdb::DB* db(const EventStore& store) { return store.db_.get(); }
  // A family by name (the store's own or a module's); null if it is not open.
  static rocksdb::ColumnFamilyHandle* Family(EventStore& store, const std::string& name) {
    std::lock_guard<std::mutex> l(store.families_mu_);
    for (auto* h : store.handles_) {
      if (h->GetName() == name) return h;
    }
    return nullptr;
  }
  // Waits (up to a minute) until RocksDB runs and plans no flush or compaction.
  static Status WaitForBackgroundWork(rocksdb::DB* db);
};

}  // namespace holdfast
