// A node withdraws only what it raised, with real daemons over mutual TLS (SPEC "Alert
// authority", docs/rules.md "Corrections and late evidence"): deriving node A raises a
// non_engagement alert; deriving node B holds a correction that makes its condition false
// and receives A's raise. B's rules compute no alert, but the standing raise is A's, so B
// withdraws nothing and shows the alert open. Once A holds the correction, A withdraws its
// own raise, and B takes the withdrawal. tests/projections/alert_authority_test.cc checks
// the same rule with every arrival order forced.
#include <catch2/catch.hpp>

#include "tests/sync/sync_harness.h"

using namespace holdfast;
using namespace holdfast::synctest;

namespace {

std::string Line(uint64_t n, const std::string& type, const std::string& at,
                 const std::string& role, const std::string& data) {
  return "{\"id\":\"" + test::TestUuid(0xa7, n) + "\",\"occurred_at\":\"" + at +
         "\",\"author\":{\"user\":\"u-1\",\"role\":\"" + role + "\",\"agency\":\"" + role +
         "-ce\"},\"type\":\"" + type + "\",\"data\":{\"case\":\"C-7\"," + data + "}}\n";
}

std::string Attendance(uint64_t n, const std::string& session, const std::string& outcome,
                       const std::string& at) {
  return Line(
      n, "attendance.recorded", at, "facilitator",
      "\"intervention\":\"I-7\",\"session\":\"" + session + "\",\"outcome\":\"" + outcome + "\"");
}

// One batch, so no evaluation sees a part of it: unacceptable absences at S-2 and S-3
// raise non_engagement at S-3 (2025-01-20T18:00:00Z); the attended sessions and the
// completion keep no_contact quiet.
std::string AbsencesThenCompletionLines() {
  return Line(1, "case.opened", "2025-01-02T09:00:00Z", "probation",
              "\"subject\":\"P-7\",\"order\":\"licence\",\"risk\":\"medium\","
              "\"lead_agency\":\"probation-ce\"") +
         Line(2, "intervention.started", "2025-01-06T18:00:00Z", "facilitator",
              "\"intervention\":\"I-7\"") +
         Attendance(3, "S-1", "attended", "2025-01-06T18:00:00Z") +
         Attendance(4, "S-2", "absent_unacceptable", "2025-01-13T18:00:00Z") +
         Attendance(5, "S-3", "absent_unacceptable", "2025-01-20T18:00:00Z") +
         Attendance(6, "S-4", "attended", "2025-01-27T18:00:00Z") +
         Attendance(7, "S-5", "attended", "2025-02-03T18:00:00Z") +
         Line(8, "intervention.completed", "2025-02-10T18:00:00Z", "facilitator",
              "\"intervention\":\"I-7\"");
}

// S-3 recorded again, attended: with it the condition never held.
std::string CorrectionLine() { return Attendance(9, "S-3", "attended", "2025-01-20T18:00:00Z"); }

// `alerts list --status all` as "alert=ID status=STATUS raised_at=TIME".
std::vector<std::string> AlertStatusLines(const SyncNode& node) {
  return AlertKeys(node.Alerts({"--status", "all"}), {"alert", "status", "raised_at"});
}

// The node's alert.raised and alert.withdrawn events that `origin` appended.
size_t LifecycleEventsBy(const SyncNode& node, const std::string& origin) {
  size_t n = 0;
  for (const auto& e : node.Export()) {
    n += e.origin == origin && (e.type == "alert.raised" || e.type == "alert.withdrawn");
  }
  return n;
}

}  // namespace

TEST_CASE(
    "a deriving node does not withdraw an alert another deriving node raised, and the raiser "
    "withdraws it once the correction reaches it",
    "[sync][convergence][authority]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode a(dir.path(), pki, "probation-1", "probation");
  SyncNode b(dir.path(), pki, "partnership-1", "partnership");
  a.Start();
  b.Start();

  test::WriteFile(dir / "case.jsonl", AbsencesThenCompletionLines());
  a.Import(dir / "case.jsonl");
  const auto on_a = AlertStatusLines(a);
  REQUIRE(on_a.size() == 1);
  const std::string alert = a.Alerts({"--status", "all"})[0].at("alert");
  REQUIRE(on_a[0] == "alert=" + alert + " status=open raised_at=2025-01-20T18:00:00Z");

  // B holds the case and the correction, in one batch: it never raises the alert.
  test::WriteFile(dir / "corrected.jsonl", AbsencesThenCompletionLines() + CorrectionLine());
  b.Import(dir / "corrected.jsonl");
  REQUIRE(AlertStatusLines(b).empty());

  // B pulls A's log; A receives nothing from B (B shares only case closures with it).
  a.AddPeerLive(b.id(), "", "all");
  b.AddPeerLive(a.id(), a.address(), "case.closed");
  REQUIRE(WaitUntil(Scaled(milliseconds(30000)), [&] { return AlertStatusLines(b).size() == 1; }));
  // An append returns once everything before it in B's log is folded and evaluated, with
  // the lifecycle events B derived from it: what B does with A's raise is done by then.
  test::Ok(b.node(),
           {"case", "open", "--case", "C-8", "--subject", "P-8", "--order", "licence", "--risk",
            "medium", "--lead-agency", "probation-ce"},
           "probation");
  CHECK(AlertStatusLines(b) == on_a);  // A's raise, open
  CHECK(LifecycleEventsBy(b, "partnership-1") == 0);
  CHECK(AlertStatusLines(a) == on_a);

  // B now shares everything with A: the correction reaches A, which withdraws its raise.
  b.AddPeerLive(a.id(), a.address(), "all");
  const std::vector<std::string> withdrawn = {"alert=" + alert +
                                              " status=withdrawn raised_at=2025-01-20T18:00:00Z"};
  CHECK(WaitUntil(Scaled(milliseconds(30000)), [&] { return AlertStatusLines(a) == withdrawn; }));
  CHECK(WaitUntil(Scaled(milliseconds(30000)), [&] { return AlertStatusLines(b) == withdrawn; }));
  CHECK(LifecycleEventsBy(a, "probation-1") == 2);  // its raise and its withdrawal
  CHECK(LifecycleEventsBy(b, "partnership-1") == 0);
  CheckSound({&a, &b});
}
