// A deriving node withdraws only what it raised (SPEC "Alert authority", docs/rules.md
// "Corrections and late evidence", docs/alert-lifecycle.md "Deriving nodes re-assert"):
// a deriving node whose own evidence says an alert's condition does not hold withdraws the
// alert only when the standing alert.raised is one it appended itself, under any of its
// origins. Another deriving node's raise stands until that node, holding the evidence,
// withdraws it; a non-deriving node appends nothing at all. Real stores and projectors;
// "sync" is EventStore::Insert of another node's log.
//
// The case: two unacceptable absences (N = 2) raise non_engagement at the second; a later
// record of the second session, attended, is the correction that makes the condition
// false. Attended sessions at the start and three weeks in keep no_contact quiet, so the
// case has exactly one alert.
#include <catch2/catch.hpp>

#include "projections/alert_state.h"
#include "tests/projections/projector_node.h"

using namespace holdfast;
using testing::ProjectorNode;

namespace {

constexpr int64_t kSecond = 1000000000LL;
constexpr int64_t kDay = 86400 * kSecond;
constexpr int64_t kT0 = 1735689600LL * kSecond;  // 2025-01-01T00:00:00Z
constexpr int64_t kStart = kT0 + 5 * kDay;
constexpr int64_t kRaise = kStart + 14 * kDay;  // the second absence
constexpr int64_t kNow = kT0 + 200 * kDay;

// 0xPPPPPPPP-0000-4000-8000-NNNNNNNNNNNN
Uuid TestUuid(uint32_t prefix, uint64_t n) {
  return Uuid{(uint64_t{prefix} << 32) | 0x4000, 0x8000000000000000ULL | n};
}

Event At(Event e, int64_t t, const Uuid& id) {
  e.builder().getOccurredAt().setUnixNanos(t);
  return testing::WithId(std::move(e), id);
}

Event Attendance(const std::string& session, schema::AttendanceOutcome outcome, int64_t t,
                 const Uuid& id) {
  return At(testing::MakeAttendance("C-1", "I-1", session, outcome), t, id);
}

// The case up to and including the second absence: the alert's evidence.
std::vector<Event> CaseEvents() {
  using O = schema::AttendanceOutcome;
  std::vector<Event> out;
  out.push_back(At(testing::MakeCaseOpened("C-1", "P-1"), kT0, TestUuid(0xc0, 1)));
  out.push_back(At(testing::MakeStarted("C-1", "I-1"), kStart, TestUuid(0xc0, 2)));
  out.push_back(Attendance("S-0", O::ATTENDED, kStart, TestUuid(0xc0, 3)));
  out.push_back(Attendance("S-1", O::ABSENT_UNACCEPTABLE, kStart + 7 * kDay, TestUuid(0xc0, 4)));
  out.push_back(Attendance("S-2", O::ABSENT_UNACCEPTABLE, kRaise, TestUuid(0xc0, 5)));
  out.push_back(Attendance("S-3", O::ATTENDED, kStart + 21 * kDay, TestUuid(0xc0, 6)));
  out.push_back(At(testing::MakeCompleted("C-1", "I-1"), kStart + 28 * kDay, TestUuid(0xc0, 7)));
  return out;
}

// S-2 recorded again, attended. Appended after the absence, so its recorded_at is not
// earlier; its larger id makes it stand even if both fell in the same millisecond.
Event Correction() {
  return Attendance("S-2", schema::AttendanceOutcome::ATTENDED, kRaise, TestUuid(0xff, 1));
}

// `n` events of another case, with nothing to raise: evidence that lifts a node's rank.
std::vector<Event> Padding(uint32_t prefix, size_t n) {
  std::vector<Event> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(At(testing::MakeReferred("PAD-" + std::to_string(prefix), "I-1"), kT0,
                     TestUuid(prefix, i + 1)));
  }
  return out;
}

// The events of `events` that are not alert lifecycle events.
std::vector<Event> NonDerived(std::vector<Event> events) {
  std::vector<Event> out;
  for (auto& e : events) {
    if (!e.reader().isAlertRaised() && !e.reader().isAlertWithdrawn()) out.push_back(std::move(e));
  }
  return out;
}

// The one alert a node lists, as "status raised_at".
std::string OnlyAlert(const ProjectorNode& node) {
  const auto alerts = node.Alerts();
  REQUIRE(alerts.size() == 1);
  return alerts.begin()->second;
}

const std::string kOpen = "open " + std::to_string(kRaise);
const std::string kWithdrawn = "withdrawn " + std::to_string(kRaise);

}  // namespace

TEST_CASE(
    "a deriving node does not withdraw another deriving node's raise, though its own "
    "evidence says the condition does not hold, and the raiser withdraws it once it holds "
    "that evidence",
    "[projections][authority]") {
  ProjectorNode a("probation-1", true, kNow), b("partnership-1", true, kNow);
  ProjectorNode police("police-1", false, kNow);
  a.Append(CaseEvents());
  a.CatchUp();
  REQUIRE(OnlyAlert(a) == kOpen);
  const std::string alert = a.Alerts().begin()->first;
  REQUIRE(a.Alert(alert).raised_by == "probation-1");

  // B holds the case's events (from A or another node) and records the correction before
  // it folds them, so it never raises the alert itself; then A's raise reaches it.
  b.Insert(NonDerived(a.Log()));
  b.Append(Correction());
  b.CatchUp();
  CHECK(b.Alerts().empty());
  b.ReceiveAll(a);
  b.CatchUp();
  // B's rules compute no alert from what it holds: a fresh deriving node with the same
  // non-derived events raises nothing...
  {
    ProjectorNode fresh("probation-9", true, kNow);
    fresh.Insert(NonDerived(b.Log()));
    fresh.CatchUp();
    CHECK(fresh.Alerts().empty());
  }
  // ...but the standing raise is A's, so B appends nothing and shows A's alert open.
  CHECK(OnlyAlert(b) == kOpen);
  CHECK(b.LifecycleEvents("partnership-1") == 0);
  // Nor on a restart, which evaluates whatever was left to evaluate.
  b.Restart();
  b.CatchUp();
  CHECK(OnlyAlert(b) == kOpen);
  CHECK(b.LifecycleEvents("partnership-1") == 0);

  // A non-deriving node holding the same never appends a lifecycle event.
  police.ReceiveAll(b);
  police.CatchUp();
  CHECK(OnlyAlert(police) == kOpen);
  CHECK(police.LifecycleEvents("police-1") == 0);

  // A receives the correction and withdraws its own raise; B and police take the
  // withdrawal.
  a.ReceiveAll(b);
  a.CatchUp();
  CHECK(OnlyAlert(a) == kWithdrawn);
  CHECK(a.LifecycleEvents("probation-1") == 2);  // its raise and its withdrawal
  b.ReceiveAll(a);
  b.CatchUp();
  police.ReceiveAll(a);
  police.CatchUp();
  CHECK(OnlyAlert(b) == kWithdrawn);
  CHECK(OnlyAlert(police) == kWithdrawn);
  CHECK(b.LifecycleEvents("partnership-1") == 0);
  CHECK(police.LifecycleEvents("police-1") == 0);
}

TEST_CASE(
    "a deriving node withdraws an alert only when the standing raise is its own, not when "
    "it raised the alert too but another node's raise stands",
    "[projections][authority]") {
  // Both raise the alert from the same case events; the one that held more evidence when
  // it derived (padding of an unrelated case: a rank counts the highest seq of each
  // origin held) has the higher rank, and its raise stands.
  for (bool a_stands : {true, false}) {
    INFO((a_stands ? "A's raise stands" : "B's raise stands"));
    ProjectorNode a("probation-1", true, kNow), b("partnership-1", true, kNow);
    a.Append(CaseEvents());  // A's seqs 1 to 7
    if (a_stands) a.Append(Padding(0xa1, 50));
    if (!a_stands) b.Append(Padding(0xb1, 50));
    a.CatchUp();
    b.Insert(a.Log(0, 7));  // the case events, not A's padding
    b.CatchUp();
    REQUIRE(b.LifecycleEvents("partnership-1") == 1);  // B raised it itself
    b.ReceiveAll(a);
    a.ReceiveAll(b);
    a.CatchUp();
    b.CatchUp();
    const std::string alert = a.Alerts().begin()->first;
    const std::string stander = a_stands ? "probation-1" : "partnership-1";
    REQUIRE(a.Alert(alert).raised_by == stander);
    REQUIRE(b.Alert(alert).raised_by == stander);
    REQUIRE(OnlyAlert(a) == kOpen);
    REQUIRE(OnlyAlert(b) == kOpen);

    // B, alone, learns of the correction.
    b.Append(Correction());
    b.CatchUp();
    if (a_stands) {
      // A's raise stands: B withdraws nothing, though it once raised the alert too.
      CHECK(OnlyAlert(b) == kOpen);
      CHECK(b.LifecycleEvents("partnership-1") == 1);
      // A withdraws its raise once it holds the correction.
      a.ReceiveAll(b);
      a.CatchUp();
      CHECK(OnlyAlert(a) == kWithdrawn);
      b.ReceiveAll(a);
      b.CatchUp();
    } else {
      // B's own raise stands: B withdraws it at once.
      CHECK(OnlyAlert(b) == kWithdrawn);
      CHECK(b.LifecycleEvents("partnership-1") == 2);
      a.ReceiveAll(b);
      a.CatchUp();
    }
    CHECK(OnlyAlert(a) == kWithdrawn);
    CHECK(OnlyAlert(b) == kWithdrawn);
    CHECK(b.LifecycleEvents("partnership-1") == (a_stands ? 1u : 2u));
    CHECK(a.LifecycleEvents("probation-1") == (a_stands ? 2u : 1u));
  }
}

TEST_CASE(
    "PlanLifecycle withdraws a standing raise made under any of the node's origins, and "
    "no other node's",
    "[projections][authority]") {
  AlertState standing;
  standing.alert = TestUuid(0xa7, 1);
  standing.has_raised = true;
  standing.rule = schema::AlertRule::NON_ENGAGEMENT;
  standing.case_id = "C-1";
  standing.subject = "P-1";
  standing.intervention = "I-1";
  standing.raised_at = kRaise;
  const VersionVector view{{"partnership-1", 7}};
  // Nothing derived: the condition does not hold on this node's evidence.
  auto plan = [&](const std::string& raised_by) {
    standing.raised_by = raised_by;
    return PlanLifecycle("C-1", {}, {standing}, "partnership-1", view);
  };
  const auto own = plan("partnership-1");
  REQUIRE(own.size() == 1);
  CHECK(own[0].reader().isAlertWithdrawn());
  // Raised before this node was restored from a backup: its origin then was the node id
  // with a suffix (eventstore OriginNode).
  const auto restored = plan("partnership-1~0123456789ab");
  REQUIRE(restored.size() == 1);
  CHECK(restored[0].reader().isAlertWithdrawn());
  CHECK(plan("probation-1").empty());
  CHECK(plan("probation-1~0123456789ab").empty());
  // A node whose id only begins like this one's is another node.
  CHECK(plan("partnership-10").empty());
}
