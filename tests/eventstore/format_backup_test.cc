// The store's format version (keys.h) and EventStore::Backup: what a store written by
// another holdfast does on Open, and what a backup writes, with which modes, and what it
// says when it cannot. A real RocksDB in a temporary directory.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "eventstore/event_store.h"
#include "eventstore/internals.h"
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

// The names in a directory.
std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.insert(e.path().filename().string());
  return out;
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
    REQUIRE(EventStoreInternals::WriteRaw(*store, EventStoreInternals::kDefaultFamily,
                                          keys::kFormatVersionKey, std::nullopt)
                .ok());
    REQUIRE(store->GetMeta(std::string(keys::kFormatVersionKey)).status().code() ==
            Status::Code::kNotFound);
  }
  auto store = OpenOk(path);
  CHECK(StoredFormatVersion(*store) == keys::kStoreFormatVersion);
  CHECK(store->LastPosition() == 3);
  CHECK(store->Verify().ok());
}

TEST_CASE(
    "a version 2 or 4 store opens with its projections dropped, to be folded again, and the "
    "rest kept",
    "[store][format]") {
  // Version 3 added prov/ rows to the projections, version 5 aidx/ rows.
  const uint64_t version = GENERATE(uint64_t{2}, uint64_t{4});
  CAPTURE(version);
  TempDir dir;
  const std::string path = dir.Sub("store");
  MakeStore(path, 3);
  {  // Projection rows without those the next version added, an audit entry.
    auto store = OpenOk(path);
    auto projections = store->Table(keys::kProjectionsFamily);
    auto audit = store->Table(keys::kAuditFamily);
    REQUIRE(projections.ok());
    REQUIRE(audit.ok());
    SideBatch batch;
    batch.Put(*projections, "ckpt", keys::Fixed64BE(3));
    batch.Put(*projections, "case/C-0", "a case row");
    batch.Put(*audit, "entry", "kept");
    REQUIRE(store->Write(batch).ok());
    REQUIRE(EventStoreInternals::WriteRaw(*store, EventStoreInternals::kDefaultFamily,
                                          keys::kFormatVersionKey, keys::Fixed64BE(version))
                .ok());
  }
  auto store = OpenOk(path);
  CHECK(StoredFormatVersion(*store) == keys::kStoreFormatVersion);
  auto projections = store->Table(keys::kProjectionsFamily);
  auto audit = store->Table(keys::kAuditFamily);
  REQUIRE(projections.ok());
  REQUIRE(audit.ok());
  size_t rows = 0;
  REQUIRE(projections
              ->Scan("",
                     [&](std::string_view, std::string_view) {
                       ++rows;
                       return true;
                     })
              .ok());
  CHECK(rows == 0);  // no checkpoint either: the projector folds the whole log again
  auto kept = audit->Get("entry");
  REQUIRE(kept.ok());
  CHECK(*kept == "kept");
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
    REQUIRE(EventStoreInternals::WriteRaw(*store, EventStoreInternals::kDefaultFamily,
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
    REQUIRE(EventStoreInternals::CreateFamily(*store, "subject_keys").ok());
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
  for (const char* family : keys::kModuleFamilies) CHECK(store->Table(family).ok());
  auto refused = store->Table("scratch");
  REQUIRE_FALSE(refused.ok());
  CHECK(Contains(refused.status().message(), "kModuleFamilies"));
}

TEST_CASE("a backup is a new 0700 directory of 0600 files sharing no inode with the store",
          "[store][backup]") {
  TempDir dir;
  const std::string path = dir.Sub("store"), backup = dir.Sub("backup");
  MakeStore(path, 4);
  auto store = OpenOk(path);
  // Written to the live store's files since they were last flushed: in the WAL only.
  REQUIRE(store->Append(Single(MakeCaseOpened("C-late"))).ok());
  REQUIRE(store->Backup(backup).ok());

  struct stat st;
  REQUIRE(::stat(backup.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  std::set<ino_t> live_inodes;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    live_inodes.insert(st.st_ino);
  }
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(backup)) {
    INFO(e.path());
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_nlink == 1);
    CHECK(live_inodes.count(st.st_ino) == 0);
    ++files;
  }
  CHECK(files > 0);
  // Nothing left behind: no partial directory, no checkpoint beside the store.
  CHECK(Names(dir.path()) == std::set<std::string>{"store", "backup"});
  store.reset();

  auto copy = OpenOk(backup);
  CHECK(copy->LastPosition() == 5);
  CHECK(copy->Verify().ok());
}

TEST_CASE("a backup says in one line why it cannot be written, and leaves nothing behind",
          "[store][backup]") {
  TempDir dir;
  const std::string path = dir.Sub("store");
  MakeStore(path, 1);
  auto store = OpenOk(path);
  auto refused = [&](const std::string& target) {
    Status s = store->Backup(target);
    REQUIRE_FALSE(s.ok());
    INFO(s.message());
    CHECK(s.message().find('\n') == std::string::npos);
    CHECK(Names(dir.path()).count("store.backup-links") == 0);
    return s.message();
  };

  std::filesystem::create_directory(dir.Sub("taken"));
  CHECK(Contains(refused(dir.Sub("taken")), dir.Sub("taken") + " already exists"));

  auto missing = refused(dir.Sub("no-such-parent/backup"));
  CHECK(Contains(missing, "the directory " + dir.Sub("no-such-parent") + " does not exist"));
  CHECK(Contains(missing, "create it first"));

  {
    std::ofstream file(dir.Sub("a-file"));
    file << "x";
  }
  CHECK(Contains(refused(dir.Sub("a-file/backup")), dir.Sub("a-file") + " is not a directory"));

  CHECK(Names(dir.path()) == std::set<std::string>{"store", "taken", "a-file"});
}

TEST_CASE("a backup killed before it finished does not stop the next one", "[store][backup]") {
  TempDir dir;
  const std::string path = dir.Sub("store");
  MakeStore(path, 2);
  // What a daemon killed in the middle of its checkpoint leaves beside the store.
  std::filesystem::create_directory(path + ".backup-links");
  std::filesystem::create_directory(path + ".backup-links.tmp");
  auto store = OpenOk(path);
  REQUIRE(store->Backup(dir.Sub("backup")).ok());
  CHECK(Names(dir.path()) == std::set<std::string>{"store", "backup"});
}
