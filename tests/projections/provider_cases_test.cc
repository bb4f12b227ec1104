// The projections' index of referrals by provider (prov/ rows, projections/row_keys.h):
// what a facilitator's reads stand on (daemon/read_scope.h). A real store and projector:
// the cases, interventions and pages a provider's queries give, after catching up in
// several folds and after a rebuild.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/eventstore/test_events.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

Event Referral(const std::string& case_id, const std::string& intervention,
               const std::string& provider) {
  Event e = MakeReferred(case_id, intervention);
  e.builder().getInterventionReferred().setProvider(provider);
  return e;
}

struct Node {
  TempDir dir{"holdfast-provider-cases"};
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Projector> projector;
  Node() {
    auto s = EventStore::Open(dir.path(), StoreOptions{"probation-1"});
    REQUIRE(s.ok());
    store = std::move(s).value();
    auto p = Projector::Open(store.get(), RuleConfig{});
    REQUIRE(p.ok());
    projector = std::move(p).value();
  }
  void Append(Event e) {
    REQUIRE(store->Append(Single(std::move(e))).ok());
    REQUIRE(projector->CatchUp().ok());  // one fold per event: each over the rows held
  }
  // The provider's cases after `after`, at most `limit` (0: all).
  std::vector<std::string> Cases(const std::string& provider, const std::string& after = "",
                                 size_t limit = 0) const {
    std::vector<std::string> out;
    REQUIRE(projector
                ->ScanProviderCases(provider, after,
                                    [&](const CaseRow& row) {
                                      out.push_back(row.case_id);
                                      return limit == 0 || out.size() < limit;
                                    })
                .ok());
    return out;
  }
  std::vector<std::string> Interventions(const std::string& provider,
                                         const std::string& case_id) const {
    auto r = projector->ProviderInterventions(provider, case_id);
    REQUIRE(r.ok());
    return *r;
  }
  bool Referred(const std::string& provider, const std::string& case_id,
                const std::string& intervention) const {
    auto r = projector->IsReferredTo(provider, case_id, intervention);
    REQUIRE(r.ok());
    return *r;
  }
};

using Names = std::vector<std::string>;

void CheckCounty(const Node& n) {
  // C-10 sorts after C-1 and before C-2, as in `case list`; C-1's two referrals to
  // provider-a list it once; C-9 was referred before it was opened and is not listed.
  CHECK(n.Cases("provider-a") == Names{"C-1", "C-10", "C-2"});
  CHECK(n.Cases("provider-b") == Names{"C-1", "C-3"});
  CHECK(n.Cases("provider").empty());  // a prefix of a provider's name is not the provider
  CHECK(n.Cases("nobody").empty());
  // Pages: after a case, all of its rows are passed.
  CHECK(n.Cases("provider-a", "", 1) == Names{"C-1"});
  CHECK(n.Cases("provider-a", "C-1", 1) == Names{"C-10"});
  CHECK(n.Cases("provider-a", "C-10") == Names{"C-2"});
  CHECK(n.Cases("provider-a", "C-2").empty());
  CHECK(n.Cases("provider-a", "C-0") == Names{"C-1", "C-10", "C-2"});  // a cursor not held

  CHECK(n.Interventions("provider-a", "C-1") == Names{"I-1a", "I-1c"});
  CHECK(n.Interventions("provider-b", "C-1") == Names{"I-1b"});
  CHECK(n.Interventions("provider-a", "C-3").empty());
  CHECK(n.Interventions("provider-a", "C-9") == Names{"I-9"});  // held, if not listed yet
  CHECK(n.Referred("provider-a", "C-1", "I-1a"));
  CHECK(!n.Referred("provider-a", "C-1", "I-1b"));
  CHECK(!n.Referred("provider-a", "C-1", "I-1"));  // a prefix of an intervention's id
  CHECK(!n.Referred("provider-a", "C-10", "I-1a"));
}

}  // namespace

TEST_CASE("a provider's cases and interventions come from its referrals, folded or rebuilt",
          "[projections][providers]") {
  Node n;
  for (const char* c : {"C-1", "C-10", "C-2", "C-3"}) n.Append(MakeCaseOpened(c));
  n.Append(Referral("C-1", "I-1a", "provider-a"));
  n.Append(Referral("C-1", "I-1b", "provider-b"));
  n.Append(Referral("C-1", "I-1c", "provider-a"));
  n.Append(Referral("C-1", "I-1a", "provider-a"));  // referred again: one row
  n.Append(Referral("C-10", "I-10", "provider-a"));
  n.Append(Referral("C-2", "I-2", "provider-a"));
  n.Append(Referral("C-3", "I-3", "provider-b"));
  n.Append(Referral("C-9", "I-9", "provider-a"));  // before its case.opened
  CheckCounty(n);
  REQUIRE(n.projector->Rebuild().ok());
  CheckCounty(n);

  n.Append(MakeCaseOpened("C-9"));  // its opening arrives: listed
  CHECK(n.Cases("provider-a") == Names{"C-1", "C-10", "C-2", "C-9"});
}
