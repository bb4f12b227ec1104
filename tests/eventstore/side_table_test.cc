// Side tables (eventstore/side_table.h): the API every module's own data goes through.
#include "eventstore/side_table.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "tests/eventstore/test_events.h"

using namespace holdfast;
using holdfast::testing::TempDir;

namespace {

std::unique_ptr<EventStore> OpenStore(const std::string& dir) {
  StoreOptions options;
  options.node_id = "probation-1";
  auto store = EventStore::Open(dir, options);
  REQUIRE(store.ok());
  return std::move(store).value();
}

using Rows = std::vector<std::pair<std::string, std::string>>;

Rows ScanAll(const SideTable& table, std::string_view prefix, std::string_view start = {}) {
  Rows rows;
  REQUIRE(table
              .Scan(
                  prefix,
                  [&](std::string_view k, std::string_view v) {
                    rows.emplace_back(k, v);
                    return true;
                  },
                  start)
              .ok());
  return rows;
}

Rows ScanBack(const SideTable& table, std::string_view prefix, std::string_view before = {}) {
  Rows rows;
  REQUIRE(table
              .ScanBackward(prefix, before,
                            [&](std::string_view k, std::string_view v) {
                              rows.emplace_back(k, v);
                              return true;
                            })
              .ok());
  return rows;
}

}  // namespace

TEST_CASE("a side table reads what a batch wrote: get, prefix scans both ways, snapshots",
          "[store][side]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto table = store->Table(keys::kProjectionsFamily);
  REQUIRE(table.ok());
  CHECK(table->Get("a/1").status().code() == Status::Code::kNotFound);

  SideBatch batch;
  for (const char* key : {"a/1", "a/2", "a/3", "b/1", "a\xff", "a"}) batch.Put(*table, key, key);
  CHECK(batch.size() == 6);
  REQUIRE(store->Write(batch).ok());
  CHECK(*table->Get("a/2") == "a/2");

  CHECK(ScanAll(*table, "a/") == Rows{{"a/1", "a/1"}, {"a/2", "a/2"}, {"a/3", "a/3"}});
  CHECK(ScanAll(*table, "a/", "a/2") == Rows{{"a/2", "a/2"}, {"a/3", "a/3"}});
  CHECK(ScanAll(*table, "a/", "0") == ScanAll(*table, "a/"));  // a start before the prefix
  CHECK(ScanBack(*table, "a/") == Rows{{"a/3", "a/3"}, {"a/2", "a/2"}, {"a/1", "a/1"}});
  CHECK(ScanBack(*table, "a/", "a/3") == Rows{{"a/2", "a/2"}, {"a/1", "a/1"}});
  CHECK(ScanBack(*table, "a/", "a/25") == Rows{{"a/2", "a/2"}, {"a/1", "a/1"}});
  CHECK(ScanBack(*table, "a\xff").size() == 1);  // a prefix ending in 0xff
  CHECK(ScanBack(*table, "").front().first == "b/1");
  CHECK(ScanAll(*table, "").size() == 6);

  auto many = table->GetMany({"b/1", "zz", "a/1"});
  REQUIRE(many.size() == 3);
  CHECK(*many[0] == "b/1");
  CHECK(many[1].status().code() == Status::Code::kNotFound);
  CHECK(*many[2] == "a/1");

  // A snapshot ignores later writes; the table itself sees them.
  const SideTable then = table->AtSnapshot();
  SideBatch change;
  change.Delete(*table, "a/1");
  change.DeleteRange(*table, "a/2", "a/3");
  change.Put(*table, "a/4", "new");
  REQUIRE(store->Write(change).ok());
  CHECK(ScanAll(*table, "a/") == Rows{{"a/3", "a/3"}, {"a/4", "new"}});
  CHECK(ScanAll(then, "a/").size() == 3);
  CHECK(*then.Get("a/1") == "a/1");
  CHECK(then.Get("a/4").status().code() == Status::Code::kNotFound);
  CHECK(then.GetMany({"a/4"})[0].status().code() == Status::Code::kNotFound);

  // A name outside keys::kModuleFamilies is refused.
  CHECK(store->Table("scratch").status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("a side batch joined to an append is written with it, and not at all when it fails",
          "[store][side]") {
  TempDir dir;
  auto table = [&] {
    auto store = OpenStore(dir.path());
    auto t = store->Table(keys::kAuditFamily);
    REQUIRE(t.ok());

    SideBatch with_events;
    with_events.Put(*t, "joined", "1");
    auto e = testing::MakeCaseOpened("C-1");
    const Event same = Event::CopyOf(e.reader());
    REQUIRE(store->Append(testing::Single(std::move(e)), std::nullopt, {}, &with_events).ok());
    CHECK(*t->Get("joined") == "1");

    // The same id with other content: a Conflict, and the side row stays unwritten.
    SideBatch refused;
    refused.Put(*t, "refused", "1");
    auto other = testing::WithId(testing::MakeCaseOpened("C-2"), testing::IdOf(same));
    auto conflict = store->Append(testing::Single(std::move(other)), std::nullopt, {}, &refused);
    CHECK(conflict.status().code() == Status::Code::kConflict);
    CHECK(t->Get("refused").status().code() == Status::Code::kNotFound);

    // An expected version that does not hold: refused, side row unwritten.
    SideBatch stale;
    stale.Put(*t, "stale", "1");
    auto version = store->Append(testing::Single(testing::MakeRiskChanged("C-1")),
                                 ExpectedVersion{"case/C-1", 7}, {}, &stale);
    CHECK(version.status().code() == Status::Code::kVersionConflict);
    CHECK(t->Get("stale").status().code() == Status::Code::kNotFound);
    return store->LastPosition();
  }();
  CHECK(table == 1);
  // Durable across a reopen.
  auto store = OpenStore(dir.path());
  auto t = store->Table(keys::kAuditFamily);
  REQUIRE(t.ok());
  CHECK(*t->Get("joined") == "1");
}

TEST_CASE("table files replace a key range in one step", "[store][side]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto table = store->Table(keys::kProjectionsFamily);
  REQUIRE(table.ok());
  SideBatch old_rows;
  old_rows.Put(*table, "m/old", "x");
  old_rows.Put(*table, "n/kept", "x");
  REQUIRE(store->Write(old_rows).ok());

  auto file = TableFile::Create(*table, table->ScratchPath("side-test-0.sst"));
  REQUIRE(file.ok());
  REQUIRE((*file)->DeleteRange("m/", "m0").ok());
  REQUIRE((*file)->Put("m/1", "one").ok());
  REQUIRE((*file)->Put("m/2", "two").ok());
  // Out of order: refused, not written.
  CHECK_FALSE((*file)->Put("m/0", "zero").ok());
  REQUIRE((*file)->Finish().ok());
  REQUIRE(table->Ingest({(*file)->path()}).ok());
  CHECK(ScanAll(*table, "m/") == Rows{{"m/1", "one"}, {"m/2", "two"}});
  CHECK(*table->Get("n/kept") == "x");
}
