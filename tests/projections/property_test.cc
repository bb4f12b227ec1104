// Order independence (SPEC "Accountability alert rules"): a node's alerts and indicators are
// a function of the set of events it holds and the evaluation time, whatever order the
// events arrived in, with duplicates, with derivation running between arrivals.
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "ops/sample/county.h"
#include "projections/facts.h"
#include "projections/projector.h"
#include "tests/eventstore/test_events.h"
#include "tests/projections/projector_node.h"

using namespace holdfast;

namespace {

constexpr int64_t kSecond = 1000000000LL;

// The county as stored events: appended once to a source node so each carries the
// provenance (origin, seq, recorded_at) it would carry when it reaches other nodes.
std::vector<Event> StoredCounty(uint64_t seed, int64_t cases, const std::string& dir) {
  auto source = EventStore::Open(dir, StoreOptions{"source"});
  REQUIRE(source.ok());
  sample::CountyOptions options;
  options.seed = seed;
  options.cases = cases;
  std::vector<Event> batch;
  for (const auto& line : sample::GenerateCountyLines(options)) {
    auto e = EventFromJson(line);
    REQUIRE(e.ok());
    batch.push_back(std::move(e).value());
  }
  REQUIRE((*source)->Append(std::move(batch)).ok());
  std::vector<Event> out;
  REQUIRE((*source)
              ->ScanLog(0,
                        [&](uint64_t, schema::Event::Reader e) {
                          out.push_back(Event::CopyOf(e));
                          return true;
                        })
              .ok());
  return out;
}

// The county's events with voids appended after them on the same source node: about
// `share` of the voidable events voided (some twice), and a few voids of events no node
// holds. `voided` gets the ids of the events voided.
std::vector<Event> StoredCountyWithVoids(uint64_t seed, int64_t cases, const std::string& dir,
                                         double share, std::set<std::string>* voided) {
  auto county = StoredCounty(seed, cases, dir);
  std::mt19937_64 rng(seed * 7919);
  std::vector<Event> voids;
  for (const auto& e : county) {
    if (!IsVoidable(e.reader().which())) continue;
    if (static_cast<double>(rng() % 10000) >= share * 10000) continue;
    const Uuid id = ToUuid(e.reader().getId());
    voided->insert(FormatUuid(id));
    voids.push_back(testing::MakeRecordVoided(id));
    if (rng() % 5 == 0) voids.push_back(testing::MakeRecordVoided(id));  // voided twice
  }
  for (int i = 0; i < 3; ++i) voids.push_back(testing::MakeRecordVoided(RandomUuid()));
  auto source = EventStore::Open(dir, StoreOptions{"source"});
  REQUIRE(source.ok());
  const uint64_t after = (*source)->LastPosition();
  REQUIRE((*source)->Append(std::move(voids)).ok());
  REQUIRE((*source)
              ->ScanLog(after,
                        [&](uint64_t, schema::Event::Reader e) {
                          county.push_back(Event::CopyOf(e));
                          return true;
                        })
              .ok());
  return county;
}

// The lines of `a` not in `b`: what a failed comparison reports.
std::vector<std::string> Missing(const std::vector<std::string>& a,
                                 const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& line : a) {
    if (std::find(b.begin(), b.end(), line) == b.end()) out.push_back(line);
  }
  return out;
}

struct Outcome {
  std::vector<std::string> alerts;  // one line per listed alert, per as-of time
  std::vector<std::string> indicators;
};

// Loads `events` into a fresh deriving node in chunks, deriving after each chunk, and
// reads what a user would list.
Outcome Load(const std::vector<const Event*>& events, std::mt19937_64* rng,
             const std::vector<int64_t>& as_of, int64_t now, int64_t from, int64_t to) {
  testing::TempDir dir;
  auto store = EventStore::Open(dir.path(), StoreOptions{"probation-1"});
  REQUIRE(store.ok());
  RuleConfig rules;
  rules.derive = true;
  auto projector = Projector::Open(store->get(), rules, [now] { return now; });
  REQUIRE(projector.ok());
  size_t i = 0;
  while (i < events.size()) {
    const size_t n = std::min<size_t>(events.size() - i, 1 + (*rng)() % 400);
    std::vector<Event> chunk;
    for (size_t k = 0; k < n; ++k) chunk.push_back(Event::CopyOf(events[i + k]->reader()));
    i += n;
    auto r = (*store)->Insert(std::move(chunk));
    REQUIRE(r.ok());
    REQUIRE((*projector)->CatchUp().ok());
  }
  Outcome out;
  for (int64_t t : as_of) {
    AlertFilter filter;
    filter.status = "all";
    filter.as_of = t;
    auto listed = (*projector)->ListAlerts(filter);
    REQUIRE(listed.ok());
    for (const auto& a : *listed) {
      // Withdrawn alerts record that this node once raised them: they depend on the
      // arrival history by design, so the comparison is of every alert that stands.
      if (a.status == "withdrawn") continue;
      std::ostringstream line;
      line << FormatRfc3339(t) << " " << FormatUuid(a.state.alert) << " " << RuleName(a.state.rule)
           << " " << a.state.case_id << " " << a.state.subject << " " << a.state.intervention << " "
           << FormatRfc3339(a.state.raised_at) << " " << a.status << " "
           << FormatUuid(a.state.trigger) << " " << a.state.reason;
      out.alerts.push_back(line.str());
    }
  }
  auto report = (*projector)->Indicators(from, to);
  REQUIRE(report.ok());
  out.indicators.push_back(RenderIndicators(*report, "json"));
  auto half = (*projector)->Indicators(from, from + (to - from) / 2);
  REQUIRE(half.ok());
  out.indicators.push_back(RenderIndicators(*half, "json"));
  REQUIRE((*store)->Verify().ok());
  return out;
}

}  // namespace

TEST_CASE("alerts and indicators do not depend on arrival order or duplicates",
          "[projections][property]") {
  testing::TempDir source_dir;
  const int64_t start = 1736121600LL * kSecond;  // the county's first day
  const int64_t span = sample::kSpanDays * 86400LL * kSecond;
  const std::vector<int64_t> as_of = {start + span / 4, start + span / 2,
                                      start + span + 90LL * 86400 * kSecond};
  const int64_t now = start + span + 120LL * 86400 * kSecond;

  for (uint64_t seed : {11u, 29u}) {
    INFO("county seed " << seed);
    auto events = StoredCounty(seed, 24, source_dir.path() + "/" + std::to_string(seed));
    std::vector<const Event*> in_order;
    for (const auto& e : events) in_order.push_back(&e);
    std::mt19937_64 rng(seed);
    const Outcome reference = Load(in_order, &rng, as_of, now, start, start + span);
    REQUIRE(reference.alerts.size() > 10);  // the county must exercise the rules
    for (int round = 0; round < 20; ++round) {
      INFO("shuffled order " << round);
      std::vector<const Event*> shuffled = in_order;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      for (size_t d = 0; d < in_order.size() / 20; ++d) {  // and 5% arrive twice
        shuffled.insert(shuffled.begin() + static_cast<long>(rng() % shuffled.size()),
                        in_order[rng() % in_order.size()]);
      }
      const Outcome got = Load(shuffled, &rng, as_of, now, start, start + span);
      REQUIRE(got.alerts == reference.alerts);
      REQUIRE(got.indicators == reference.indicators);
    }
  }
}

// SPEC "Keeping the record right": a voided event is treated as absent, exactly as if it
// had never arrived, and a void may arrive before the event it voids.
TEST_CASE(
    "with voids among the events, alerts and indicators are those of the events without the "
    "voided ones, whatever order they arrive in (voids before their events included)",
    "[projections][property][void]") {
  testing::TempDir source_dir;
  const int64_t start = 1736121600LL * kSecond;
  const int64_t span = sample::kSpanDays * 86400LL * kSecond;
  const std::vector<int64_t> as_of = {start + span / 4, start + span / 2,
                                      start + span + 90LL * 86400 * kSecond};
  const int64_t now = start + span + 120LL * 86400 * kSecond;

  for (uint64_t seed : {5u, 17u}) {
    INFO("county seed " << seed);
    std::set<std::string> voided;
    auto events = StoredCountyWithVoids(seed, 24, source_dir.path() + "/" + std::to_string(seed),
                                        0.08, &voided);
    REQUIRE(voided.size() > 20);
    std::vector<const Event*> in_order, never_voided;
    size_t voids = 0;
    for (const auto& e : events) {
      in_order.push_back(&e);
      if (e.reader().isRecordVoided()) {
        ++voids;
      } else if (voided.count(FormatUuid(ToUuid(e.reader().getId()))) == 0) {
        never_voided.push_back(&e);
      }
    }
    std::mt19937_64 rng(seed);
    // A node that never received the voided events (nor their voids).
    const Outcome absent = Load(never_voided, &rng, as_of, now, start, start + span);
    REQUIRE(absent.alerts.size() > 10);
    // The voids arrived last, after the events they void: folded and evaluated before.
    const Outcome late = Load(in_order, &rng, as_of, now, start, start + span);
    CHECK(Missing(late.alerts, absent.alerts) == std::vector<std::string>{});
    CHECK(Missing(absent.alerts, late.alerts) == std::vector<std::string>{});
    CHECK(late.alerts == absent.alerts);
    CHECK(late.indicators == absent.indicators);
    for (int round = 0; round < 12; ++round) {
      INFO("shuffled order " << round);
      std::vector<const Event*> shuffled = in_order;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      if (round % 2 == 0) {  // every void before every other event
        std::stable_partition(shuffled.begin(), shuffled.end(),
                              [](const Event* e) { return e->reader().isRecordVoided(); });
      }
      for (size_t d = 0; d < in_order.size() / 20; ++d) {  // and 5% arrive twice
        shuffled.insert(shuffled.begin() + static_cast<long>(rng() % shuffled.size()),
                        in_order[rng() % in_order.size()]);
      }
      const Outcome got = Load(shuffled, &rng, as_of, now, start, start + span);
      CHECK(Missing(got.alerts, absent.alerts) == std::vector<std::string>{});
      CHECK(Missing(absent.alerts, got.alerts) == std::vector<std::string>{});
      REQUIRE(got.alerts == absent.alerts);
      REQUIRE(got.indicators == absent.indicators);
    }
    CHECK(voids > voided.size());  // some were voided twice
  }
}

namespace {

using testing::ProjectionRows;

std::vector<std::string> AlertLines(Projector* projector, int64_t as_of) {
  AlertFilter filter;
  filter.status = "all";
  filter.as_of = as_of;
  auto listed = projector->ListAlerts(filter);
  REQUIRE(listed.ok());
  std::vector<std::string> lines;
  for (const auto& a : *listed) {
    lines.push_back(FormatUuid(a.state.alert) + " " + RuleName(a.state.rule) + " " +
                    a.state.case_id + " " + a.state.intervention + " " +
                    FormatRfc3339(a.state.raised_at) + " " + a.status + " " + a.state.reason);
  }
  return lines;
}

}  // namespace

// Projector::Rebuild folds the log in one pass of its own (projections/rebuild.cc); it must
// leave the very rows incremental folding leaves, whatever order the events arrived in.
TEST_CASE("a rebuild writes exactly the rows incremental folding wrote",
          "[projections][property][rebuild]") {
  testing::TempDir source_dir;
  const int64_t start = 1736121600LL * kSecond;
  const int64_t span = sample::kSpanDays * 86400LL * kSecond;
  for (int64_t now :
       std::vector<int64_t>{start + span / 2, start + span + 120LL * 86400 * kSecond}) {
    for (bool derive : {true, false}) {
      INFO("derive " << derive << ", now " << FormatRfc3339(now));
      const uint64_t seed = derive ? 7 : 13;
      // With voids among the events: some arrive before the events they void.
      std::set<std::string> voided;
      auto events = StoredCountyWithVoids(
          seed, 30, source_dir.path() + "/" + std::to_string(now) + (derive ? "d" : "n"), 0.05,
          &voided);
      std::vector<const Event*> order;
      for (const auto& e : events) order.push_back(&e);
      std::mt19937_64 rng(seed);
      std::shuffle(order.begin(), order.end(), rng);
      for (size_t d = 0; d < order.size() / 20; ++d) order.push_back(order[rng() % order.size()]);

      testing::TempDir dir;
      auto store = EventStore::Open(dir.path(), StoreOptions{"probation-1"});
      REQUIRE(store.ok());
      RuleConfig rules;
      rules.derive = derive;
      auto projector = Projector::Open(store->get(), rules, [now] { return now; });
      REQUIRE(projector.ok());
      for (size_t i = 0; i < order.size();) {
        const size_t n = std::min<size_t>(order.size() - i, 1 + rng() % 300);
        std::vector<Event> chunk;
        for (size_t k = 0; k < n; ++k) chunk.push_back(Event::CopyOf(order[i + k]->reader()));
        i += n;
        REQUIRE((*store)->Insert(std::move(chunk)).ok());
        REQUIRE((*projector)->CatchUp().ok());
      }
      const auto incremental = ProjectionRows(store->get());
      const uint64_t held = (*store)->LastPosition();
      REQUIRE(incremental.size() > 1000);

      std::vector<std::pair<uint64_t, uint64_t>> progress;
      REQUIRE(
          (*projector)
              ->Rebuild([&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); })
              .ok());
      CHECK((*store)->LastPosition() == held);  // it derived nothing the node lacked
      CHECK((*projector)->checkpoint() == held);
      REQUIRE(!progress.empty());
      CHECK(progress.back() == std::make_pair(held, held));
      const auto rebuilt = ProjectionRows(store->get());
      CHECK(rebuilt.size() == incremental.size());
      REQUIRE(rebuilt == incremental);

      // Again, and after a reopen: the same rows, and folding carries on from them.
      REQUIRE((*projector)->Rebuild().ok());
      REQUIRE(ProjectionRows(store->get()) == incremental);
      projector->reset();
      auto reopened = Projector::Open(store->get(), rules, [now] { return now; });
      REQUIRE(reopened.ok());
      CHECK((*reopened)->checkpoint() == held);
      REQUIRE((*reopened)->CatchUp().ok());
      CHECK(ProjectionRows(store->get()) == incremental);
    }
  }
}

TEST_CASE("a rebuild drops rows the log does not support and derives what a node lacked",
          "[projections][rebuild]") {
  testing::TempDir source_dir, dir;
  constexpr int64_t start = 1736121600LL * kSecond;
  constexpr int64_t now = start + sample::kSpanDays * 86400LL * kSecond + 120LL * 86400 * kSecond;
  auto events = StoredCounty(5, 24, source_dir.path());

  // A node that folded the county without deriving (a provider's, say)...
  auto store = EventStore::Open(dir.path(), StoreOptions{"probation-1"});
  REQUIRE(store.ok());
  RuleConfig plain;
  auto projector = Projector::Open(store->get(), plain, [] { return now; });
  REQUIRE(projector.ok());
  std::vector<Event> all;
  for (const auto& e : events) all.push_back(Event::CopyOf(e.reader()));
  REQUIRE((*store)->Insert(std::move(all)).ok());
  REQUIRE((*projector)->CatchUp().ok());
  CHECK(AlertLines(projector->get(), now).empty());
  // ... with rows no event supports (written by hand here; by an older build, say).
  auto table = (*store)->Table("projections");
  REQUIRE(table.ok());
  SideBatch stale_rows;
  stale_rows.Put(*table, "case/C-STALE", "junk");
  stale_rows.Put(*table, "zzz", "junk");
  REQUIRE((*store)->Write(stale_rows).ok());
  const uint64_t before = (*store)->LastPosition();

  // Rebuilt as a deriving node: the stale rows go, the alerts are derived and appended,
  // and the result is what a node that derived all along lists.
  projector->reset();
  RuleConfig deriving;
  deriving.derive = true;
  auto rebuilt = Projector::Open(store->get(), deriving, [] { return now; });
  REQUIRE(rebuilt.ok());
  uint64_t told = 0;
  (*rebuilt)->AddFeedListener([&](uint64_t last) { told = last; });
  REQUIRE((*rebuilt)->Rebuild().ok());
  CHECK((*store)->LastPosition() > before);
  CHECK((*rebuilt)->checkpoint() == (*store)->LastPosition());
  auto stale = (*rebuilt)->GetCase("C-STALE");
  REQUIRE(stale.ok());
  CHECK(!stale->has_value());
  CHECK(table->Get("zzz").status().code() == Status::Code::kNotFound);
  const auto derived = AlertLines(rebuilt->get(), now);
  REQUIRE(derived.size() > 10);
  // Each alert the rebuild raised is one "raised" change of the feed, and the feed's readers
  // were told how far it runs.
  std::set<std::string> raised;
  REQUIRE((*rebuilt)
              ->ScanFeed(0,
                         [&](const FeedEntry& e) {
                           if (e.change == AlertChange::kRaised) {
                             raised.insert(FormatUuid(e.alert.alert));
                           }
                           return true;
                         })
              .ok());
  CHECK(raised.size() == derived.size());
  auto end = (*rebuilt)->FeedEnd();
  REQUIRE(end.ok());
  CHECK(told == *end);

  testing::TempDir other_dir;
  auto other = EventStore::Open(other_dir.path(), StoreOptions{"probation-1"});
  REQUIRE(other.ok());
  auto incremental = Projector::Open(other->get(), deriving, [] { return now; });
  REQUIRE(incremental.ok());
  std::vector<Event> again;
  for (const auto& e : events) again.push_back(Event::CopyOf(e.reader()));
  REQUIRE((*other)->Insert(std::move(again)).ok());
  REQUIRE((*incremental)->CatchUp().ok());
  CHECK(AlertLines(incremental->get(), now) == derived);
  auto cases = (*rebuilt)->ListCases();
  auto other_cases = (*incremental)->ListCases();
  REQUIRE(cases.ok());
  REQUIRE(other_cases.ok());
  CHECK(cases->size() == other_cases->size());
  auto report = (*rebuilt)->Indicators(start, now);
  auto other_report = (*incremental)->Indicators(start, now);
  REQUIRE(report.ok());
  REQUIRE(other_report.ok());
  CHECK(RenderIndicators(*report, "json") == RenderIndicators(*other_report, "json"));
}
