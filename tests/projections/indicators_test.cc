// Indicator values against a county worked out by hand (SPEC "Indicators", docs/verbs.md
// `report indicators`): tests/projections/indicator_county.h tells its story; here each
// indicator of each period is asserted with its arithmetic beside it. The county goes
// through a real store and projector on a deriving node (so corrections, derived alerts
// and acknowledgements are folded as in the daemon), recorded in order, and again with
// its events arriving in other orders. The period is [from, to).
#include "projections/indicators.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "tests/projections/indicator_county.h"
#include "tests/projections/projector_node.h"

using namespace holdfast;
using testing::IndicatorCounty;
using testing::ProjectorNode;
using testing::Utc;

namespace {

const int64_t kNow = Utc("2025-06-01T00:00:00Z");  // after every raise time
using Counts = std::map<std::string, uint64_t>;

std::vector<Event> Copies(const std::vector<Event>& events) {
  std::vector<Event> out;
  for (const auto& e : events) out.push_back(Event::CopyOf(e.reader()));
  return out;
}

// The id of the alert of `rule` on `case_id` raised at `raised_at` (not withdrawn).
std::string AlertOf(const ProjectorNode& node, schema::AlertRule rule, const std::string& case_id,
                    int64_t raised_at) {
  for (const auto& [id, what] : node.Alerts()) {
    const AlertState a = node.Alert(id);
    if (a.rule == rule && a.case_id == case_id && a.raised_at == raised_at && !a.withdrawn) {
      return id;
    }
  }
  FAIL("no alert " << static_cast<int>(rule) << " on " << case_id << " raised at "
                   << FormatRfc3339(raised_at));
  return "";
}

void Acknowledge(ProjectorNode* node, const IndicatorCounty& county, bool before_corrections) {
  uint64_t n = before_corrections ? 0 : 100;
  for (const auto& ack : county.acks) {
    ++n;
    if (ack.before_corrections != before_corrections) continue;
    Event e = testing::MakeAlertAcknowledged(
        *ParseUuid(AlertOf(*node, ack.rule, ack.case_id, ack.raised_at)));
    e.builder().getOccurredAt().setUnixNanos(ack.at);
    node->Append(
        testing::WithId(std::move(e), Uuid{0xacc0000000004000ULL, 0x8000000000000000ULL | n}));
  }
  node->CatchUp();
}

// The county as one node records it: the first events, the acknowledgements made before
// the corrections, the corrections, the other acknowledgements.
void Record(ProjectorNode* node, const IndicatorCounty& county) {
  node->Append(Copies(county.first));
  node->CatchUp();
  Acknowledge(node, county, true);
  node->Append(Copies(county.corrections));
  node->CatchUp();
  Acknowledge(node, county, false);
}

// Compares a rate or median, printing both when they differ.
void CheckValue(const std::optional<double>& actual, std::optional<double> expected) {
  INFO("actual " << (actual ? std::to_string(*actual) : "null") << ", expected "
                 << (expected ? std::to_string(*expected) : "null"));
  REQUIRE(actual.has_value() == expected.has_value());
  if (expected) CHECK(*actual == Approx(*expected).epsilon(1e-12));
}

// March: [2025-03-01T00:00:00Z, 2025-04-01T00:00:00Z).
void CheckMarch(const IndicatorReport& r) {
  // referrals: C-1 at 03-01 00:00:00 (from is in), C-2 at 03-02 and again at 03-25 (a
  // re-referral counts again), C-4 at 03-31 23:59:59; not C-3 (01-20), C-6 (02-20), C-7
  // (01-10): 1 + 2 + 1 = 4.
  CHECK(r.referrals == 4);
  // starts: C-1 03-03, C-2 03-04, C-6 03-02, C-8 03-01 00:00:00; not C-3 (02-03), C-4
  // (04-01 00:00:00, to is out): 4.
  CHECK(r.starts == 4);
  // completions: C-1 03-31, C-6 03-16, C-8 03-28; not C-4 (04-10): 3.
  CHECK(r.completions == 3);
  // exits: C-2 non_compliance 03-20, C-3 moved_area 03-10; C-7's withdrew is 02-28
  // 23:59:59, before the period.
  CHECK(
      r.exits ==
      Counts{
          {"non_compliance", 1}, {"withdrew", 0}, {"moved_area", 1}, {"custody", 0}, {"other", 0}});
  // completion_rate: completions / (completions + exits) = 3 / (3 + 2) = 0.6.
  CheckValue(r.completion_rate, 3.0 / 5.0);
  // attendance_rate: standing outcomes in March, absent_acceptable left out.
  //   C-1: S-1 attended, S-2 late, S-3 left_early, S-4 attended (corrected from
  //        absent_unacceptable): 4 positive of 4; S-5 now stands at 04-02: not in March.
  //   C-2: S-1 and S-3 absent_unacceptable: 0 of 2; S-2 absent_acceptable: not counted.
  //   C-3: S-2 attended, moved to 03-01 10:00 by its correction: 1 of 1 (S-1 is 02-03).
  //   C-6: S-1 absent_unacceptable, S-2 attended (corrected): 1 of 2.
  //   (4 + 0 + 1 + 1) / (4 + 2 + 1 + 2) = 6 / 9 = 0.666667.
  CheckValue(r.attendance_rate, 6.0 / 9.0);
  // alerts raised in March and not withdrawn:
  //   non_engagement: C-2 at 03-18 18:00 (C-6's, 03-09, was withdrawn): 1.
  //   no_contact: C-8 at 03-22 00:00 (03-01 + 21 days; C-3's is 02-24): 1.
  //   reoffending: C-5 for INC-1 at 03-02 and INC-2 at 03-09 (reported twice: one): 2.
  //   breach: C-4 at 03-31 23:59:59 (the one at 04-01 00:00:00 is out): 1.
  //   dropout: C-2 at 03-20 (C-7's is 02-28): 1.
  //   risk_escalation: C-4 at 03-05, medium to high: 1.
  CHECK(r.alerts == Counts{{"non_engagement", 1},
                           {"no_contact", 1},
                           {"reoffending", 2},
                           {"breach", 1},
                           {"dropout", 1},
                           {"risk_escalation", 1}});
  // median_hours_to_acknowledge, over March's alerts that were acknowledged, from the
  // earliest acknowledgement:
  //   C-4 breach 03-31 23:59:59 -> 04-01 01:59:59 = 2 h (acknowledged after the period),
  //   C-8 no_contact 03-22 00:00 -> 03-22 05:00 = 5 h,
  //   C-2 non_engagement 03-18 18:00 -> 03-19 06:00 = 12 h (not the later 03-20 00:00),
  //   C-5 reoffending 03-02 10:00 -> 03-03 16:00 = 30 h;
  //   not C-3's no_contact (raised in February) nor C-6's non_engagement (withdrawn).
  //   Median of 2, 5, 12, 30 = (5 + 12) / 2 = 8.5.
  CheckValue(r.median_hours_to_acknowledge, 8.5);
  // subjects_with_repeat_incidents: P-5 (INC-1, INC-2: two references, INC-2 twice
  // counts once), P-91 (INC-6, INC-7 at 03-31 23:59:59); not P-90 (INC-3 only: INC-4 is
  // "other", INC-5 is in February): 2.
  CHECK(r.subjects_with_repeat_incidents == 2);
}

// February: [2025-02-01T00:00:00Z, 2025-03-01T00:00:00Z).
void CheckFebruary(const IndicatorReport& r) {
  CHECK(r.referrals == 1);    // C-6 02-20; C-1's 03-01 00:00:00 is the period's end
  CHECK(r.starts == 1);       // C-3 02-03
  CHECK(r.completions == 0);  // none
  // C-7 withdrew at 02-28 23:59:59, the period's last second.
  CHECK(
      r.exits ==
      Counts{
          {"non_compliance", 0}, {"withdrew", 1}, {"moved_area", 0}, {"custody", 0}, {"other", 0}});
  // completion_rate = 0 / (0 + 1) = 0: a zero numerator is 0, not null.
  CheckValue(r.completion_rate, 0.0);
  // attendance_rate: C-3 S-1 attended 02-03: 1 of 1. C-3's S-2 absence (02-24) does not
  // count: its correction stands, at 03-01. = 1.
  CheckValue(r.attendance_rate, 1.0);
  // no_contact: C-3 at 02-24 18:00; dropout: C-7 at 02-28 23:59:59.
  CHECK(r.alerts == Counts{{"non_engagement", 0},
                           {"no_contact", 1},
                           {"reoffending", 0},
                           {"breach", 0},
                           {"dropout", 1},
                           {"risk_escalation", 0}});
  // C-3's no_contact, 02-24 18:00 -> 03-01 00:00 = 4 days 6 h = 102 h; C-7's dropout was
  // not acknowledged. Median of one value: 102.
  CheckValue(r.median_hours_to_acknowledge, 102.0);
  CHECK(r.subjects_with_repeat_incidents == 0);  // P-90 has INC-5 only
}

// April: [2025-04-01T00:00:00Z, 2025-05-01T00:00:00Z).
void CheckApril(const IndicatorReport& r) {
  CHECK(r.referrals == 0);
  CHECK(r.starts == 1);       // C-4 at 04-01 00:00:00, from is in
  CHECK(r.completions == 1);  // C-4 04-10
  CHECK(
      r.exits ==
      Counts{
          {"non_compliance", 0}, {"withdrew", 0}, {"moved_area", 0}, {"custody", 0}, {"other", 0}});
  CheckValue(r.completion_rate, 1.0);  // 1 / (1 + 0)
  // C-1's S-5, corrected to absent_unacceptable at 04-02: 0 positive of 1 = 0.
  CheckValue(r.attendance_rate, 0.0);
  // C-4's second breach, at 04-01 00:00:00.
  CHECK(r.alerts == Counts{{"non_engagement", 0},
                           {"no_contact", 0},
                           {"reoffending", 0},
                           {"breach", 1},
                           {"dropout", 0},
                           {"risk_escalation", 0}});
  CheckValue(r.median_hours_to_acknowledge, std::nullopt);  // not acknowledged: null
  CHECK(r.subjects_with_repeat_incidents == 0);             // P-91: INC-8 only
}

// A period before anything happened: every count 0, every rate and the median null
// (nothing to divide by).
void CheckEmpty(const IndicatorReport& r) {
  CHECK(r.referrals == 0);
  CHECK(r.starts == 0);
  CHECK(r.completions == 0);
  for (const auto& [reason, n] : r.exits) CHECK(n == 0);
  CHECK(r.exits.size() == 5);
  for (const auto& [rule, n] : r.alerts) CHECK(n == 0);
  CHECK(r.alerts.size() == 6);
  CheckValue(r.completion_rate, std::nullopt);
  CheckValue(r.attendance_rate, std::nullopt);
  CheckValue(r.median_hours_to_acknowledge, std::nullopt);
  CHECK(r.subjects_with_repeat_incidents == 0);
}

void CheckAllPeriods(const ProjectorNode& node) {
  {
    INFO("March");
    CheckMarch(node.Indicators(Utc("2025-03-01T00:00:00Z"), Utc("2025-04-01T00:00:00Z")));
  }
  {
    INFO("February");
    CheckFebruary(node.Indicators(Utc("2025-02-01T00:00:00Z"), Utc("2025-03-01T00:00:00Z")));
  }
  {
    INFO("April");
    CheckApril(node.Indicators(Utc("2025-04-01T00:00:00Z"), Utc("2025-05-01T00:00:00Z")));
  }
  {
    INFO("2024");
    CheckEmpty(node.Indicators(Utc("2024-01-01T00:00:00Z"), Utc("2025-01-01T00:00:00Z")));
  }
}

}  // namespace

TEST_CASE("indicators of a county worked out by hand, for March, February, April and an empty year",
          "[projections][indicators]") {
  ProjectorNode node("probation-1", true, kNow);
  Record(&node, testing::MakeIndicatorCounty());
  CheckAllPeriods(node);
  // One second either side of March: the boundary events move in and out.
  const auto wider = node.Indicators(Utc("2025-02-28T23:59:59Z"), Utc("2025-04-01T00:00:01Z"));
  CHECK(wider.referrals == 4);             // March's 4; C-6's referral (02-20) is still before
  CHECK(wider.starts == 5);                // March's 4 + C-4's at 04-01 00:00:00
  CHECK(wider.exits.at("withdrew") == 1);  // C-7 at 02-28 23:59:59
  CHECK(wider.alerts.at("breach") == 2);   // 03-31 23:59:59 and 04-01 00:00:00
  CHECK(wider.alerts.at("dropout") == 2);  // C-2 03-20 and C-7 02-28 23:59:59
  CHECK(wider.subjects_with_repeat_incidents == 2);  // P-91 now has three: still one subject
  // A restart, and a rebuild from the log, give the same values.
  node.Restart();
  node.CatchUp();
  CheckAllPeriods(node);
  node.Rebuild();
  CheckAllPeriods(node);
}

TEST_CASE("indicators do not depend on the order the county's events arrive in",
          "[projections][indicators]") {
  // The county recorded once, on the node where it happens; its non-derived events (the
  // acknowledgements included), with their provenance, then reach another deriving node
  // in other orders, in batches, folding after each. Alerts raised on the way and then
  // withdrawn do not count, so every indicator is as above.
  ProjectorNode source("probation-1", true, kNow);
  Record(&source, testing::MakeIndicatorCounty());
  std::vector<Event> events;
  for (auto& e : source.Log()) {
    if (!e.reader().isAlertRaised() && !e.reader().isAlertWithdrawn())
      events.push_back(std::move(e));
  }
  std::mt19937_64 rng(12);
  for (int order = 0; order < 4; ++order) {
    INFO("order " << order);
    std::vector<Event> shuffled = Copies(events);
    if (order == 0) {
      std::reverse(shuffled.begin(), shuffled.end());
    } else {
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
    }
    ProjectorNode node("partnership-1", true, kNow);
    for (size_t i = 0; i < shuffled.size();) {
      const size_t n = std::min<size_t>(shuffled.size() - i, 1 + rng() % 7);
      std::vector<Event> batch;
      for (size_t k = 0; k < n; ++k) batch.push_back(Event::CopyOf(shuffled[i + k].reader()));
      i += n;
      node.Insert(std::move(batch));
      node.CatchUp();
    }
    CheckAllPeriods(node);
  }
}

TEST_CASE("IndicatorBuilder: a median of an odd count is the middle value",
          "[projections][indicators]") {
  // Three acknowledged alerts raised in the period, 1 h, 4 h and 10 h to acknowledge:
  // the median is 4. One raised before the period, and one withdrawn, do not count.
  const int64_t from = Utc("2025-03-01T00:00:00Z"), to = Utc("2025-04-01T00:00:00Z");
  const int64_t hour = 3600LL * 1000000000LL;
  IndicatorBuilder builder(from, to);
  auto alert = [&](int64_t raised_at, int64_t hours, bool withdrawn) {
    AlertState a;
    a.has_raised = true;
    a.rule = schema::AlertRule::BREACH;
    a.raised_at = raised_at;
    a.acknowledged_at = raised_at + hours * hour;
    a.withdrawn = withdrawn;
    builder.AddAlert(a);
  };
  alert(from, 10, false);
  alert(from + 5 * hour, 1, false);
  alert(to - 1, 4, false);
  alert(from - 1, 100, false);    // raised just before the period
  alert(from + hour, 200, true);  // withdrawn
  const auto r = builder.Finish();
  CHECK(r.alerts.at("breach") == 3);
  CheckValue(r.median_hours_to_acknowledge, 4.0);  // 1, 4, 10
}
