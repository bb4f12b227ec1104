// The audit log's hash chain and its filters (SPEC "Users, roles and rights", docs/audit.md):
// an intact log verifies; an entry changed or removed is found and named (by its position in
// the chain and its time), whether the daemon ran since or not; the chain's head is logged at
// start and stop; concurrent entries chain in one order; the entries of an older store stay
// readable ahead of the chain; bytes that are no entry make a report, never a crash; and
// `audit list` filters on the daemon by user, case, verb, outcome and time.
//
// To tamper, a test stops the daemon and edits the store with the store's own API (the
// audit family through side_table.h), as someone with write access to the files could.
#include "daemon/audit.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <random>
#include <thread>

#include "eventstore/event_store.h"
#include "eventstore/ids.h"
#include "eventstore/internals.h"
#include "eventstore/keys.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

void OpenCase(const Node& node, const std::string& case_id, const std::string& user = "po-1") {
  Ok(node,
     {"case", "open", "--case", case_id, "--subject", "P-" + case_id, "--order", "licence",
      "--risk", "medium", "--lead-agency", "probation-ce", "--at", "2025-01-06T09:00:00Z"},
     "probation", user);
}

struct AuditRow {
  std::string key, value;
  uint64_t Position() const { return std::stoull(Field(1)); }
  int64_t At() const { return static_cast<int64_t>(keys::DecodeFixed64BE(key.data())); }
  std::string Field(size_t n) const {
    size_t from = 0;
    for (size_t i = 0; i < n; ++i) from = value.find('\t', from) + 1;
    return value.substr(from, value.find('\t', from) - from);
  }
};

// A stopped node's store, opened in-process: its audit family read and written through
// the store's own API.
struct StoppedStore {
  std::unique_ptr<EventStore> store;
  SideTable table;

  explicit StoppedStore(const Node& node) {
    StoreOptions options;
    options.create_if_missing = false;
    options.reserved_bytes = 0;
    auto opened = EventStore::Open(node.data_dir() + "/store", options);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    auto t = store->Table(keys::kAuditFamily);
    REQUIRE(t.ok());
    table = *t;
  }
  // The entries (not the head), oldest first.
  std::vector<AuditRow> Entries() const {
    std::vector<AuditRow> rows;
    REQUIRE(table
                .Scan("",
                      [&](std::string_view key, std::string_view value) {
                        if (key.size() == 16)
                          rows.push_back({std::string(key), std::string(value)});
                        return true;
                      })
                .ok());
    return rows;
  }
  // The first entry whose value holds `part`.
  AuditRow Find(const std::string& part) const {
    for (const auto& row : Entries()) {
      if (row.value.find(part) != std::string::npos) return row;
    }
    FAIL("no audit entry holds " << part);
    return {};
  }
  void Put(const std::string& key, const std::string& value) {
    SideBatch batch;
    batch.Put(table, key, value);
    REQUIRE(store->Write(batch, true).ok());
  }
  void Delete(const std::string& key) {
    SideBatch batch;
    batch.Delete(table, key);
    REQUIRE(store->Write(batch, true).ok());
  }
  AuditChainReport Verify() {
    auto log = AuditLog::Open(store.get());
    REQUIRE(log.ok());
    auto report = (*log)->Verify();
    REQUIRE(report.ok());
    return *report;
  }
};

RunResult Verify(const Node& node, const std::string& format = "table") {
  return node.Cli({"audit", "verify", "--format", format}, "operator", "auditor");
}

// The last "audit: chain head at WHEN: N entries, newest sha256 H" the daemon logged:
// "N entries, newest sha256 H".
std::string LoggedHead(const Node& node, const std::string& when) {
  const std::string log = node.Log();
  const std::string marker = "audit: chain head at " + when + ": ";
  const size_t at = log.rfind(marker);
  if (at == std::string::npos) return "";
  const size_t from = at + marker.size();
  return log.substr(from, log.find('\n', from) - from);
}

// The CSV rows of `audit list` with these options (no header), each cut into its fields:
// at, user, role, verb, target, outcome, credential.
std::vector<std::vector<std::string>> AuditRows(const Node& node,
                                                std::vector<std::string> options) {
  std::vector<std::string> args = {"audit", "list", "--format", "csv", "--limit", "0"};
  args.insert(args.end(), options.begin(), options.end());
  auto r = node.Cli(args, "operator", "auditor");
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
  std::vector<std::vector<std::string>> rows;
  auto lines = Lines(r.out);
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "at,user,role,verb,target,outcome,credential");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields(1);
    for (char c : lines[i]) {
      if (c == ',') {
        fields.emplace_back();
      } else {
        fields.back() += c;
      }
    }
    REQUIRE(fields.size() == 7);
    rows.push_back(fields);
  }
  return rows;
}

}  // namespace

TEST_CASE("an intact audit log verifies, and the chain's head is logged at stop and start",
          "[audit][verify]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  Ok(n.node, {"case", "show", "--case", "C-1"}, "probation", "po-1");
  CHECK(n.node.Cli({"store", "stats"}, "probation", "po-1").exit != 0);  // refused, audited
  auto intact = Verify(n.node);
  INFO(intact.Describe());
  CHECK(intact.exit == 0);
  CHECK(Contains(intact.out, "audit log is intact: "));
  CHECK(Contains(intact.out, "chained entries checked"));

  REQUIRE(n.node.Stop() == 0);
  const std::string at_stop = LoggedHead(n.node, "stop");
  INFO(n.node.Log());
  REQUIRE(!at_stop.empty());
  CHECK(Contains(at_stop, " entries, newest sha256 "));
  {  // The head logged is the store's: the chain as written ends there.
    StoppedStore stopped(n.node);
    const auto report = stopped.Verify();
    CHECK(report.intact());
    CHECK(at_stop ==
          std::to_string(report.head.count) + " entries, newest sha256 " + report.head.hash);
    CHECK(report.checked == report.head.count);
    CHECK(report.unchained == 0);
  }
  n.node.Start();
  CHECK(LoggedHead(n.node, "start") == at_stop);
  auto json = Verify(n.node, "json");
  INFO(json.Describe());
  CHECK(json.exit == 0);
  CHECK(Contains(json.out, "\"kind\":\"intact\""));
}

TEST_CASE("a changed audit entry is found: which one, and when", "[audit][verify][tamper]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  OpenCase(n.node, "C-2");
  REQUIRE(n.node.Stop() == 0);
  AuditRow changed;
  {
    StoppedStore stopped(n.node);
    changed = stopped.Find("\tappend\tC-1\tok");
    std::string value = changed.value;
    value.replace(value.find("\tC-1\t"), 5, "\tC-9\t");  // someone covering a read
    stopped.Put(changed.key, value);
  }
  n.node.Start();
  auto r = Verify(n.node);
  INFO(r.Describe());
  CHECK(r.exit == 1);
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "the audit log was changed after it was written (1 break in its chain)"));
  CHECK(Contains(r.err, "keep a copy of the data directory as evidence"));
  CHECK(Contains(r.out, "entry " + std::to_string(changed.Position()) + " (" +
                            FormatRfc3339(changed.At()) + ") was changed after it was written"));
  auto csv = Verify(n.node, "csv");
  CHECK(csv.exit == 1);
  CHECK(Contains(csv.out, ",changed," + std::to_string(changed.Position()) + ",0," +
                              FormatRfc3339(changed.At()) + ","));
  // The daemon records on regardless; the break stays found.
  OpenCase(n.node, "C-3");
  CHECK(Verify(n.node).exit == 1);
}

TEST_CASE("the newest audit entry changed is found against the chain's head",
          "[audit][verify][tamper]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  REQUIRE(n.node.Stop() == 0);
  StoppedStore stopped(n.node);
  const AuditRow newest = stopped.Entries().back();
  std::string value = newest.value;
  value.replace(value.rfind("\tok\t"), 4, "\tno\t");
  stopped.Put(newest.key, value);
  const auto report = stopped.Verify();
  REQUIRE(report.breaks == 1);
  CHECK(report.found[0].kind == AuditBreak::Kind::kChanged);
  CHECK(report.found[0].position == newest.Position());
  CHECK(report.found[0].at == newest.At());
  CHECK(Contains(report.found[0].detail, "the newest, was changed"));
}

TEST_CASE("removed audit entries are found, in the middle and at the newest end",
          "[audit][verify][tamper]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  OpenCase(n.node, "C-2");
  OpenCase(n.node, "C-3");
  REQUIRE(n.node.Stop() == 0);

  SECTION("one from the middle") {
    uint64_t removed = 0;
    {
      StoppedStore stopped(n.node);
      const AuditRow row = stopped.Find("\tappend\tC-2\tok");
      removed = row.Position();
      stopped.Delete(row.key);
      const auto report = stopped.Verify();
      REQUIRE(report.breaks == 1);
      CHECK(report.found[0].kind == AuditBreak::Kind::kRemoved);
      CHECK(report.found[0].position == removed);
      CHECK(report.found[0].count == 1);
    }
    n.node.Start();
    auto r = Verify(n.node);
    INFO(r.Describe());
    CHECK(r.exit == 1);
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.out, "entry " + std::to_string(removed) + " was removed, between "));
  }
  SECTION("the newest two") {
    uint64_t first = 0;
    {
      StoppedStore stopped(n.node);
      const auto entries = stopped.Entries();
      REQUIRE(entries.size() > 3);
      first = entries[entries.size() - 2].Position();
      stopped.Delete(entries[entries.size() - 1].key);
      stopped.Delete(entries[entries.size() - 2].key);
      // Found by the head alone, before the daemon writes another entry.
      const auto report = stopped.Verify();
      REQUIRE(report.breaks == 1);
      CHECK(report.found[0].kind == AuditBreak::Kind::kRemoved);
      CHECK(report.found[0].position == first);
      CHECK(report.found[0].count == 2);
      CHECK(Contains(report.found[0].detail, "entries " + std::to_string(first) + " to " +
                                                 std::to_string(first + 1) +
                                                 " (2) were removed: the newest, after "));
    }
    // And after: the chain goes on from the head, past the gap.
    n.node.Start();
    auto r = Verify(n.node);
    INFO(r.Describe());
    CHECK(r.exit == 1);
    CHECK(Contains(r.out, "entries " + std::to_string(first) + " to " + std::to_string(first + 1) +
                              " (2) were removed, between "));
  }
  SECTION("the newest with the head: the head is missing, and the daemon says so") {
    {
      StoppedStore stopped(n.node);
      stopped.Delete(stopped.Entries().back().key);
      stopped.Delete(std::string(kAuditChainHeadKey));
      const auto report = stopped.Verify();
      REQUIRE(report.breaks == 1);
      CHECK(report.found[0].kind == AuditBreak::Kind::kHead);
      CHECK(Contains(report.found[0].detail, "the chain's head is missing"));
    }
    // A chain cut at its end and given a new head is consistent again: only the heads
    // logged outside the store show it (docs/audit.md). The daemon logs what it found.
    const std::string head_at_stop = LoggedHead(n.node, "stop");
    n.node.Start();
    INFO(n.node.Log());
    CHECK(Contains(n.node.Log(), "audit: the chain's head is missing"));
    CHECK(LoggedHead(n.node, "start") != head_at_stop);
  }
}

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
    REQUIRE(EventStoreInternals::WriteRaw(**store, EventStoreInternals::kDefaultFamily,
                                          keys::kFormatVersionKey, keys::Fixed64BE(2))
                .ok());
  }
  auto store = EventStore::Open(dir / "store", options);
  REQUIRE(store.ok());
  auto version = (*store)->GetMeta(std::string(keys::kFormatVersionKey));
  REQUIRE(version.ok());
  // 2 -> the current format: the audit entries are not rewritten.
  CHECK(keys::DecodeFixed64BE(version->data()) == keys::kStoreFormatVersion);
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

TEST_CASE("audit list filters by user, case, verb, outcome and time, together and paged",
          "[audit][filters]") {
  StartedNode n;
  OpenCase(n.node, "C-1", "po-1");
  OpenCase(n.node, "C-2", "po-2");
  Ok(n.node, {"case", "show", "--case", "C-1"}, "probation", "po-1");
  CHECK(n.node.Cli({"store", "stats"}, "probation", "po-1").exit != 0);
  Ok(n.node, {"case", "show", "--case", "C-2"}, "probation", "po-2");

  // Every listing is audited too: each filtered one is held to the entries up to the newest
  // of the unfiltered one, and compared with those entries filtered here.
  using Rows = std::vector<std::vector<std::string>>;
  const Rows all = AuditRows(n.node, {});
  REQUIRE(all.size() > 6);
  const std::string newest = all.front()[0];
  auto listed = [&](std::vector<std::string> options) {
    options.insert(options.end(), {"--until", newest});
    return AuditRows(n.node, options);
  };
  auto expected = [&](const std::function<bool(const std::vector<std::string>&)>& keep) {
    Rows out;
    for (const auto& row : all) {
      if (keep(row)) out.push_back(row);
    }
    return out;
  };
  auto time_of = [](const std::vector<std::string>& row) { return *ParseRfc3339(row[0]); };

  // po-1: C-1 opened; C-1 shown; store stats refused.
  const Rows by_user = listed({"--user", "po-1"});
  CHECK(by_user.size() == 3);
  for (const auto& row : by_user) CHECK(row[6].rfind("token ", 0) == 0);  // the harness's
  CHECK(by_user == expected([](const auto& r) { return r[1] == "po-1"; }));

  const Rows by_case = listed({"--case", "C-1"});
  CHECK(by_case.size() == 2);  // opened, and shown
  CHECK(by_case == expected([](const auto& r) { return r[4] == "C-1" || r[4] == "case/C-1"; }));

  const Rows by_verb = listed({"--verb", "case-show"});
  CHECK(by_verb.size() == 2);
  CHECK(by_verb == expected([](const auto& r) { return r[3] == "case-show"; }));
  CHECK(listed({"--verb", "case show"}) == by_verb);  // as typed

  const Rows refused = listed({"--outcome", "refused"});
  CHECK(refused == expected([](const auto& r) { return r[5] != "ok"; }));
  CHECK(std::count_if(refused.begin(), refused.end(),
                      [](const auto& r) { return r[3] == "store-stats"; }) == 1);
  const Rows allowed = listed({"--outcome", "allowed"});
  CHECK(allowed == expected([](const auto& r) { return r[5] == "ok"; }));
  CHECK(allowed.size() + refused.size() == all.size());
  CHECK(listed({"--outcome", "permission denied"}) ==
        expected([](const auto& r) { return r[5] == "permission denied"; }));

  // Times, inclusive: po-1's read, by its own time as listed.
  const Rows read = listed({"--user", "po-1", "--verb", "case-show"});
  REQUIRE(read.size() == 1);
  const std::string t = read[0][0];
  const int64_t at = time_of(read[0]);
  CHECK(AuditRows(n.node, {"--since", t, "--until", newest}) ==
        expected([&](const auto& r) { return time_of(r) >= at; }));
  CHECK(AuditRows(n.node, {"--until", t}) ==
        expected([&](const auto& r) { return time_of(r) <= at; }));
  CHECK(AuditRows(n.node, {"--since", t, "--until", t}) == read);

  // Together: every condition holds.
  const Rows together = listed({"--user", "po-1", "--outcome", "refused", "--since", t});
  REQUIRE(together.size() == 1);
  CHECK(together[0][3] == "store-stats");
  CHECK(together[0][5] == "permission denied");

  // Paged: --limit counts the entries that pass, and --after goes on with the same filters.
  auto first = n.node.Cli({"audit", "list", "--format", "csv", "--user", "po-1", "--limit", "2"},
                          "operator", "auditor");
  INFO(first.Describe());
  REQUIRE(first.exit == 0);
  CHECK(Lines(first.out).size() == 3);
  const size_t cursor_at = first.err.find("--after ");
  REQUIRE(cursor_at != std::string::npos);
  std::string cursor = first.err.substr(cursor_at + 8);
  cursor = cursor.substr(0, cursor.find_first_of(" \n)"));
  const Rows rest = AuditRows(n.node, {"--user", "po-1", "--after", cursor});
  REQUIRE(rest.size() == 1);
  CHECK(rest[0] == by_user.back());
}

TEST_CASE("audit list refuses a bad filter in one line naming the option", "[audit][filters]") {
  StartedNode n;
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--outcome", "maybe"}, "--outcome"},
      {{"--verb", "frobnicate"}, "--verb"},
      {{"--user", "two words"}, "--user"},
      {{"--case", "C 1"}, "--case"},
      {{"--since", "yesterday"}, "--since"},
      {{"--until", "2025-13-01"}, "--until"},
      {{"--since", "2025-03-02", "--until", "2025-03-01"}, "--since"},
  };
  for (const auto& [options, option] : bad) {
    std::vector<std::string> args = {"audit", "list"};
    args.insert(args.end(), options.begin(), options.end());
    auto r = n.node.Cli(args, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, option));
  }
}

}  // namespace holdfast::test
