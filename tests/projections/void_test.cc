// Voids (SPEC "Keeping the record right"), through a real store and the projector: a voided
// event is absent from every projection, whether its void arrives after it or before it,
// across restarts and rebuilds; the alerts it alone supported are withdrawn; a correction it
// overrode stands again; two voids of one event are one; alert events cannot be voided.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "projections/projector.h"
#include "tests/projections/projector_node.h"

namespace holdfast::testing {
namespace {

constexpr int64_t kDay = 86400LL * 1000000000LL;
const int64_t kStart = kOccurredAtNanos;            // 2025-03-04T18:00:00Z
const int64_t kNow = kOccurredAtNanos + 60 * kDay;  // the evaluation time

Event At(Event e, int64_t t) {
  e.builder().getOccurredAt().setUnixNanos(t);
  return e;
}

Event Void(const Event& target, const std::string& reason = "recorded against the wrong case") {
  Event v = MakeRecordVoided(IdOf(target));
  v.builder().getRecordVoided().setReason(reason);
  return At(std::move(v), kStart + 50 * kDay);
}

// The only alert listed, as "status": the tests below raise at most one.
std::string OnlyAlertStatus(const ProjectorNode& node) {
  auto alerts = node.Alerts();
  REQUIRE(alerts.size() == 1);
  return alerts.begin()->second.substr(0, alerts.begin()->second.find(' '));
}

std::optional<VoidRow> VoidOf(const ProjectorNode& node, const Event& target) {
  auto v = node.projector()->GetVoid(IdOf(target));
  REQUIRE(v.ok());
  return *v;
}

}  // namespace

TEST_CASE(
    "a voided breach's alert is withdrawn, and a void that arrives first keeps it from "
    "ever being raised",
    "[projections][void]") {
  const Event opened = At(MakeCaseOpened("C-1"), kStart);
  const Event breach = At(MakeBreach("C-1"), kStart + kDay);
  const Event void_breach = Void(breach);

  ProjectorNode late("probation-1", true, kNow);
  late.Append(Event::CopyOf(opened.reader()));
  late.Append(Event::CopyOf(breach.reader()));
  late.CatchUp();
  CHECK(OnlyAlertStatus(late) == "open");
  late.Append(Event::CopyOf(void_breach.reader()));
  late.CatchUp();
  CHECK(OnlyAlertStatus(late) == "withdrawn");  // late evidence: withdrawn, never deleted
  auto v = VoidOf(late, breach);
  REQUIRE(v.has_value());
  CHECK(v->void_id == IdOf(void_breach));
  CHECK(v->reason == "recorded against the wrong case");

  ProjectorNode first("probation-1", true, kNow);
  first.Append(Event::CopyOf(void_breach.reader()));
  first.CatchUp();
  first.Restart();  // the void is held across a restart, before its event arrives
  first.Append(Event::CopyOf(opened.reader()));
  first.Append(Event::CopyOf(breach.reader()));
  first.CatchUp();
  CHECK(first.Alerts().empty());
  CHECK(first.LifecycleEvents() == 0);
  // A rebuild folds the same: nothing, and appends nothing.
  const uint64_t held = first.Last();
  first.Rebuild();
  CHECK(first.Alerts().empty());
  CHECK(first.Last() == held);
}

TEST_CASE("voiding a correction lets the record it overrode stand again", "[projections][void]") {
  // S-1 and S-2 are unacceptable absences (non_engagement: 2 within 365 days); S-2 is
  // corrected to attended, then the correction is voided.
  ProjectorNode node("probation-1", true, kNow);
  node.Append(At(MakeCaseOpened("C-1"), kStart));
  node.Append(At(MakeReferred("C-1"), kStart));
  node.Append(At(MakeStarted("C-1"), kStart));
  const auto absent = schema::AttendanceOutcome::ABSENT_UNACCEPTABLE;
  node.Append(At(MakeAttendance("C-1", "I-1", "S-1", absent), kStart + 7 * kDay));
  node.Append(At(MakeAttendance("C-1", "I-1", "S-2", absent), kStart + 14 * kDay));
  const Event correction = At(
      MakeAttendance("C-1", "I-1", "S-2", schema::AttendanceOutcome::ATTENDED), kStart + 14 * kDay);
  node.Append(Event::CopyOf(correction.reader()));
  node.CatchUp();
  auto standing = [&] {
    std::vector<std::string> out;
    for (const auto& [id, status] : node.Alerts()) {
      if (status.rfind("withdrawn", 0) != 0) out.push_back(id);
    }
    return out;
  };
  const auto before = standing();  // no non_engagement: one absence stands
  const auto before_rate = node.Indicators(kStart, kNow).attendance_rate;
  node.Append(Void(correction, "the correction was for another person"));
  node.CatchUp();
  const auto after = standing();
  CHECK(after.size() == before.size() + 1);  // non_engagement, raised at S-2
  const auto after_rate = node.Indicators(kStart, kNow).attendance_rate;
  REQUIRE(before_rate.has_value());
  REQUIRE(after_rate.has_value());
  CHECK(*after_rate < *before_rate);  // S-2 counts as an absence again
  // The same rows as a node that never had the correction.
  ProjectorNode never("probation-1", true, kNow);
  never.Append(At(MakeCaseOpened("C-1"), kStart));
  never.Append(At(MakeReferred("C-1"), kStart));
  never.Append(At(MakeStarted("C-1"), kStart));
  never.Append(At(MakeAttendance("C-1", "I-1", "S-1", absent), kStart + 7 * kDay));
  never.Append(At(MakeAttendance("C-1", "I-1", "S-2", absent), kStart + 14 * kDay));
  never.CatchUp();
  CHECK(never.Indicators(kStart, kNow).attendance_rate == after_rate);
  CHECK(never.Standing().size() == after.size());
}

TEST_CASE(
    "two voids of one event are one void, the first standing, and an alert event cannot be "
    "voided",
    "[projections][void]") {
  ProjectorNode node("probation-1", true, kNow);
  node.Append(At(MakeCaseOpened("C-1"), kStart));
  const Event breach = At(MakeBreach("C-1"), kStart + kDay);
  node.Append(Event::CopyOf(breach.reader()));
  node.CatchUp();
  REQUIRE(OnlyAlertStatus(node) == "open");

  // A void of the alert's raise (refused at entry; it may still arrive) changes nothing.
  Uuid raise;
  for (const auto& e : node.Log()) {
    if (e.reader().isAlertRaised()) raise = IdOf(e);
  }
  Event void_raise = MakeRecordVoided(raise);
  node.Append(std::move(void_raise));
  node.CatchUp();
  CHECK(OnlyAlertStatus(node) == "open");

  Event second = At(Void(breach, "second void"), kStart + 52 * kDay);
  Event first = At(Void(breach, "first void"), kStart + 51 * kDay);
  node.Append(std::move(second));
  node.CatchUp();
  node.Append(Event::CopyOf(first.reader()));
  node.CatchUp();
  CHECK(OnlyAlertStatus(node) == "withdrawn");
  auto v = VoidOf(node, breach);
  REQUIRE(v.has_value());
  CHECK(v->reason == "first void");  // the earlier void stands, whichever arrived first
  const size_t lifecycle = node.LifecycleEvents();
  node.Append(Void(breach, "third void"));
  node.CatchUp();
  CHECK(node.LifecycleEvents() == lifecycle);  // nothing changed
}

TEST_CASE("a voided referral leaves the provider's cases, a voided start leaves its group",
          "[projections][void]") {
  ProjectorNode node("probation-1", false, kNow);
  node.Append(At(MakeCaseOpened("C-1"), kStart));
  Event referral = At(MakeReferred("C-1", "I-1"), kStart);
  referral.builder().getInterventionReferred().setProvider("provider-a");
  Event start = At(MakeStarted("C-1", "I-1"), kStart + kDay);
  start.builder().getInterventionStarted().setGroup("grpA");
  node.Append(Event::CopyOf(referral.reader()));
  node.Append(Event::CopyOf(start.reader()));
  node.CatchUp();
  auto members = [&] {
    std::vector<std::string> out;
    REQUIRE(node.projector()
                ->ScanGroup("grpA",
                            [&](std::string_view c, std::string_view i) {
                              out.push_back(std::string(c) + "/" + std::string(i));
                              return true;
                            })
                .ok());
    return out;
  };
  auto referred = [&] {
    auto r = node.projector()->IsReferredTo("provider-a", "C-1", "I-1");
    REQUIRE(r.ok());
    return *r;
  };
  CHECK(members() == std::vector<std::string>{"C-1/I-1"});
  CHECK(referred());
  node.Append(Void(start));
  node.CatchUp();
  CHECK(members().empty());
  CHECK(referred());
  node.Append(Void(referral));
  node.CatchUp();
  CHECK_FALSE(referred());
  CHECK(node.Indicators(kStart, kNow).referrals == 0);
  CHECK(node.Indicators(kStart, kNow).starts == 0);
  // The case itself stands.
  auto row = node.projector()->GetCase("C-1");
  REQUIRE(row.ok());
  REQUIRE(row->has_value());
  CHECK((*row)->has_opened);
}

TEST_CASE(
    "a voided opening leaves the case unopened and withdraws its alerts, and a voided "
    "incident withdraws its reoffending alert",
    "[projections][void]") {
  ProjectorNode node("probation-1", true, kNow);
  const Event opened = At(MakeCaseOpened("C-1", "P-1"), kStart);
  node.Append(Event::CopyOf(opened.reader()));
  const Event incident = At(MakeIncident("P-1"), kStart + kDay);
  node.Append(Event::CopyOf(incident.reader()));
  node.CatchUp();
  REQUIRE(OnlyAlertStatus(node) == "open");  // reoffending
  CHECK(node.Indicators(kStart, kNow).subjects_with_repeat_incidents == 0);
  node.Append(Void(incident));
  node.CatchUp();
  CHECK(OnlyAlertStatus(node) == "withdrawn");

  node.Append(At(MakeBreach("C-1"), kStart + 2 * kDay));
  node.CatchUp();
  CHECK(node.Standing().size() == 1);  // the breach's
  node.Append(Void(opened, "opened under the wrong case id"));
  node.CatchUp();
  CHECK(node.Standing().empty());
  auto row = node.projector()->GetCase("C-1");
  REQUIRE(row.ok());
  CHECK((!row->has_value() || !(*row)->has_opened));
}

}  // namespace holdfast::testing
