// Order independence (SPEC "Accountability alert rules"): a node's alerts and indicators are
// a function of the set of events it holds and the evaluation time, whatever order the
// events arrived in, with duplicates, with derivation running between arrivals.
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <sstream>

#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "ops/sample/county.h"
#include "projections/projector.h"

using namespace holdfast;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/holdfast-property-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

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

struct Outcome {
  std::vector<std::string> alerts;  // one line per listed alert, per as-of time
  std::vector<std::string> indicators;
};

// Loads `events` into a fresh deriving node in chunks, deriving after each chunk, and
// reads what a user would list.
Outcome Load(const std::vector<const Event*>& events, std::mt19937_64* rng,
             const std::vector<int64_t>& as_of, int64_t now, int64_t from, int64_t to) {
  TempDir dir;
  auto store = EventStore::Open(dir.path, StoreOptions{"probation-1"});
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
  TempDir source_dir;
  const int64_t start = 1736121600LL * kSecond;  // the county's first day
  const int64_t span = sample::kSpanDays * 86400LL * kSecond;
  const std::vector<int64_t> as_of = {start + span / 4, start + span / 2,
                                      start + span + 90LL * 86400 * kSecond};
  const int64_t now = start + span + 120LL * 86400 * kSecond;

  for (uint64_t seed : {11u, 29u}) {
    INFO("county seed " << seed);
    auto events = StoredCounty(seed, 24, source_dir.path + "/" + std::to_string(seed));
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
