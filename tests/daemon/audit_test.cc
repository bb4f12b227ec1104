// The audit log's hash chain (docs/audit.md), through AuditLog on a real store: concurrent
// entries chain in one order; the entries of an older store stay readable ahead of the
// chain, sealed by it; bytes that are no entry make a report, never a crash.
#include "daemon/audit.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "eventstore/event_store.h"
#include "eventstore/internals.h"
#include "eventstore/keys.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {

TEST_CASE("audit entries recorded from many threads chain in one order", "[audit][verify]") {
  TempDir dir;
  StoreOptions options;
  options.node_id = "probation-1";
  options.sync = false;
  options.reserved_bytes = 0;
  auto store = EventStore::Open(dir / "store", options);
  REQUIRE(store.ok());
  auto log = AuditLog::Open(store->get());
  REQUIRE(log.ok());
  constexpr int kThreads = 8, kEach = 250;
  std::atomic<int> failed{0};  // Catch2's assertions are for the test's own thread
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        AuditRecord r;
        r.user = "u-" + std::to_string(t);
        r.role = "probation";
        r.verb = "read-stream";
        r.target = "case/C-" + std::to_string(i);
        r.outcome = "ok";
        r.credential = "uid " + std::to_string(1000 + t);
        if (!(*log)->Record(r).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  auto report = (*log)->Verify();
  REQUIRE(report.ok());
  CHECK(report->intact());
  CHECK(report->checked == kThreads * kEach);
  CHECK(report->head.count == kThreads * kEach);
  CHECK((*log)->Head().hash == report->head.hash);
  auto recent = (*log)->Recent(1);
  REQUIRE(recent.ok());
  CHECK(Contains(recent->front().credential, "uid 10"));
}

TEST_CASE("an older store's unchained audit entries stay listed, ahead of the chain",
          "[audit][verify][format]") {
  TempDir dir;
  StoreOptions options;
  options.node_id = "probation-1";
  options.reserved_bytes = 0;
  {  // A version 2 store's audit log: five fields, no chain, no head.
    auto store = EventStore::Open(dir / "store", options);
    REQUIRE(store.ok());
    auto table = (*store)->Table(keys::kAuditFamily);
    REQUIRE(table.ok());
    SideBatch batch;
    for (uint64_t i = 1; i <= 4; ++i) {
      std::string key = keys::Fixed64BE(1700000000000000000ull + i);
      keys::PutFixed64BE(&key, i);
      batch.Put(*table, key, "po-" + std::to_string(i) + "\tprobation\tappend\tC-1\tok");
    }
    REQUIRE((*store)->Write(batch, true).ok());
    auto* db = EventStoreInternals::db(**store);
    REQUIRE(db->Put(rocksdb::WriteOptions(), db->DefaultColumnFamily(), keys::kFormatVersionKey,
                    keys::Fixed64BE(2))
                .ok());
  }
  auto store = EventStore::Open(dir / "store", options);
  REQUIRE(store.ok());
  auto version = (*store)->GetMeta(std::string(keys::kFormatVersionKey));
  REQUIRE(version.ok());
  CHECK(keys::DecodeFixed64BE(version->data()) == 3);  // 2 -> 3: nothing rewritten
  auto log = AuditLog::Open(store->get());
  REQUIRE(log.ok());
  AuditRecord r{0, "op-1", "operator", "audit-list", "", "ok", "uid 0"};
  REQUIRE((*log)->Record(r).ok());
  REQUIRE((*log)->Record(r).ok());
  auto report = (*log)->Verify();
  REQUIRE(report.ok());
  CHECK(report->intact());
  CHECK(report->unchained == 4);
  CHECK(report->checked == 2);
  auto recent = (*log)->Recent(10);
  REQUIRE(recent.ok());
  REQUIRE(recent->size() == 6);
  CHECK(recent->at(0).credential == "uid 0");
  CHECK(recent->at(2).user == "po-4");
  CHECK(recent->at(2).target == "C-1");
  CHECK(recent->at(2).credential.empty());

  // From the chain's start the older entries are sealed by its first entry.
  auto table = (*store)->Table(keys::kAuditFamily);
  REQUIRE(table.ok());
  std::string first_key;
  REQUIRE(table
              ->Scan("",
                     [&](std::string_view key, std::string_view) {
                       first_key = std::string(key);
                       return false;
                     })
              .ok());
  SideBatch batch;
  batch.Put(*table, first_key, "mallory\tprobation\tappend\tC-1\tok");
  REQUIRE((*store)->Write(batch, true).ok());
  report = (*log)->Verify();
  REQUIRE(report.ok());
  REQUIRE(report->breaks == 1);
  CHECK(report->found[0].kind == AuditBreak::Kind::kChanged);
  CHECK(Contains(report->found[0].detail,
                 "the 4 unchained entries before the chain were changed, added to or removed"));
}

TEST_CASE("bytes that are no audit entry make a report, never a crash", "[audit][verify]") {
  // A real chain's rows, then each row mutated at random, plus rows of random bytes.
  TempDir dir;
  StoreOptions options;
  options.node_id = "probation-1";
  options.sync = false;
  options.reserved_bytes = 0;
  auto store = EventStore::Open(dir / "store", options);
  REQUIRE(store.ok());
  auto log = AuditLog::Open(store->get());
  REQUIRE(log.ok());
  for (int i = 0; i < 20; ++i) {
    REQUIRE((*log)
                ->Record({0, "po-1", "probation", "append", "C-" + std::to_string(i), "ok", ""})
                .ok());
  }
  auto table = (*store)->Table(keys::kAuditFamily);
  REQUIRE(table.ok());
  std::vector<std::pair<std::string, std::string>> rows;
  REQUIRE(table
              ->Scan("",
                     [&](std::string_view k, std::string_view v) {
                       rows.emplace_back(k, v);
                       return true;
                     })
              .ok());
  REQUIRE(rows.size() == 21);
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    auto mutated = rows;
    auto& row = mutated[rng() % mutated.size()];
    std::string& bytes = rng() % 4 == 0 ? row.first : row.second;
    switch (rng() % 3) {
      case 0:
        if (!bytes.empty()) bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 1:
        bytes.resize(rng() % (bytes.size() + 1));
        break;
      default:
        bytes.insert(rng() % (bytes.size() + 1), 1, static_cast<char>(rng()));
    }
    if (rng() % 8 == 0) {
      std::string junk(rng() % 40, '\0');
      for (char& c : junk) c = static_cast<char>(rng());
      mutated.emplace_back(junk, junk);
    }
    std::sort(mutated.begin(), mutated.end());
    AuditChainChecker checker;
    for (const auto& [k, v] : mutated) checker.AddRow(k, v);
    const auto report = checker.Finish();
    const bool same = mutated == rows;  // a mutation may give back the same bytes
    INFO("round " << round);
    CHECK(report.intact() == same);
    for (const auto& b : report.found) CHECK(b.detail.find('\n') == std::string::npos);
  }
}

}  // namespace holdfast::test
