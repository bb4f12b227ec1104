// Alert ids escape the '/' in their name parts (issue 11, point 15; docs/alert-ids.md). A
// store whose alert events carry ids made the old way (the parts joined with a bare '/') is
// moved to the new ids by `projections rebuild`: the old alerts are withdrawn, naming the
// alert that replaces them, the new ones raised; alerts whose ids did not change are left
// alone.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/eventstore/test_events.h"

using namespace holdfast;

namespace {

constexpr int64_t kDay = 86400LL * 1000000000LL;
constexpr int64_t kT0 = 1735689600LL * 1000000000LL;  // 2025-01-01T00:00:00Z

// The ids as versions before the escaping made them (projections/rules/case_context.cc and
// projections/alert_state.cc of that time), written out here so the test keeps them.
Uuid OldAlertId(const std::string& rule, const std::string& case_id,
                const std::string& intervention, const std::string& key) {
  const Uuid alert_namespace{0x6b1f3e2a9c4d4f5aULL, 0x8e7d6c5b4a392817ULL};
  return NameUuid(alert_namespace, rule + "/" + case_id + "/" + intervention + "/" + key);
}
Uuid OldRaisedId(const Uuid& alert, int64_t at) {
  const Uuid lifecycle_namespace{0x2d4c6e8f1a3b4c5dULL, 0x9e0f1a2b3c4d5e6fULL};
  return NameUuid(lifecycle_namespace, FormatUuid(alert) + "/raised/" + std::to_string(at) + "/0");
}

std::string Envelope(const std::string& id, const std::string& type, int64_t at,
                     const std::string& author) {
  return R"({"id":")" + id + R"(","type":")" + type + R"(","occurred_at":")" + FormatRfc3339(at) +
         R"(","author":)" + author + R"(,"data":)";
}

const char* const kProbation = R"({"user":"po-1","role":"probation","agency":"probation-ce"})";
const char* const kSystem = R"({"user":"holdfastd","role":"system","agency":"holdfast"})";

Event Parse(const std::string& json) {
  auto e = EventFromJson(json);
  INFO(json);
  REQUIRE(e.ok());
  return std::move(e).value();
}

// A case opened at kT0 whose intervention is exited (withdrew) at `exit_at`: one dropout.
void AddCase(const std::string& case_id, const std::string& intervention, int64_t exit_at,
             std::vector<Event>* out, Uuid* exit_id) {
  *exit_id = RandomUuid();
  out->push_back(Parse(Envelope(FormatUuid(RandomUuid()), "case.opened", kT0, kProbation) +
                       R"({"case":")" + case_id +
                       R"(","subject":"P-1","order":"licence","risk":"medium",)"
                       R"("lead_agency":"probation-ce"}})"));
  out->push_back(Parse(Envelope(FormatUuid(*exit_id), "intervention.exited", exit_at, kProbation) +
                       R"({"case":")" + case_id + R"(","intervention":")" + intervention +
                       R"(","reason":"withdrew"}})"));
}

// The alert.raised the old derivation appended for that dropout.
Event OldDropoutRaised(const std::string& case_id, const std::string& intervention, int64_t exit_at,
                       const Uuid& exit_id) {
  const Uuid alert = OldAlertId("dropout", case_id, intervention, "");
  return Parse(Envelope(FormatUuid(OldRaisedId(alert, exit_at)), "alert.raised", exit_at, kSystem) +
               R"({"alert":")" + FormatUuid(alert) + R"(","rule":"dropout","case":")" + case_id +
               R"(","subject":"P-1","intervention":")" + intervention +
               R"(","severity":"high","trigger":")" + FormatUuid(exit_id) + R"(","reason":"left )" +
               intervention + R"( early: withdrew"}})");
}

std::map<std::string, ListedAlert> AllAlerts(Projector* projector) {
  AlertFilter filter;
  filter.status = "all";
  filter.as_of = kT0 + 1000 * kDay;
  auto listed = projector->ListAlerts(filter);
  REQUIRE(listed.ok());
  std::map<std::string, ListedAlert> out;
  for (auto& a : *listed) out[FormatUuid(a.state.alert)] = a;
  return out;
}

}  // namespace

TEST_CASE("a rebuild moves alerts under old ids to the new ids, and leaves the others",
          "[projections][rebuild][alert-id]") {
  testing::TempDir dir;
  auto store = EventStore::Open(dir.path(), StoreOptions{"probation-1"});
  REQUIRE(store.ok());

  // What an older version left: case "C" with intervention "I/x" and case "C/I" with
  // intervention "x" shared one dropout alert; "C-1" had one of its own. Police
  // acknowledged the shared one.
  std::vector<Event> events;
  Uuid exit_c, exit_ci, exit_plain;
  AddCase("C", "I/x", kT0 + 1 * kDay, &events, &exit_c);
  AddCase("C/I", "x", kT0 + 2 * kDay, &events, &exit_ci);
  AddCase("C-1", "I-1", kT0 + 3 * kDay, &events, &exit_plain);
  events.push_back(OldDropoutRaised("C", "I/x", kT0 + 1 * kDay, exit_c));
  events.push_back(OldDropoutRaised("C/I", "x", kT0 + 2 * kDay, exit_ci));
  events.push_back(OldDropoutRaised("C-1", "I-1", kT0 + 3 * kDay, exit_plain));
  const Uuid shared = OldAlertId("dropout", "C", "I/x", "");
  REQUIRE(shared == OldAlertId("dropout", "C/I", "x", ""));  // the collision
  events.push_back(Parse(Envelope(FormatUuid(RandomUuid()), "alert.acknowledged", kT0 + 4 * kDay,
                                  R"({"user":"pc-7","role":"police","agency":"police-ce"})") +
                         R"({"alert":")" + FormatUuid(shared) + R"(","note":"seen"}})"));
  REQUIRE((*store)->Append(std::move(events)).ok());

  constexpr int64_t now = kT0 + 10 * kDay;
  RuleConfig deriving;
  deriving.derive = true;
  auto projector = Projector::Open(store->get(), deriving, [] { return now; });
  REQUIRE(projector.ok());
  REQUIRE((*projector)->Rebuild().ok());

  const Uuid new_c = AlertId(schema::AlertRule::DROPOUT, "C", "I/x", "");
  const Uuid new_ci = AlertId(schema::AlertRule::DROPOUT, "C/I", "x", "");
  const Uuid plain = AlertId(schema::AlertRule::DROPOUT, "C-1", "I-1", "");
  CHECK(plain == OldAlertId("dropout", "C-1", "I-1", ""));  // unchanged
  auto alerts = AllAlerts(projector->get());
  REQUIRE(alerts.size() == 4);

  // Each case has its own alert now, raised when its exit was.
  REQUIRE(alerts.count(FormatUuid(new_c)));
  REQUIRE(alerts.count(FormatUuid(new_ci)));
  const ListedAlert& c = alerts[FormatUuid(new_c)];
  const ListedAlert& ci = alerts[FormatUuid(new_ci)];
  CHECK(c.status == "open");
  CHECK(c.state.case_id == "C");
  CHECK(c.state.intervention == "I/x");
  CHECK(c.state.raised_at == kT0 + 1 * kDay);
  CHECK(ci.status == "open");
  CHECK(ci.state.case_id == "C/I");
  CHECK(ci.state.intervention == "x");
  CHECK(ci.state.raised_at == kT0 + 2 * kDay);

  // The shared one is withdrawn, saying which alert replaces it; its acknowledgement stays
  // in its history. Its details were last those of case C/I, whose alert replaces it.
  REQUIRE(alerts.count(FormatUuid(shared)));
  const ListedAlert& old = alerts[FormatUuid(shared)];
  CHECK(old.status == "withdrawn");
  CHECK(old.state.acknowledged_by == "pc-7");
  CHECK(old.state.withdraw_reason.find("replaced by alert " + FormatUuid(new_ci)) !=
        std::string::npos);
  CHECK(old.state.withdraw_reason.find("docs/alert-ids.md") != std::string::npos);

  // The alert whose id did not change is untouched: still the one raise, still open.
  REQUIRE(alerts.count(FormatUuid(plain)));
  CHECK(alerts[FormatUuid(plain)].status == "open");
  CHECK(alerts[FormatUuid(plain)].state.transitions.size() == 1);

  // Rebuilding again, or catching up, appends nothing more.
  const uint64_t after = (*store)->LastPosition();
  REQUIRE((*projector)->Rebuild().ok());
  REQUIRE((*projector)->CatchUp().ok());
  CHECK((*store)->LastPosition() == after);
  CHECK((*store)->Verify().ok());
}

TEST_CASE("a case evaluated on its own also moves its old alert to the new id",
          "[projections][alert-id]") {
  // Without a rebuild, a case moves when it is next evaluated (an event of its arrives).
  testing::TempDir dir;
  auto store = EventStore::Open(dir.path(), StoreOptions{"probation-1"});
  REQUIRE(store.ok());
  std::vector<Event> events;
  Uuid exit_id;
  AddCase("C/2025/7", "I/1", kT0 + 1 * kDay, &events, &exit_id);
  events.push_back(OldDropoutRaised("C/2025/7", "I/1", kT0 + 1 * kDay, exit_id));
  REQUIRE((*store)->Append(std::move(events)).ok());
  constexpr int64_t now = kT0 + 10 * kDay;
  RuleConfig plain;
  auto projector = Projector::Open(store->get(), plain, [] { return now; });
  REQUIRE(projector.ok());
  REQUIRE((*projector)->CatchUp().ok());  // folded as an older, non-deriving pass would
  projector->reset();

  RuleConfig deriving;
  deriving.derive = true;
  auto upgraded = Projector::Open(store->get(), deriving, [] { return now; });
  REQUIRE(upgraded.ok());
  std::vector<Event> touch;
  touch.push_back(
      Parse(Envelope(FormatUuid(RandomUuid()), "case.risk_changed", kT0 + 5 * kDay, kProbation) +
            R"({"case":"C/2025/7","risk":"medium"}})"));
  REQUIRE((*store)->Append(std::move(touch)).ok());
  REQUIRE((*upgraded)->CatchUp().ok());
  auto alerts = AllAlerts(upgraded->get());
  const Uuid old_id = OldAlertId("dropout", "C/2025/7", "I/1", "");
  const Uuid new_id = AlertId(schema::AlertRule::DROPOUT, "C/2025/7", "I/1", "");
  REQUIRE(old_id != new_id);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[FormatUuid(new_id)].status == "open");
  CHECK(alerts[FormatUuid(old_id)].status == "withdrawn");
  CHECK(alerts[FormatUuid(old_id)].state.withdraw_reason.find(
            "replaced by alert " + FormatUuid(new_id)) != std::string::npos);
}

TEST_CASE("lifecycle event ids derive from the whole event, its basis included",
          "[projections][alert-id]") {
  DerivedAlert d;
  d.rule = schema::AlertRule::DROPOUT;
  d.case_id = "C/1";
  d.subject = "P-1";
  d.intervention = "I/1";
  d.alert = AlertId(d.rule, d.case_id, d.intervention, "");
  d.trigger = RandomUuid();
  d.raised_at = kT0 + 3 * kDay;
  const VersionVector view = {{"probation-1", 40}, {"provider-1", 2}};
  auto planned = PlanLifecycle("C/1", {d}, {}, "probation-1", view);
  REQUIRE(planned.size() == 1);
  auto basis = planned[0].reader().getAlertRaised().getBasis();
  CHECK(basis.getRank() == 42);
  CHECK(std::string(basis.getMarks().cStr()) == "probation-1:40 provider-1:2");
  // Planned again from the same state (a restart, a rebuild, another deriving node with
  // the same view): the same event.
  auto again = PlanLifecycle("C/1", {d}, {}, "partnership-1", view);
  REQUIRE(again.size() == 1);
  CHECK(ToUuid(again[0].reader().getId()) == ToUuid(planned[0].reader().getId()));
  // From another view: another event, never the same id over different content.
  auto other = PlanLifecycle("C/1", {d}, {}, "probation-1", {{"probation-1", 41}});
  REQUIRE(other.size() == 1);
  CHECK(ToUuid(other[0].reader().getId()) != ToUuid(planned[0].reader().getId()));
  // Not the id versions before bases made (docs/alert-lifecycle.md).
  CHECK(ToUuid(planned[0].reader().getId()) != OldRaisedId(d.alert, d.raised_at));
}
