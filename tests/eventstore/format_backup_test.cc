// The store's format version (keys.h): what a store written by another holdfast does on
// Open. A real RocksDB in a temporary directory.
#include <rocksdb/db.h>

#include <catch2/catch.hpp>
#include <string>

#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "tests/eventstore/test_events.h"

using namespace holdfast;
using holdfast::testing::MakeCaseOpened;
using holdfast::testing::Single;
using holdfast::testing::TempDir;

namespace {

constexpr char kNode[] = "probation-1";

std::unique_ptr<EventStore> OpenOk(const std::string& dir) {
  auto store = EventStore::Open(dir, StoreOptions{kNode});
  INFO("open " << dir << ": " << store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// A store with `events` case.opened events in `dir`.
void MakeStore(const std::string& dir, int events) {
  auto store = OpenOk(dir);
  for (int i = 0; i < events; ++i)
    REQUIRE(store->Append(Single(MakeCaseOpened("C-" + std::to_string(i)))).ok());
}

uint64_t StoredFormatVersion(const EventStore& store) {
  auto value = store.GetMeta(std::string(keys::kFormatVersionKey));
  REQUIRE(value.ok());
  REQUIRE(value->size() == 8);
  return keys::DecodeFixed64BE(value->data());
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("a new store is stamped with this build's format version", "[store][format]") {
  TempDir dir;
  auto store = OpenOk(dir.Sub("store"));
  CHECK(StoredFormatVersion(*store) == keys::kStoreFormatVersion);
}

TEST_CASE("a store without a format version (version 1) opens and is stamped with the current one",
          "[store][format]") {
  TempDir dir;
  const std::string path = dir.Sub("store");
  MakeStore(path, 3);
  {  // What every store written before the version existed looks like.
    auto store = OpenOk(path);
    REQUIRE(store->db()
                ->Delete(rocksdb::WriteOptions(), store->db()->DefaultColumnFamily(),
                         keys::kFormatVersionKey)
                .ok());
    REQUIRE(store->GetMeta(std::string(keys::kFormatVersionKey)).status().code() ==
            Status::Code::kNotFound);
  }
  auto store = OpenOk(path);
  CHECK(StoredFormatVersion(*store) == keys::kStoreFormatVersion);
  CHECK(store->LastPosition() == 3);
  CHECK(store->Verify().ok());
}

TEST_CASE("a store of a newer format version is refused, naming both versions, and left as it is",
          "[store][format]") {
  TempDir dir;
  const std::string path = dir.Sub("store");
  MakeStore(path, 2);
  const uint64_t newer = keys::kStoreFormatVersion + 1;
  {
    auto store = OpenOk(path);
    REQUIRE(store->db()
                ->Put(rocksdb::WriteOptions(), store->db()->DefaultColumnFamily(),
                      keys::kFormatVersionKey, keys::Fixed64BE(newer))
                .ok());
  }
  for (int attempt = 0; attempt < 2; ++attempt) {  // the refusal wrote nothing over it
    auto refused = EventStore::Open(path, StoreOptions{kNode});
    REQUIRE_FALSE(refused.ok());
    const std::string message = refused.status().message();
    INFO(message);
    CHECK(refused.status().code() == Status::Code::kInvalidArgument);
    CHECK(Contains(message, "store format " + std::to_string(newer)));
    CHECK(Contains(message, "(" + std::to_string(keys::kStoreFormatVersion) + ")"));
    CHECK(Contains(message, "upgrade holdfast"));
    CHECK(Contains(message, path));
  }
}

TEST_CASE("a store with a column family this build does not know is refused, naming it",
          "[store][format]") {
  TempDir dir;
  const std::string path = dir.Sub("store");
  MakeStore(path, 1);
  {  // A newer holdfast's module, say.
    auto store = OpenOk(path);
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    REQUIRE(store->db()
                ->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "subject_keys", &handle)
                .ok());
    store->db()->DestroyColumnFamilyHandle(handle);
  }
  auto refused = EventStore::Open(path, StoreOptions{kNode});
  REQUIRE_FALSE(refused.ok());
  INFO(refused.status().message());
  CHECK(Contains(refused.status().message(), "\"subject_keys\""));
  CHECK(Contains(refused.status().message(), "newer holdfast"));
}

TEST_CASE("modules may create only the column families keys.h names", "[store][format]") {
  TempDir dir;
  auto store = OpenOk(dir.Sub("store"));
  for (const char* family : keys::kModuleFamilies) CHECK(store->ColumnFamily(family).ok());
  auto refused = store->ColumnFamily("scratch");
  REQUIRE_FALSE(refused.ok());
  CHECK(Contains(refused.status().message(), "kModuleFamilies"));
}
