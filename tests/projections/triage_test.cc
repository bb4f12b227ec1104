// Triage in the projections (SPEC "Alerts reach people"): the standing assignment of an
// alert is the latest alert.assigned by recorded_at (then the larger id), whatever order the
// events are folded in, on every node, kept across raises and withdrawals and through the
// alert row; and an alert id's prefix finds the alerts it starts.
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "projections/alert_filter.h"
#include "projections/alert_state.h"
#include "projections/records.h"
#include "tests/projections/projector_node.h"

using namespace holdfast;
using testing::ProjectorNode;

namespace {

constexpr int64_t kSecond = 1000000000LL;
constexpr int64_t kT0 = 1735689600LL * kSecond;  // 2025-01-01T00:00:00Z

Fact Assigned(uint64_t recorded_at, uint64_t id, const std::string& to) {
  Fact f;
  f.type = EventType::ALERT_ASSIGNED;
  f.id = Uuid{0xa5, id};
  f.alert = Uuid{0xa1e7, 1};
  f.occurred_at = kT0 + static_cast<int64_t>(recorded_at);
  f.recorded_at = recorded_at;
  f.user = "by-" + to;
  f.assignee = to;
  f.text = "note for " + to;
  return f;
}

Fact Lifecycle(EventType type, uint64_t rank, uint64_t id) {
  Fact f;
  f.type = type;
  f.id = Uuid{0x11fe, id};
  f.alert = Uuid{0xa1e7, 1};
  f.occurred_at = kT0;
  f.recorded_at = 100 + id;
  f.rank = rank;
  f.case_id = "C-1";
  f.subject = "P-1";
  f.text = "why";
  return f;
}

struct Assignment {
  std::string to, by, note;
  int64_t at;
  uint64_t recorded_at;
  Uuid id;
  bool operator==(const Assignment& o) const {
    return std::tie(to, by, note, at, recorded_at, id) ==
           std::tie(o.to, o.by, o.note, o.at, o.recorded_at, o.id);
  }
};

Assignment AssignmentOf(const AlertState& s) {
  return {s.assigned_to, s.assigned_by,          s.assign_note,
          s.assigned_at, s.assigned_recorded_at, s.assigned_id};
}

}  // namespace

TEST_CASE("the latest assignment by recorded_at stands, whatever the fold order",
          "[projections][triage]") {
  // Two at one recorded_at (the larger id stands), one later, one earlier; a raise and a
  // withdrawal among them change nothing of the assignment.
  std::vector<Fact> facts = {Assigned(50, 1, "pc-early"),
                             Assigned(70, 2, "pc-tie-small"),
                             Assigned(70, 3, "pc-tie-large"),
                             Assigned(90, 4, "pc-latest"),
                             Lifecycle(EventType::ALERT_RAISED, 5, 1),
                             Lifecycle(EventType::ALERT_WITHDRAWN, 6, 2)};
  std::vector<size_t> order(facts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  size_t permutations = 0;
  do {
    AlertState s;
    for (size_t i : order) FoldAlertFact(facts[i], &s);
    for (size_t i : order) FoldAlertFact(facts[i], &s);  // twice: changes nothing
    INFO("permutation " << permutations);
    REQUIRE(s.assigned_to == "pc-latest");
    CHECK(s.assigned_by == "by-pc-latest");
    CHECK(s.assign_note == "note for pc-latest");
    CHECK(s.assigned_recorded_at == 90);
    CHECK(s.assigned_id == Uuid{0xa5, 4});
    CHECK(s.assigned_at == kT0 + 90);
    CHECK(s.withdrawn);  // the withdrawal (rank 6) stands over the raise (rank 5)
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(permutations == 720);

  // Without the latest: of the two at 70, the larger id.
  AlertState s;
  for (size_t i : {2, 1, 0}) FoldAlertFact(facts[i], &s);
  CHECK(s.assigned_to == "pc-tie-large");
  AlertState t;
  for (size_t i : {0, 1, 2}) FoldAlertFact(facts[i], &t);
  CHECK(t.assigned_to == "pc-tie-large");
}

TEST_CASE("an alert row keeps its assignment, and an older row reads as unassigned",
          "[projections][triage]") {
  AlertState s;
  FoldAlertFact(Lifecycle(EventType::ALERT_RAISED, 1, 1), &s);
  AlertState unassigned;
  REQUIRE(DecodeAlert(EncodeAlert(s), &unassigned));
  CHECK(unassigned.assigned_to.empty());
  CHECK(unassigned.assigned_at == -1);
  FoldAlertFact(Assigned(70, 2, "pc-1"), &s);
  AlertState back;
  REQUIRE(DecodeAlert(EncodeAlert(s), &back));
  CHECK(AssignmentOf(back) == AssignmentOf(s));
  // Folding on from the decoded row: an earlier assignment arriving late changes nothing.
  FoldAlertFact(Assigned(60, 9, "pc-late"), &back);
  CHECK(back.assigned_to == "pc-1");
}

TEST_CASE("two nodes that assign an alert at once converge to the later assignment",
          "[projections][triage]") {
  const Uuid alert{0xa1e70000ULL << 32, 7};
  for (const bool fold_first : {false, true}) {
    INFO("each node folds its own assignment before the other's arrives: " << fold_first);
    ProjectorNode probation("probation-1", /*derive=*/false, kT0);
    ProjectorNode police("police-1", /*derive=*/false, kT0);
    probation.Append(testing::MakeAlertRaised("C-1", alert));
    police.ReceiveAll(probation);
    const uint64_t raised = probation.Last();
    // Each assigns without having seen the other's assignment.
    probation.Append(testing::MakeAlertAssigned(alert, "po-1"));
    police.Append(testing::MakeAlertAssigned(alert, "pc-1"));
    // The winner by the rule, from the events' provenance.
    auto assignment = [](const ProjectorNode& node) {
      auto log = node.Log();
      const auto& e = log.back();
      return std::make_tuple(e.reader().getProvenance().getRecordedAt().getValue(),
                             ToUuid(e.reader().getId()),
                             std::string(e.reader().getAlertAssigned().getTo()));
    };
    const auto mine = assignment(probation), theirs = assignment(police);
    const std::string winner = std::tie(std::get<0>(mine), std::get<1>(mine)) >
                                       std::tie(std::get<0>(theirs), std::get<1>(theirs))
                                   ? std::get<2>(mine)
                                   : std::get<2>(theirs);
    if (fold_first) {
      probation.CatchUp();
      police.CatchUp();
      CHECK(probation.Alert(FormatUuid(alert)).assigned_to == "po-1");
      CHECK(police.Alert(FormatUuid(alert)).assigned_to == "pc-1");
    }
    probation.Receive(police, 1, police.Last());
    police.Receive(probation, raised, probation.Last());
    probation.CatchUp();
    police.CatchUp();
    CHECK(probation.Alert(FormatUuid(alert)).assigned_to == winner);
    CHECK(police.Alert(FormatUuid(alert)).assigned_to == winner);
    CHECK(AssignmentOf(probation.Alert(FormatUuid(alert))) ==
          AssignmentOf(police.Alert(FormatUuid(alert))));
    // A rebuild folds the whole log again, in log order: the same assignment.
    police.Rebuild();
    CHECK(police.Alert(FormatUuid(alert)).assigned_to == winner);
    // A later assignment on either node stands everywhere once it arrives.
    const uint64_t before = police.Last();
    police.Append(testing::MakeAlertAssigned(alert, "pc-2"));
    probation.Receive(police, before, police.Last());
    probation.CatchUp();
    CHECK(probation.Alert(FormatUuid(alert)).assigned_to == "pc-2");
  }
}

TEST_CASE("an alert id prefix finds the alerts whose ids it starts", "[projections][triage]") {
  ProjectorNode node("police-1", /*derive=*/false, kT0);
  // abcdef01-0000-..., abcdef01-1000-..., abcdef02-...
  const Uuid a{0xabcdef0100004000ULL, 0x8000000000000001ULL};
  const Uuid b{0xabcdef0110004000ULL, 0x8000000000000002ULL};
  const Uuid c{0xabcdef0200004000ULL, 0x8000000000000003ULL};
  for (const Uuid& id : {a, b, c}) node.Append(testing::MakeAlertRaised("C-1", id));
  node.CatchUp();
  auto ids = [&](const std::string& hex, size_t limit = 100) {
    auto found = node.projector()->FindAlertsByPrefix(hex, limit);
    REQUIRE(found.ok());
    std::vector<Uuid> out;
    for (const auto& s : *found) out.push_back(s.alert);
    return out;
  };
  CHECK(ids("abcdef01") == std::vector<Uuid>{a, b});
  CHECK(ids("abcdef0") == std::vector<Uuid>{a, b, c});
  CHECK(ids("abcdef011") == std::vector<Uuid>{b});  // an odd last digit
  CHECK(ids("abcdef010") == std::vector<Uuid>{a});
  CHECK(ids("abcdef02") == std::vector<Uuid>{c});
  CHECK(ids("abcdef03").empty());
  CHECK(ids("abcdef0100004000800000000000000"
            "1") == std::vector<Uuid>{a});
  CHECK(ids("abcdef0", 2).size() == 2);  // at most `limit`
  CHECK_FALSE(node.projector()->FindAlertsByPrefix("abcdefgh", 10).ok());
  CHECK_FALSE(node.projector()->FindAlertsByPrefix("a", 10).ok());
}

TEST_CASE("the triage filters select by severity, raise time, subject and assignee",
          "[projections][triage]") {
  AlertState a;
  a.severity = schema::Severity::MEDIUM;
  a.raised_at = kT0;
  a.subject = "P-1";
  AlertFilter f;
  CHECK(MatchesTriage(f, a));
  f.severities = {schema::Severity::HIGH};
  CHECK_FALSE(MatchesTriage(f, a));
  f.severities = {schema::Severity::HIGH, schema::Severity::MEDIUM};
  CHECK(MatchesTriage(f, a));
  f.since = kT0;
  CHECK(MatchesTriage(f, a));  // raised at or after
  f.since = kT0 + 1;
  CHECK_FALSE(MatchesTriage(f, a));
  f.since.reset();
  f.subject = "P-2";
  CHECK_FALSE(MatchesTriage(f, a));
  f.subject = "P-1";
  f.assigned_to = "pc-1";
  CHECK_FALSE(MatchesTriage(f, a));
  a.assigned_to = "pc-1";
  CHECK(MatchesTriage(f, a));
}
