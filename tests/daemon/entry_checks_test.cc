// CheckEntry (daemon/entry_checks.h): the checks at entry as a plain function, on hand-made
// case records, one test per refusal the SPEC lists ("Keeping the record right") and per
// thing that must still be accepted.
#include "daemon/entry_checks.h"

#include <catch2/catch.hpp>

#include "daemon/rights.h"
#include "projections/fold.h"
#include "tests/projections/timeline.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

constexpr int64_t kNow = kT0 + Day(60);

// A case C-1 of subject S-1 with I-1 referred to provider-a and started on day 7, I-2
// referred to provider-b and not started, and session G-1 logged.
struct Fixture {
  Timeline t;
  HeldRecord held;
  EntryRules rules;
  Fixture() {
    t.Opened("C-1", "S-1", Risk::HIGH, kT0);
    Fact r1 = t.Referred("C-1", "I-1", kT0 + Day(1));
    r1.provider = "provider-a";
    Fact r2 = t.Referred("C-1", "I-2", kT0 + Day(1));
    r2.provider = "provider-b";
    std::vector<Fact> facts = t.events();
    facts[1] = r1;
    facts[2] = r2;
    facts.push_back(t.Started("C-1", "I-1", kT0 + Day(7)));
    held.cases["C-1"] = facts;
    held.sessions.insert("G-1");
    held.subjects.insert("S-1");
    rules.role = schema::Role::PROBATION;
    rules.agency = "probation-ce";
    rules.now = kNow;
  }
  // A fact of a type, dated day 10 (when I-1 is active), for C-1.
  Fact Offer(EventType type, const std::string& intervention = "I-1") {
    Fact f;
    f.id = Uuid{0xabcULL, next++};
    f.type = type;
    f.occurred_at = kT0 + Day(10);
    f.case_id = "C-1";
    f.intervention = intervention;
    f.session = "G-1";
    f.subject = "S-1";
    return f;
  }
  EntryVerdict Check(const std::vector<Fact>& offered) { return CheckEntry(offered, held, rules); }
  // The one refusal of a one-event check ("" when accepted).
  std::string Refusal(const Fact& f) {
    auto v = Check({f});
    return v.refused.empty() ? "" : v.refused[0].status.ToString();
  }
  uint64_t next = 1;
};

}  // namespace

TEST_CASE("entry checks: case open names a case already opened", "[entry_checks]") {
  Fixture x;
  Fact open = x.Offer(EventType::CASE_OPENED);
  CHECK_THAT(x.Refusal(open),
             Catch::Contains("already opened") && Catch::Contains("re-opening uses a new case id"));
  open.case_id = "C-2";
  CHECK(x.Refusal(open).empty());
}

TEST_CASE("entry checks: a case this node does not hold is refused", "[entry_checks]") {
  Fixture x;
  Fact breach = x.Offer(EventType::BREACH_REPORTED);
  breach.case_id = "C-9";
  CHECK_THAT(x.Refusal(breach), Catch::Contains("not known on this node"));
  // Opened earlier in the same request: known.
  Fact open = x.Offer(EventType::CASE_OPENED);
  open.case_id = "C-9";
  CHECK(x.Check({open, breach}).ok());
}

TEST_CASE("entry checks: a closed case takes nothing but a void", "[entry_checks]") {
  Fixture x;
  const Fact closed = x.t.Closed("C-1", kT0 + Day(20));
  x.held.cases["C-1"].push_back(closed);
  for (auto type : {EventType::BREACH_REPORTED, EventType::CASE_RISK_CHANGED,
                    EventType::CASE_CLOSED, EventType::INTERVENTION_REFERRED,
                    EventType::INTERVENTION_COMPLETED, EventType::ATTENDANCE_RECORDED}) {
    INFO(EventTypeName(type));
    CHECK_THAT(x.Refusal(x.Offer(type)),
               Catch::Contains("is closed") && Catch::Contains(FormatUuid(closed.id)));
  }
  Fact v = x.Offer(EventType::RECORD_VOIDED);
  v.voided = closed.id;
  x.held.void_targets[closed.id] = {closed, "probation-ce", false};
  CHECK(x.Refusal(v).empty());
}

TEST_CASE("entry checks: intervention start, complete and exit follow the intervention's state",
          "[entry_checks]") {
  Fixture x;
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_STARTED, "I-9")),
             Catch::Contains("I-9 of case C-1 is not referred"));
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_COMPLETED, "I-9")),
             Catch::Contains("is not referred"));
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_EXITED, "I-9")),
             Catch::Contains("is not referred"));
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_STARTED)),
             Catch::Contains("already started"));
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_COMPLETED, "I-2")),
             Catch::Contains("has not started"));
  // Exiting one that never started is how a no-show leaves a programme.
  CHECK(x.Refusal(x.Offer(EventType::INTERVENTION_EXITED, "I-2")).empty());
  CHECK(x.Refusal(x.Offer(EventType::INTERVENTION_STARTED, "I-2")).empty());
  CHECK(x.Refusal(x.Offer(EventType::INTERVENTION_COMPLETED)).empty());

  x.held.cases["C-1"].push_back(x.t.Completed("C-1", "I-1", kT0 + Day(30)));
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_COMPLETED)),
             Catch::Contains("already ended (completed"));
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_EXITED)),
             Catch::Contains("already ended (completed"));
  // Within one request: a start, then a second start of the same intervention.
  auto v = x.Check({x.Offer(EventType::INTERVENTION_STARTED, "I-2"),
                    x.Offer(EventType::INTERVENTION_STARTED, "I-2")});
  REQUIRE(v.refused.size() == 1);
  CHECK(v.refused[0].index == 1);
}

TEST_CASE("entry checks: attendance needs a referred, active intervention and a logged session",
          "[entry_checks]") {
  Fixture x;
  CHECK(x.Refusal(x.Offer(EventType::ATTENDANCE_RECORDED)).empty());
  CHECK_THAT(x.Refusal(x.Offer(EventType::ATTENDANCE_RECORDED, "I-9")),
             Catch::Contains("is not referred"));
  CHECK_THAT(x.Refusal(x.Offer(EventType::ATTENDANCE_RECORDED, "I-2")),
             Catch::Contains("was not active") && Catch::Contains("has not started"));
  Fact early = x.Offer(EventType::ATTENDANCE_RECORDED);
  early.occurred_at = kT0 + Day(6);
  CHECK_THAT(x.Refusal(early), Catch::Contains("was not active") && Catch::Contains("started on"));
  x.held.cases["C-1"].push_back(x.t.Exited("C-1", "I-1", Exit::WITHDREW, kT0 + Day(9)));
  CHECK_THAT(x.Refusal(x.Offer(EventType::ATTENDANCE_RECORDED)),
             Catch::Contains("was not active") && Catch::Contains("ended (exited)"));
}

TEST_CASE("entry checks: attendance at a session not logged here needs --unlisted-session",
          "[entry_checks]") {
  Fixture x;
  Fact a = x.Offer(EventType::ATTENDANCE_RECORDED);
  a.session = "G-typo";
  CHECK_THAT(x.Refusal(a), Catch::Contains("session G-typo is not logged") &&
                               Catch::Contains("--unlisted-session"));
  x.rules.unlisted_session = true;
  CHECK(x.Refusal(a).empty());
  x.rules.unlisted_session = false;
  // A register: the session.held in the same request logs it.
  Fact held = x.Offer(EventType::SESSION_HELD);
  held.session = "G-typo";
  CHECK(x.Check({held, a}).ok());
}

TEST_CASE("entry checks: a record dated after now plus max_future_seconds is refused",
          "[entry_checks]") {
  Fixture x;
  Fact breach = x.Offer(EventType::BREACH_REPORTED);
  breach.occurred_at = kNow + Sec(300);
  CHECK(x.Refusal(breach).empty());
  breach.occurred_at = kNow + Sec(301);
  CHECK_THAT(x.Refusal(breach), Catch::Contains("in the future"));
  x.rules.max_future_nanos = Sec(3600);
  CHECK(x.Refusal(breach).empty());
  Fact session = x.Offer(EventType::SESSION_HELD);
  session.occurred_at = kNow + Day(365);
  CHECK_THAT(x.Refusal(session), Catch::Contains("in the future"));
}

TEST_CASE("entry checks: an incident for a subject no case names is accepted with a warning",
          "[entry_checks]") {
  Fixture x;
  Fact incident = x.Offer(EventType::INCIDENT_REPORTED);
  auto known = x.Check({incident});
  CHECK(known.ok());
  CHECK(known.warnings.empty());
  incident.subject = "S-unknown";
  auto unknown = x.Check({incident});
  CHECK(unknown.ok());
  REQUIRE(unknown.warnings.size() == 1);
  CHECK_THAT(unknown.warnings[0].text, Catch::Contains("no case on this node names subject"));
}

TEST_CASE("entry checks: a void names an event held here, of a type its role may record",
          "[entry_checks]") {
  Fixture x;
  const Fact breach = x.t.Breach("C-1", schema::BreachKind::ORDER_BREACH, kT0 + Day(8));
  x.held.cases["C-1"].push_back(breach);
  x.held.void_targets[breach.id] = {breach, "probation-ce", false};
  Fact v = x.Offer(EventType::RECORD_VOIDED);
  v.voided = breach.id;
  CHECK(x.Refusal(v).empty());

  Fact missing = v;
  missing.voided = Uuid{1, 2};
  CHECK_THAT(x.Refusal(missing), Catch::Contains("not held on this node"));

  x.rules.role = schema::Role::POLICE;  // police may not record breaches, so not void them
  CHECK_THAT(x.Refusal(v), Catch::Contains("may not void it"));
  x.rules.role = schema::Role::PROBATION;

  for (auto type :
       {EventType::ALERT_RAISED, EventType::ALERT_ACKNOWLEDGED, EventType::ALERT_RESOLVED,
        EventType::ALERT_WITHDRAWN, EventType::RECORD_VOIDED, EventType::SUBJECT_ERASED}) {
    INFO(EventTypeName(type));
    Fact target = breach;
    target.id = Uuid{7, static_cast<uint64_t>(type)};
    target.type = type;
    x.held.void_targets[target.id] = {target, "probation-ce", false};
    Fact w = v;
    w.voided = target.id;
    CHECK_THAT(x.Refusal(w), Catch::Contains("cannot be voided"));
  }
}

TEST_CASE("entry checks: voiding an event already voided writes nothing more", "[entry_checks]") {
  Fixture x;
  const Fact breach = x.t.Breach("C-1", schema::BreachKind::ORDER_BREACH, kT0 + Day(8));
  x.held.void_targets[breach.id] = {breach, "probation-ce", false};
  Fact v = x.Offer(EventType::RECORD_VOIDED);
  v.voided = breach.id;
  Fact again = x.Offer(EventType::RECORD_VOIDED);
  again.voided = breach.id;
  auto twice = x.Check({v, again});
  CHECK(twice.ok());
  CHECK(twice.already_voided == std::set<size_t>{1});
  x.held.void_targets[breach.id].voided = true;
  auto later = x.Check({v});
  CHECK(later.ok());
  CHECK(later.already_voided == std::set<size_t>{0});
}

TEST_CASE("entry checks: a facilitator records only for its agency's interventions",
          "[entry_checks]") {
  Fixture x;
  x.rules.role = schema::Role::FACILITATOR;
  x.rules.agency = "provider-a";
  CHECK(x.Refusal(x.Offer(EventType::ATTENDANCE_RECORDED)).empty());
  CHECK_THAT(x.Refusal(x.Offer(EventType::INTERVENTION_STARTED, "I-2")),
             Catch::Contains("referred to provider-b, not provider-a"));
  // A case without an intervention at its agency is answered as one the node does not hold.
  x.rules.agency = "provider-c";
  CHECK_THAT(x.Refusal(x.Offer(EventType::ATTENDANCE_RECORDED)),
             Catch::Contains("not known on this node"));
  // Its voids too: of its own agency's session logs, not another's.
  x.rules.agency = "provider-a";
  Fact session = x.Offer(EventType::SESSION_HELD);
  x.held.void_targets[session.id] = {session, "provider-b", false};
  Fact v = x.Offer(EventType::RECORD_VOIDED);
  v.voided = session.id;
  CHECK_THAT(x.Refusal(v), Catch::Contains("voids only its own agency's records"));
  x.held.void_targets[session.id].agency = "provider-a";
  CHECK(x.Refusal(v).empty());
  const Fact other = x.Offer(EventType::INTERVENTION_EXITED, "I-2");
  x.held.void_targets[other.id] = {other, "provider-a", false};
  v.voided = other.id;
  CHECK_THAT(x.Refusal(v), Catch::Contains("not referred to provider-a"));
}

TEST_CASE("entry checks: every bad event of a request is named, not just the first",
          "[entry_checks]") {
  Fixture x;
  std::vector<Fact> offered;
  Fact session = x.Offer(EventType::SESSION_HELD);
  session.session = "G-2";
  offered.push_back(session);
  for (int row = 0; row < 8; ++row) {
    Fact a = x.Offer(EventType::ATTENDANCE_RECORDED, row == 3 ? "I-9" : "I-1");
    a.session = "G-2";
    if (row == 6) a.case_id = "C-typo";
    offered.push_back(a);
  }
  auto v = x.Check(offered);
  REQUIRE(v.refused.size() == 2);
  CHECK(v.refused[0].index == 4);
  CHECK(v.refused[1].index == 7);
}

TEST_CASE("entry checks: MayVoid agrees with IsVoidable and MayAppend", "[entry_checks]") {
  for (auto role : {schema::Role::PROBATION, schema::Role::FACILITATOR, schema::Role::POLICE,
                    schema::Role::ANALYST, schema::Role::OPERATOR, schema::Role::SYSTEM}) {
    for (auto type : AllEventTypes()) {
      INFO(RoleName(role) << " " << EventTypeName(type));
      CHECK(MayVoid(role, type) == (IsVoidable(type) && MayAppend(role, type) &&
                                    MayAppend(role, EventType::RECORD_VOIDED)));
    }
  }
  CHECK(MayVoid(schema::Role::POLICE, EventType::INCIDENT_REPORTED));
  CHECK_FALSE(MayVoid(schema::Role::POLICE, EventType::ATTENDANCE_RECORDED));
  CHECK(MayVoid(schema::Role::FACILITATOR, EventType::ATTENDANCE_RECORDED));
  CHECK_FALSE(MayVoid(schema::Role::FACILITATOR, EventType::BREACH_REPORTED));
  CHECK_FALSE(MayVoid(schema::Role::OPERATOR, EventType::SUBJECT_ERASED));
}
