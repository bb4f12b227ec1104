// The store's RocksDB handles, for eventstore's own tests (which corrupt and inspect the
// store under it) and for the benchmark floors (which measure bare RocksDB beside it).
// Nothing else uses this: modules read and write their data through side_table.h.
#pragma once

#include <rocksdb/db.h>

#include <optional>
#include <string>
#include <string_view>

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
  // The default family's name, where the meta keys (keys.h) live.
  static constexpr const char* kDefaultFamily = "default";
  // Writes behind the store's back, for damage and old layouts no EventStore call writes:
  // puts `value` under `key` in the named family of an open store, or deletes the key when
  // there is no value.
  static Status WriteRaw(EventStore& store, const std::string& family, std::string_view key,
                         std::optional<std::string_view> value);
  // The same into the closed store in `dir`, opened as plain RocksDB with every family it has.
  static Status WriteRawClosed(const std::string& dir, const std::string& family,
                               std::string_view key, std::optional<std::string_view> value);
  // Adds a family this build does not know (a newer holdfast's module, say).
  static Status CreateFamily(EventStore& store, const std::string& name);
  // Waits (up to a minute) until RocksDB runs and plans no flush or compaction.
  static Status WaitForBackgroundWork(rocksdb::DB* db);
};

}  // namespace holdfast
