// The alerts' listing-order index (aidx/ rows, projections/row_keys.h): Projector::ScanAlerts
// reads a page from it, and must list exactly what a scan of every alert would, for every
// filter, as-of time and cursor, whatever order the alert events arrived in; a rebuild
// writes the same rows as folding chunk by chunk.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "projections/alert_filter.h"
#include "projections/projector.h"
#include "tests/projections/projector_node.h"

namespace holdfast {
namespace {

using testing::ProjectorNode;

constexpr int64_t kMinute = 60LL * 1000000000LL;
constexpr int64_t kT0 = testing::kOccurredAtNanos;
// The projector's evaluation time; some acknowledgements and resolutions come after it.
constexpr int64_t kNow = kT0 + 3000 * kMinute;

const char* const kUsers[] = {"pc-1", "pc-2", "po-3"};

Event At(Event e, int64_t t) {
  e.builder().getOccurredAt().setUnixNanos(t);
  return e;
}

// Alert events of `alerts` alerts over 12 cases: raises (some raised again at another
// time, some withdrawn and raised again), acknowledgements, resolutions (some after kNow)
// and assignments, each at a random time, appended on a source node so they carry
// provenance, in a random order.
std::vector<Event> AlertHistory(std::mt19937_64* rng, int alerts) {
  std::vector<Event> events;
  auto pick = [&](int64_t n) { return static_cast<int64_t>((*rng)() % static_cast<uint64_t>(n)); };
  const schema::AlertRule rules[] = {schema::AlertRule::BREACH, schema::AlertRule::NON_ENGAGEMENT,
                                     schema::AlertRule::REOFFENDING};
  const schema::Severity severities[] = {schema::Severity::HIGH, schema::Severity::MEDIUM,
                                         schema::Severity::LOW};
  for (int i = 0; i < alerts; ++i) {
    const Uuid alert = RandomUuid();
    const int64_t raised = kT0 + pick(2000) * kMinute;
    const std::string case_id = "C-" + std::to_string(pick(12));
    auto raise = [&](int64_t t) {
      Event e = At(testing::MakeAlertRaised(case_id, alert, "P-" + std::to_string(pick(4))), t);
      e.builder().getAlertRaised().setRule(rules[i % 3]);
      e.builder().getAlertRaised().setSeverity(severities[pick(3)]);
      return e;
    };
    if (pick(10) != 0) events.push_back(raise(raised));  // a tenth: never raised here
    if (pick(4) == 0) events.push_back(raise(raised + (pick(200) - 100) * kMinute));  // moved
    if (pick(6) == 0) {
      events.push_back(At(testing::MakeAlertWithdrawn(alert), raised + pick(50) * kMinute));
      if (pick(2) == 0) events.push_back(raise(raised + pick(300) * kMinute));  // raised again
    }
    if (pick(2) == 0) {
      const int64_t acked = raised + pick(1500) * kMinute;  // some after kNow
      events.push_back(At(testing::MakeAlertAcknowledged(alert), acked));
      if (pick(3) == 0)
        events.push_back(At(testing::MakeAlertAcknowledged(alert), acked - kMinute));
      if (pick(2) == 0) {
        events.push_back(At(testing::MakeAlertResolved(alert), acked + pick(900) * kMinute));
      }
    }
    for (int a = static_cast<int>(pick(3)); a > 0; --a) {
      events.push_back(
          At(testing::MakeAlertAssigned(alert, kUsers[pick(3)]), raised + pick(600) * kMinute));
    }
  }
  ProjectorNode source("source", false, kNow);
  for (auto& e : events) source.Append(std::move(e));
  auto logged = source.Log();
  std::shuffle(logged.begin(), logged.end(), *rng);
  return logged;
}

// Every alert the node holds, by a scan of the alert rows by id (not the index).
std::vector<AlertState> EveryAlert(const Projector& projector) {
  std::vector<AlertState> out;
  const char* hex = "0123456789abcdef";
  for (int a = 0; a < 16; ++a) {
    for (int b = 0; b < 16; ++b) {
      auto found = projector.FindAlertsByPrefix(std::string{hex[a], hex[b]}, 1000000);
      REQUIRE(found.ok());
      out.insert(out.end(), found->begin(), found->end());
    }
  }
  return out;
}

// "id status" per alert the filter lists, in listing order, worked out from every alert.
std::vector<std::string> Expected(const std::vector<AlertState>& every, const AlertFilter& filter,
                                  const std::optional<AlertCursor>& after) {
  std::vector<const AlertState*> listed;
  for (const AlertState& a : every) {
    if (after && std::tie(a.raised_at, a.alert) <= std::tie(after->raised_at, after->alert)) {
      continue;
    }
    auto status = StatusAsOf(a, filter.as_of);
    if (!status || (filter.status != "all" && *status != filter.status)) continue;
    if (!filter.rule.empty() && RuleName(a.rule) != filter.rule) continue;
    if (!MatchesTriage(filter, a)) continue;
    listed.push_back(&a);
  }
  std::sort(listed.begin(), listed.end(), [](const AlertState* a, const AlertState* b) {
    return std::tie(a->raised_at, a->alert) < std::tie(b->raised_at, b->alert);
  });
  std::vector<std::string> out;
  for (const AlertState* a : listed) {
    out.push_back(FormatUuid(a->alert) + " " + *StatusAsOf(*a, filter.as_of));
  }
  return out;
}

// The same from ScanAlerts, a page of `page` at a time (0: all at once), each page resuming
// after the last alert of the one before, as `alerts list --after` does.
std::vector<std::string> Listed(const Projector& projector, const AlertFilter& filter,
                                size_t page) {
  std::vector<std::string> out;
  std::optional<AlertCursor> after;
  for (;;) {
    size_t n = 0;
    REQUIRE(projector
                .ScanAlerts(filter, after,
                            [&](const ListedAlert& a) {
                              out.push_back(FormatUuid(a.state.alert) + " " + a.status);
                              after = AlertCursor{a.state.raised_at, a.state.alert};
                              return page == 0 || ++n < page;
                            })
                .ok());
    if (page == 0 || n < page) return out;
  }
}

// Every filter the listings use, at as-of times before, among and after the
// acknowledgements and resolutions.
std::vector<AlertFilter> Filters() {
  std::vector<AlertFilter> out;
  for (const char* status : {"open", "acknowledged", "resolved", "withdrawn", "all"}) {
    for (int64_t as_of : {kT0 + 500 * kMinute, kNow, kT0 + 10000 * kMinute}) {
      AlertFilter f;
      f.status = status;
      f.as_of = as_of;
      out.push_back(f);
      f.assigned_to = "pc-1";
      out.push_back(f);
      f.assigned_to.clear();
      f.since = kT0 + 1000 * kMinute;
      out.push_back(f);
      f.rule = "non_engagement";
      out.push_back(f);
      f.since.reset();
      f.severities = {schema::Severity::HIGH};
      f.subject = "P-1";
      out.push_back(f);
    }
  }
  return out;
}

void CheckListings(const ProjectorNode& node) {
  const auto every = EveryAlert(*node.projector());
  REQUIRE(every.size() > 100);
  size_t nonempty = 0;
  for (const AlertFilter& f : Filters()) {
    INFO("status " << f.status << ", as of " << FormatRfc3339(f.as_of) << ", assigned to "
                   << f.assigned_to << ", since " << f.since.value_or(0) << ", rule " << f.rule);
    const auto expected = Expected(every, f, std::nullopt);
    nonempty += !expected.empty();
    CHECK(Listed(*node.projector(), f, 0) == expected);
    CHECK(Listed(*node.projector(), f, 7) == expected);
    if (expected.size() > 3) {  // resuming after the third
      std::vector<std::string> rest(expected.begin() + 3, expected.end());
      const std::string third = expected[2].substr(0, expected[2].find(' '));
      std::optional<AlertCursor> after;
      for (const AlertState& a : every) {
        if (FormatUuid(a.alert) == third) after = AlertCursor{a.raised_at, a.alert};
      }
      REQUIRE(after);
      CHECK(Expected(every, f, after) == rest);
    }
  }
  CHECK(nonempty > Filters().size() / 2);  // the filters select something, mostly
}

}  // namespace

TEST_CASE("alerts listed from the index are those a scan of every alert lists, page by page",
          "[projections][alert-index]") {
  std::mt19937_64 rng(GENERATE(1u, 2u, 3u));
  const auto events = AlertHistory(&rng, 300);
  ProjectorNode node("police-1", false, kNow);
  for (size_t i = 0; i < events.size();) {
    const size_t n = std::min<size_t>(events.size() - i, 1 + rng() % 60);
    std::vector<Event> chunk;
    for (size_t k = 0; k < n; ++k) chunk.push_back(Event::CopyOf(events[i + k].reader()));
    i += n;
    node.Insert(std::move(chunk));
    node.CatchUp();
  }
  CheckListings(node);

  // A rebuild writes the same rows, the index's among them.
  const auto incremental = testing::ProjectionRows(node.store());
  node.Rebuild();
  CHECK(testing::ProjectionRows(node.store()) == incremental);
}

TEST_CASE("an alert leaves its old places in the index when it moves, changes or is assigned",
          "[projections][alert-index]") {
  ProjectorNode node("police-1", false, kNow);
  const Uuid alert = RandomUuid();
  AlertFilter open;
  open.as_of = kNow;
  auto ids = [&](const AlertFilter& f) { return Listed(*node.projector(), f, 0); };
  const std::string id = FormatUuid(alert);
  node.Append(At(testing::MakeAlertRaised("C-1", alert), kT0));
  node.CatchUp();
  CHECK(ids(open) == std::vector<std::string>{id + " open"});

  // Raised again, earlier: listed once, at the new time.
  node.Append(At(testing::MakeAlertRaised("C-1", alert), kT0 - 10 * kMinute));
  node.Append(At(testing::MakeAlertAssigned(alert, "pc-1"), kT0));
  node.CatchUp();
  AlertFilter since = open;
  since.since = kT0 - 5 * kMinute;
  CHECK(ids(open) == std::vector<std::string>{id + " open"});
  CHECK(ids(since).empty());

  // Acknowledged and reassigned: gone from open and from pc-1's, in acknowledged and pc-2's.
  node.Append(At(testing::MakeAlertAcknowledged(alert), kT0 + kMinute));
  node.Append(At(testing::MakeAlertAssigned(alert, "pc-2"), kT0 + 2 * kMinute));
  node.CatchUp();
  CHECK(ids(open).empty());
  AlertFilter acknowledged = open;
  acknowledged.status = "acknowledged";
  CHECK(ids(acknowledged) == std::vector<std::string>{id + " acknowledged"});
  AlertFilter mine = open;
  mine.status = "all";
  mine.assigned_to = "pc-1";
  CHECK(ids(mine).empty());
  mine.assigned_to = "pc-2";
  CHECK(ids(mine) == std::vector<std::string>{id + " acknowledged"});
  // As of before the acknowledgement it was open.
  AlertFilter before = open;
  before.as_of = kT0;
  CHECK(ids(before) == std::vector<std::string>{id + " open"});

  // Every aidx/ row names the alert once per place it is filed: raise, status, assignee.
  size_t index_rows = 0;
  auto table = node.store()->Table("projections");
  REQUIRE(table.ok());
  REQUIRE(table
              ->Scan("aidx/",
                     [&](std::string_view key, std::string_view) {
                       index_rows += key != "aidx/t";
                       return true;
                     })
              .ok());
  CHECK(index_rows == 3);
}

}  // namespace holdfast
