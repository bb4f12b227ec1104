// SummarizeCase (projections/case_summary.h) on hand-made case timelines: the earliest
// opening, closing, referral, start and end stand whatever order the facts come in; the
// risk is the last set; repeated starts and ends are counted.
#include "projections/case_summary.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "eventstore/event_store.h"
#include "projections/case_reader.h"
#include "projections/projector.h"
#include "tests/eventstore/test_events.h"
#include "tests/projections/timeline.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

Fact WithProvider(Fact f, const std::string& provider) {
  f.provider = provider;
  return f;
}

}  // namespace

TEST_CASE("an empty case summary says nothing is held", "[case_summary]") {
  const CaseSummary s = SummarizeCase("C-1", {});
  CHECK(s.case_id == "C-1");
  CHECK_FALSE(s.opened);
  CHECK_FALSE(s.closed);
  CHECK(s.interventions.empty());
  CHECK(s.Find("I-1") == nullptr);
}

TEST_CASE("a case summary keeps the earliest opening and closing, and the last risk",
          "[case_summary]") {
  Timeline t;
  const Fact first = t.Opened("C-1", "S-1", Risk::MEDIUM, kT0);
  t.RiskChanged("C-1", Risk::VERY_HIGH, /*marac=*/true, kT0 + Day(3));
  // A second opening (another subject): the earliest stands; its risk is older than the change.
  t.Opened("C-1", "S-other", Risk::STANDARD, kT0 + Day(1));
  const Fact closed = t.Closed("C-1", kT0 + Day(10), schema::CloseReason::COMPLETED);
  t.Closed("C-1", kT0 + Day(11), schema::CloseReason::REVOKED);

  std::vector<Fact> facts = t.events();
  std::reverse(facts.begin(), facts.end());  // arrival order does not matter
  const CaseSummary s = SummarizeCase("C-1", facts);
  REQUIRE(s.opened);
  CHECK(s.subject == "S-1");
  CHECK(s.lead_agency == "probation-north");
  CHECK(s.order == schema::OrderKind::COMMUNITY_ORDER);
  CHECK(s.opened_at == kT0);
  CHECK(s.opened_event == first.id);
  CHECK(s.openings == 2);
  CHECK(s.risk == Risk::VERY_HIGH);  // the risk change is the last in canonical order
  CHECK(s.marac);
  REQUIRE(s.closed);
  CHECK(s.closed_at == kT0 + Day(10));
  CHECK(s.closed_event == closed.id);
  CHECK(s.close_reason == schema::CloseReason::COMPLETED);
  CHECK(s.closings == 2);
}

TEST_CASE("a case summary's risk follows an opening dated after a risk change", "[case_summary]") {
  Timeline t;
  t.RiskChanged("C-1", Risk::HIGH, false, kT0);
  t.Opened("C-1", "S-1", Risk::MEDIUM, kT0 + Day(1));
  const CaseSummary s = SummarizeCase("C-1", t.events());
  CHECK(s.risk == Risk::MEDIUM);
  CHECK_FALSE(s.marac);
}

TEST_CASE("a case summary gives each intervention's referral, group, start and end",
          "[case_summary]") {
  Timeline t;
  t.Opened("C-1", "S-1", Risk::HIGH, kT0);
  const Fact referral = WithProvider(t.Referred("C-1", "I-1", kT0 + Day(1)), "provider-a");
  Fact started = t.Started("C-1", "I-1", kT0 + Day(7));
  started.group = "grp-A";
  Fact later_start = t.Started("C-1", "I-1", kT0 + Day(8));
  later_start.group = "grp-B";
  const Fact exited = t.Exited("C-1", "I-1", Exit::MOVED_AREA, kT0 + Day(30));
  const Fact completed = t.Completed("C-1", "I-1", kT0 + Day(40));
  t.Referred("C-1", "I-2", kT0 + Day(2));
  t.Attendance("C-1", "I-3", "S-9", Outcome::ATTENDED, kT0 + Day(9));  // never referred

  std::vector<Fact> facts = t.events();
  facts[1] = referral;
  facts[2] = started;
  facts[3] = later_start;
  std::reverse(facts.begin(), facts.end());
  const CaseSummary s = SummarizeCase("C-1", facts);
  REQUIRE(s.interventions.size() == 3);
  CHECK(s.interventions[0].id == "I-1");  // in id order
  CHECK(s.interventions[1].id == "I-2");
  CHECK(s.interventions[2].id == "I-3");

  const InterventionSummary* i1 = s.Find("I-1");
  REQUIRE(i1 != nullptr);
  CHECK(i1->referred);
  CHECK(i1->programme == "building_choices");
  CHECK(i1->provider == "provider-a");
  CHECK(i1->referred_event == referral.id);
  CHECK(i1->started);
  CHECK(i1->group == "grp-A");
  CHECK(i1->started_at == kT0 + Day(7));
  CHECK(i1->started_event == started.id);
  CHECK(i1->ending == InterventionEnding::kExited);
  CHECK(EndingName(i1->ending) == "exited");
  CHECK(i1->exit_reason == Exit::MOVED_AREA);
  CHECK(i1->ended_at == kT0 + Day(30));
  CHECK(i1->ended_event == exited.id);
  CHECK(i1->referrals == 1);
  CHECK(i1->starts == 2);
  CHECK(i1->ends == 2);
  CHECK(i1->ActiveAt(kT0 + Day(7)));
  CHECK(i1->ActiveAt(kT0 + Day(29)));
  CHECK_FALSE(i1->ActiveAt(kT0 + Day(6)));
  CHECK_FALSE(i1->ActiveAt(kT0 + Day(30)));  // ended at that instant
  (void)completed;

  const InterventionSummary* i2 = s.Find("I-2");
  REQUIRE(i2 != nullptr);
  CHECK(i2->referred);
  CHECK_FALSE(i2->started);
  CHECK_FALSE(i2->ended());
  CHECK_FALSE(i2->ActiveAt(kT0 + Day(100)));

  const InterventionSummary* i3 = s.Find("I-3");
  REQUIRE(i3 != nullptr);
  CHECK_FALSE(i3->referred);
  CHECK(s.Find("I-4") == nullptr);
}

TEST_CASE("a case summary of a completed intervention says completed", "[case_summary]") {
  Timeline t;
  t.Referred("C-1", "I-1", kT0);
  t.Started("C-1", "I-1", kT0 + Day(1));
  t.Completed("C-1", "I-1", kT0 + Day(5));
  const CaseSummary s = SummarizeCase("C-1", t.events());
  const InterventionSummary* i = s.Find("I-1");
  REQUIRE(i != nullptr);
  CHECK(i->ending == InterventionEnding::kCompleted);
  CHECK(EndingName(i->ending) == "completed");
  CHECK(i->ended_at == kT0 + Day(5));
  CHECK(i->ends == 1);
  CHECK_FALSE(s.opened);  // an intervention without the case's opening
  CHECK(i->ActiveAt(kT0 + Day(4)));
}

// ReadCaseFacts (projections/case_reader.h) through a real store and projector: a voided
// event is left out (and given back as voided), a void arriving before its event too, and
// a void naming an event that may not be voided changes nothing.
TEST_CASE("ReadCaseFacts leaves out the voided events of a case", "[case_summary][case_reader]") {
  TempDir dir{"holdfast-case-reader"};
  auto s = EventStore::Open(dir.path(), StoreOptions{"probation-1"});
  REQUIRE(s.ok());
  auto store = std::move(s).value();
  auto p = Projector::Open(store.get(), RuleConfig{});
  REQUIRE(p.ok());
  auto projector = std::move(p).value();
  auto append = [&](Event e) {
    const Uuid id = ToUuid(e.reader().getId());
    REQUIRE(store->Append(Single(std::move(e))).ok());
    REQUIRE(projector->CatchUp().ok());
    return id;
  };
  append(MakeCaseOpened("C-1"));
  append(MakeReferred("C-1", "I-1"));
  const Uuid start = append(MakeStarted("C-1", "I-1"));
  const Uuid late = RandomUuid();
  append(MakeRecordVoided(late));  // before its event arrives
  Event breach = MakeBreach("C-1");
  SetUuid(breach.builder().initId(), late);
  append(std::move(breach));
  append(MakeRecordVoided(start));

  std::vector<Fact> facts, voided;
  REQUIRE(ReadCaseFacts(*store, *projector, "C-1", &facts, &voided).ok());
  REQUIRE(facts.size() == 2);
  CHECK(facts[0].type == EventType::CASE_OPENED);
  CHECK(facts[1].type == EventType::INTERVENTION_REFERRED);
  REQUIRE(voided.size() == 2);
  const CaseSummary summary = SummarizeCase("C-1", facts);
  REQUIRE(summary.Find("I-1") != nullptr);
  CHECK_FALSE(summary.Find("I-1")->started);

  auto is_voided = IsVoided(*projector, start, EventType::INTERVENTION_STARTED);
  REQUIRE(is_voided.ok());
  CHECK(*is_voided);
  // Whatever a void names, an alert event is never voided.
  auto alert = IsVoided(*projector, start, EventType::ALERT_RAISED);
  REQUIRE(alert.ok());
  CHECK_FALSE(*alert);
}
