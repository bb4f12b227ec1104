// Issue 19, forced with real daemons over mutual TLS: deriving node A raises a no_contact
// alert, then receives the positive contact that came 18 seconds before the deadline and
// withdraws it; its log is padded so that the contact ends a 2,000-event sync batch and the
// withdrawal opens the next. Deriving node B holds the case without the contact and raises
// the alert itself, later by the clock than A's withdrawal. Then A, B and police are
// peered. Before bases, B derived from the contact's batch while A's withdrawal was stored
// but not folded, its own withdrawal was taken for A's as a duplicate, and B (and police)
// showed the alert open for good. Now every node shows it withdrawn, the state a fresh
// node derives from the same non-derived events (docs/alert-lifecycle.md).
#include <catch2/catch.hpp>

#include "tests/sync/sync_harness.h"

using namespace holdfast;
using namespace holdfast::synctest;

namespace {

std::string Line(const std::string& id, const std::string& type, const std::string& at,
                 const std::string& role, const std::string& data) {
  return "{\"id\":\"" + id + "\",\"occurred_at\":\"" + at + "\",\"author\":{\"user\":\"u-1\"," +
         "\"role\":\"" + role + "\",\"agency\":\"" + role + "-ce\"},\"type\":\"" + type +
         "\",\"data\":{" + data + "}}";
}

// The case without the contact: started 2025-01-02T00:00:00Z, so its no_contact deadline
// is 2025-01-23T00:00:00Z; completed on 2025-01-24, so after the contact no later
// deadline falls while it is active.
std::string CaseLines() {
  const std::string c = "\"case\":\"C-19\"";
  return Line(test::TestUuid(0x19, 1), "case.opened", "2025-01-01T00:00:00Z", "probation",
              c + ",\"subject\":\"P-19\",\"order\":\"community_order\",\"risk\":\"medium\","
                  "\"lead_agency\":\"probation-ce\"") +
         "\n" +
         Line(test::TestUuid(0x19, 2), "intervention.referred", "2025-01-01T00:00:00Z", "probation",
              c + ",\"intervention\":\"I-19\",\"programme\":\"building_choices\","
                  "\"provider\":\"provider-ce\"") +
         "\n" +
         Line(test::TestUuid(0x19, 3), "intervention.started", "2025-01-02T00:00:00Z",
              "facilitator", c + ",\"intervention\":\"I-19\"") +
         "\n" +
         Line(test::TestUuid(0x19, 4), "intervention.completed", "2025-01-24T00:00:00Z",
              "facilitator", c + ",\"intervention\":\"I-19\"") +
         "\n";
}

// The positive contact, 18 seconds before the deadline.
std::string ContactLine() {
  return Line(test::TestUuid(0x19, 5), "attendance.recorded", "2025-01-22T23:59:42Z", "facilitator",
              "\"case\":\"C-19\",\"intervention\":\"I-19\",\"session\":\"S-19\","
              "\"outcome\":\"attended\"") +
         "\n";
}

// The position of event `id` in `node`'s log.
uint64_t PositionOf(const SyncNode& node, const std::string& id) {
  auto r = node.Operator({"export"});
  REQUIRE(r.exit == 0);
  for (const auto& line : test::Lines(r.out)) {
    if (line.find("\"id\":\"" + id + "\"") == std::string::npos) continue;
    return std::stoull(ParseJsonObject(line).at("position"));
  }
  FAIL("event " << id << " is not in the log of " << node.id());
  return 0;
}

// `alerts list --status all` reduced to id and status.
std::vector<std::string> AlertStates(const SyncNode& node) {
  return AlertKeys(node.Alerts({"--status", "all"}), {"alert", "status"});
}

}  // namespace

TEST_CASE(
    "the issue's interleaving: two deriving nodes and police end with the alert "
    "withdrawn, as the rules compute",
    "[sync][convergence]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode a(dir.path(), pki, "probation-1", "probation");
  SyncNode b(dir.path(), pki, "partnership-1", "partnership");
  SyncNode police(dir.path(), pki, "police-1", "police");
  a.Start();
  b.Start();

  // 1. A: padding, then the case: the deadline has passed, A raises the alert.
  // 2. A: the contact, 18 s before the deadline: A withdraws it. The padding puts the
  //    contact at position 2,000, the last of a sync batch; the withdrawal opens the next.
  test::WriteFile(dir / "pad.jsonl", AttendanceLines(0x900, 1, 1994));
  a.Import(dir / "pad.jsonl");
  test::WriteFile(dir / "case.jsonl", CaseLines());
  a.Import(dir / "case.jsonl");
  REQUIRE(AlertStates(a).size() == 1);
  CHECK(AlertStates(a)[0].find("open") != std::string::npos);
  test::WriteFile(dir / "contact.jsonl", ContactLine());
  a.Import(dir / "contact.jsonl");
  REQUIRE(PositionOf(a, test::TestUuid(0x19, 5)) == 2000);
  REQUIRE(AlertStates(a).size() == 1);
  CHECK(AlertStates(a)[0].find("withdrawn") != std::string::npos);

  // 3. B: the case without the contact; B raises the alert, later by the clock.
  b.Import(dir / "case.jsonl");
  REQUIRE(AlertStates(b).size() == 1);
  CHECK(AlertStates(b)[0].find("open") != std::string::npos);

  // 4. Peered: A and B both ways, police from both under the police agreement.
  a.Stop();
  b.Stop();
  b.AddPeerToConfig(a.id(), a.address(), "all");
  a.AddPeerToConfig(b.id(), "", "all");
  police.AddPeerToConfig(a.id(), a.address(), "all");
  police.AddPeerToConfig(b.id(), b.address(), "all");
  a.AddPeerToConfig(police.id(), "", kPoliceFilter);
  b.AddPeerToConfig(police.id(), "", kPoliceFilter);
  a.Start();
  b.Start();
  police.Start();

  WaitForSameEvents({&a, &b}, Scaled(milliseconds(60000)));
  WaitForSameAlerts({&a, &b, &police}, {"--status", "all"}, {"alert", "status", "raised_at"},
                    Scaled(milliseconds(60000)));
  const auto on_a = AlertStates(a);
  REQUIRE(on_a.size() == 1);
  CHECK(on_a[0].find("withdrawn") != std::string::npos);
  CHECK(AlertStates(b) == on_a);
  CHECK(AlertStates(police) == on_a);

  // From scratch: a fresh deriving node given the same non-derived events raises nothing.
  SyncNode fresh(dir.path(), pki, "probation-2", "probation");
  fresh.Start();
  test::WriteFile(dir / "all.jsonl", CaseLines() + ContactLine());
  fresh.Import(dir / "all.jsonl");
  CHECK(AlertStates(fresh).empty());
  CheckSound({&a, &b, &police});
}
