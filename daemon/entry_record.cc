// ReadHeldRecord (daemon/entry_checks.h): what the checks at entry read of the store.
#include "daemon/entry_checks.h"
#include "eventstore/event_store.h"
#include "projections/case_reader.h"
#include "projections/projector.h"

namespace holdfast {

Result<HeldRecord> ReadHeldRecord(const EventStore& store, const Projector& projector,
                                  const std::vector<Fact>& offered) {
  HeldRecord held;
  std::set<std::string> cases, sessions, subjects;
  for (const Fact& f : offered) {
    if (!CaseNamedBy(f).empty()) cases.insert(CaseNamedBy(f));
    if (f.type == EventType::ATTENDANCE_RECORDED) sessions.insert(f.session);
    if (f.type == EventType::INCIDENT_REPORTED) subjects.insert(f.subject);
    if (f.type != EventType::RECORD_VOIDED || held.void_targets.count(f.voided)) continue;
    auto target = store.Get(f.voided);
    if (!target.ok()) {
      if (target.status().code() == Status::Code::kNotFound) continue;
      return target.status();
    }
    HeldRecord::VoidTarget t;
    t.event = FactOf(target->reader());
    t.agency = target->reader().getAuthor().getAgency();
    auto voided = IsVoided(projector, t.event.id, t.event.type);
    if (!voided.ok()) return voided.status();
    t.voided = *voided;
    if (!CaseNamedBy(t.event).empty()) cases.insert(CaseNamedBy(t.event));
    held.void_targets.emplace(f.voided, std::move(t));
  }
  for (const auto& c : cases) {
    HOLDFAST_RETURN_IF_ERROR(ReadCaseFacts(store, projector, c, &held.cases[c]));
  }
  for (const auto& s : sessions) {
    std::vector<Fact> facts;
    HOLDFAST_RETURN_IF_ERROR(ReadStreamFacts(store, projector, "session/" + s, &facts));
    for (const Fact& f : facts) {
      if (f.type == EventType::SESSION_HELD) held.sessions.insert(s);
    }
  }
  if (!subjects.empty()) {
    // A subject is known when a case's opening (not voided) names it. There is no index to
    // ask by subject outside the fold, so the case rows are read: only for incident reports.
    HOLDFAST_RETURN_IF_ERROR(projector.ScanCases("", [&](const CaseRow& row) {
      if (row.has_opened && subjects.count(row.subject)) held.subjects.insert(row.subject);
      return held.subjects.size() < subjects.size();
    }));
  }
  return held;
}

}  // namespace holdfast
